import assert from "node:assert/strict";
import { wevibe, wevibe8bit, wevibeChorus } from "../../../../server/devices/protocols/wevibe.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("wevibe: init handshake, nibble packet, single motor mirrors, all-off packet", async () => {
  using h = await harness("wevibe", "4plus");
  const plus = definition("wevibe", "4plus");
  const handler = await wevibe.initialize(h.ctx, plus);
  assert.deepEqual(
    h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data, c.withResponse] : []),
    [
      [0x0f, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00, true],
      [0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, true],
    ],
  );
  handler.vibrate!(plus.features[0], 8);
  assert.deepEqual(bytes(handler.vibrate!(plus.features[1], 4)), [[
    0x0f,
    0x03,
    0x00,
    0x84,
    0x00,
    0x03,
    0x00,
    0x00,
  ]]);
  handler.vibrate!(plus.features[0], 0);
  assert.deepEqual(bytes(handler.vibrate!(plus.features[1], 0)), [[0x0f, 0, 0, 0, 0, 0, 0, 0]]);

  const single = definition("wevibe", "Wish");
  assert.equal(single.features.length, 1);
  const one = await wevibe.initialize(h.ctx, single);
  const cmds = one.vibrate!(single.features[0], 3);
  assert.deepEqual(bytes(cmds), [[0x0f, 0x03, 0x00, 0x33, 0x00, 0x03, 0x00, 0x00]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].withResponse && cmds[0].cids.length === 1);
});

Deno.test("wevibe-8bit and chorus packets and status byte", async () => {
  using h = await harness("wevibe-8bit", "Vector");
  const vector = definition("wevibe-8bit", "Vector");
  const h8 = await wevibe8bit.initialize(h.ctx, vector);
  assert.equal(h.peripheral.history.length, 0, "no init writes");
  h8.vibrate!(vector.features[0], 6);
  assert.deepEqual(bytes(h8.vibrate!(vector.features[1], 3)), [[
    0x0f,
    0x03,
    0x00,
    0x06,
    0x09,
    0x03,
    0x00,
    0x00,
  ]]);
  h8.vibrate!(vector.features[0], 0);
  assert.deepEqual(bytes(h8.vibrate!(vector.features[1], 6)), [[
    0x0f,
    0x03,
    0x00,
    0x09,
    0x03,
    0x02,
    0x00,
    0x00,
  ]]);

  const chorus = definition("wevibe-chorus", "Chorus");
  const hc = await wevibeChorus.initialize(h.ctx, chorus);
  hc.vibrate!(chorus.features[0], 15);
  assert.deepEqual(bytes(hc.vibrate!(chorus.features[1], 8)), [[
    0x0f,
    0x03,
    0x00,
    0x0f,
    0x08,
    0x03,
    0x00,
    0x00,
  ]]);
});
