import assert from "node:assert/strict";
import { amorelieJoy } from "../../../../server/devices/protocols/amorelie_joy.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("amorelie-joy: init writes 03, then 01 01 s", async () => {
  using h = await harness("amorelie-joy", "4D05");
  const def = definition("amorelie-joy", "4D05");
  const handler = await amorelieJoy.initialize(h.ctx, def);
  assert.deepEqual(
    h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data, c.withResponse] : c),
    [[0x03, false]],
  );
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 100)), [[0x01, 0x01, 0x64]]);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 7)), [[0x01, 0x01, 0x07]]);
});
