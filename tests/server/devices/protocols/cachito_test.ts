import assert from "node:assert/strict";
import { cachito } from "../../../../server/devices/protocols/cachito.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("cachito: (02+fi) (01+fi) s 00", async () => {
  using h = await harness("cachito", "CCTXueGao");
  const def = definition("cachito", "CCTXueGao");
  assert.equal(def.name, "Cachito Ice Cream");
  const handler = await cachito.initialize(h.ctx, def);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 5)), [[0x02, 0x01, 0x05, 0x00]]);
  assert.deepEqual(bytes(handler.vibrate!(def.features[1], 90)), [[0x03, 0x02, 0x5a, 0x00]]);
});
