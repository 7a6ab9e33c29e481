import assert from "node:assert/strict";
import { fox } from "../../../../server/devices/protocols/fox.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("fox: 03 01 01 FE s", async () => {
  using h = await harness("fox", "FOX M70 Pro");
  const def = definition("fox");
  const handler = await fox.initialize(h.ctx, def);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 3)), [[0x03, 0x01, 0x01, 0xfe, 0x03]]);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 1)), [[0x03, 0x01, 0x01, 0xfe, 0x01]]);
});
