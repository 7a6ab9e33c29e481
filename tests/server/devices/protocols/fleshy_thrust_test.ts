import assert from "node:assert/strict";
import { fleshyThrust } from "../../../../server/devices/protocols/fleshy_thrust.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("fleshy-thrust: position then the low 16 bits of the duration, big-endian", async () => {
  using h = await harness("fleshy-thrust", "BT05");
  const def = definition("fleshy-thrust");
  const handler = await fleshyThrust.initialize(h.ctx, def);
  const f = def.features[0];
  assert.deepEqual(bytes(handler.hwPositionWithDuration!(f, 54, 1000)), [[54, 0x03, 0xe8]]);
  assert.deepEqual(bytes(handler.hwPositionWithDuration!(f, 180, 100000)), [[180, 0x86, 0xa0]]);
});
