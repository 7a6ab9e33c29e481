import assert from "node:assert/strict";
import { serveu, serveuSpeed } from "../../../../server/devices/protocols/serveu.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("serveu speed byte: every rate band", () => {
  assert.equal(serveuSpeed(0, 30, 1000), 15); // 30 u/s → ceil(30 / 2)
  assert.equal(serveuSpeed(30, 80, 200), 75); // 250 u/s → ceil(200 / 4) + 25
  assert.equal(serveuSpeed(80, 100, 10), 250); // 2000 u/s → ceil(1250 / 25) + 200
  assert.equal(serveuSpeed(0, 1, 1000), 1); // 1 u/s
  assert.equal(serveuSpeed(0, 51, 1000), 26); // 51 u/s → ceil(1 / 4) + 25
  assert.equal(serveuSpeed(0, 100, 40), 250); // 2500 u/s → maximum
  assert.equal(serveuSpeed(50, 50, 500), 0); // no travel
  assert.equal(serveuSpeed(10, 20, 0), 250); // zero duration: infinite rate
  assert.equal(serveuSpeed(20, 20, 0), 250); // 0 / 0: NaN ends at the maximum, as upstream
});

Deno.test("serveu handler: 01 p speed, the last position follows each command", async () => {
  using h = await harness("serveu", "ServeU");
  const def = definition("serveu", "ServeU");
  const handler = await serveu.initialize(h.ctx, def);
  const f = def.features[0];
  assert.deepEqual(bytes(handler.hwPositionWithDuration!(f, 30, 1000)), [[0x01, 30, 15]]);
  assert.deepEqual(bytes(handler.hwPositionWithDuration!(f, 80, 200)), [[0x01, 80, 75]]);
  // 80 u/s → ceil(30 / 4) + 25 = 33
  assert.deepEqual(bytes(handler.hwPositionWithDuration!(f, 0, 1000)), [[0x01, 0, 33]]);
});
