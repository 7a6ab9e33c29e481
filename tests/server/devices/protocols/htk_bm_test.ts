import assert from "node:assert/strict";
import { HTK_BM_CID, htkBm } from "../../../../server/devices/protocols/htk_bm.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("htk_bm: one mode byte for left/right", async () => {
  using h = await harness("htk_bm", "HTK-BLE-BM001");
  const def = definition("htk_bm");
  const handler = await htkBm.initialize(h.ctx, def);
  const [left, right] = def.features;
  assert.deepEqual(bytes(handler.vibrate!(right, 1)), [[0x0d]]);
  assert.deepEqual(bytes(handler.vibrate!(left, 1)), [[0x0b]]);
  assert.deepEqual(bytes(handler.vibrate!(right, 0)), [[0x0c]]);
  const off = handler.vibrate!(left, 0);
  assert.deepEqual(bytes(off), [[0x0f]]);
  assert.ok(off[0].kind === "write" && !off[0].withResponse && off[0].cids[0] === HTK_BM_CID);
});
