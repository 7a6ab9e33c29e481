import assert from "node:assert/strict";
import { ankni, ankniCheckByte } from "../../../../server/devices/protocols/ankni.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("ankni: check byte is the high byte of CRC-16/XMODEM over 01 ‖ id", () => {
  assert.equal(ankniCheckByte([0xa2, 0x31, 0x35, 0x53, 0x52, 0xd8]), 0xc1);
  assert.equal(ankniCheckByte([]), 0x10); // CRC-16/XMODEM(01) = 0x1021
});

Deno.test("ankni: short id → two handshake writes; long id → none; 20-byte vibrate frame", async () => {
  using h = await harness("ankni", "DSJM");
  const def = definition("ankni");
  h.peripheral.queueRead("generic0", [0xa2, 0x31, 0x35, 0x53, 0x52, 0xd8]);
  const handler = await ankni.initialize(h.ctx, def);
  const writes = h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data] : []);
  assert.deepEqual(writes, [
    new Array(20).fill(0x01),
    [0x01, 0x02, ...new Array(16).fill(0xc1), 0x00, 0x00],
  ]);
  const cmd = handler.vibrate!(def.features[0], 3);
  assert.deepEqual(bytes(cmd), [[0x03, 0x12, 0x03, ...new Array(17).fill(0)]]);
  assert.ok(cmd[0].kind === "write" && cmd[0].withResponse);

  using h2 = await harness("ankni", "DSJM");
  h2.peripheral.queueRead("generic0", [1, 2, 3, 4, 5, 6, 7]);
  await ankni.initialize(h2.ctx, def);
  assert.equal(h2.peripheral.history.length, 0, "no handshake for a long id");
});

Deno.test("ankni: a failed id read refuses the device", async () => {
  using h = await harness("ankni", "DSJM");
  const result = Promise.resolve(ankni.initialize(h.ctx, definition("ankni")));
  await h.clock.tick(100);
  await assert.rejects(result, /cannot read the device id/);
});
