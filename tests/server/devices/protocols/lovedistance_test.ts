import assert from "node:assert/strict";
import { lovedistance } from "../../../../server/devices/protocols/lovedistance.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("lovedistance: F3 00 00 + F4 01 init, F3 00 s", async () => {
  using h = await harness("lovedistance", "RANGE");
  const def = definition("lovedistance", "RANGE");
  const handler = await lovedistance.initialize(h.ctx, def);
  assert.deepEqual(
    h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data, c.withResponse] : []),
    [[0xf3, 0x00, 0x00, false], [0xf4, 0x01, false]],
  );
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 121)), [[0xf3, 0x00, 0x79]]);
});
