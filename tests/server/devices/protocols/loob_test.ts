import assert from "node:assert/strict";
import { loob, loobFrame } from "../../../../server/devices/protocols/loob.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("loob: frame clamps position to 1..1000 and duration to 1..65535", () => {
  assert.deepEqual(loobFrame(510, 200), [0x01, 0xfe, 0x00, 0xc8]);
  assert.deepEqual(loobFrame(0, 500), [0x00, 0x01, 0x01, 0xf4]);
  assert.deepEqual(loobFrame(1000, 0), [0x03, 0xe8, 0x00, 0x01]);
  assert.deepEqual(loobFrame(1000, 100000), [0x03, 0xe8, 0xff, 0xff], "no 16-bit wrap");
});

Deno.test("loob: init write with response, positions without", async () => {
  using h = await harness("loob", "LOOB");
  const def = definition("loob", "LOOB");
  const handler = await loob.initialize(h.ctx, def);
  assert.deepEqual(
    h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data, c.withResponse] : []),
    [[0x00, 0x01, 0x01, 0xf4, true]],
  );
  const cmds = handler.hwPositionWithDuration!(def.features[0], 250, 1000);
  assert.deepEqual(bytes(cmds), [[0x00, 0xfa, 0x03, 0xe8]]);
  assert.ok(cmds[0].kind === "write" && !cmds[0].withResponse);
});
