import assert from "node:assert/strict";
import { adrienlastic } from "../../../../server/devices/protocols/adrienlastic.ts";
import { definition, harness, texts } from "./_harness.ts";

Deno.test("adrienlastic: zero-padded MotorValue with response", async () => {
  using h = await harness("adrienlastic", "LVS-S001");
  const def = definition("adrienlastic", "LVS-S001");
  assert.equal(def.name, "Adrien Lastic Palpitation");
  const handler = await adrienlastic.initialize(h.ctx, def);
  const f = def.features[0];
  assert.deepEqual(texts(handler.vibrate!(f, 3)), ["MotorValue:03;"]);
  assert.deepEqual(texts(handler.vibrate!(f, 16)), ["MotorValue:16;"]);
  const stop = handler.vibrate!(f, 0);
  assert.deepEqual(texts(stop), ["MotorValue:00;"]);
  assert.ok(stop[0].kind === "write" && stop[0].withResponse);
});
