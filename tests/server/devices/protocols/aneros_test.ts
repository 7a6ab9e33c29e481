import assert from "node:assert/strict";
import { aneros } from "../../../../server/devices/protocols/aneros.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("aneros: (F1 + fi) s, one packet per motor", async () => {
  using h = await harness("aneros", "Massage Demo");
  const def = definition("aneros");
  const handler = await aneros.initialize(h.ctx, def);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 13)), [[0xf1, 0x0d]]);
  const second = handler.vibrate!(def.features[1], 127);
  assert.deepEqual(bytes(second), [[0xf2, 0x7f]]);
  assert.ok(second[0].kind === "write" && second[0].cids[0] === def.features[1].id);
});
