import assert from "node:assert/strict";
import { itoys } from "../../../../server/devices/protocols/itoys.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("itoys: vibrate and oscillate frames", async () => {
  using h = await harness("itoys", "ASF-001-BT-R");
  const def = definition("itoys", "ASF-001-BT-R");
  const handler = await itoys.initialize(h.ctx, def);
  const f = def.features[0];
  assert.deepEqual(bytes(handler.oscillate!(f, 200)), [[0xa0, 0x06, 0x01, 0x00, 0x01, 200]]);
  assert.deepEqual(bytes(handler.oscillate!(f, 0)), [[0xa0, 0x06, 0x00, 0x00, 0x00, 0x00]]);
  assert.deepEqual(bytes(handler.vibrate!(f, 2)), [[0xa0, 0x01, 0x00, 0x00, 0x02, 0xff]]);
});
