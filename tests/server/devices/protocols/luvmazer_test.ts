import assert from "node:assert/strict";
import { luvmazer } from "../../../../server/devices/protocols/luvmazer.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("luvmazer: vibrate / rotate / oscillate / constrict frames", async () => {
  using h = await harness("luvmazer", "TKLM-C004-BT");
  const def = definition("luvmazer", "TKLM-C004-BT");
  const handler = await luvmazer.initialize(h.ctx, def);
  const [vib, osc, con] = def.features;
  assert.deepEqual(bytes(handler.vibrate!(vib, 128)), [[0xa0, 0x01, 0x00, 0x00, 0x64, 0x80]]);
  assert.deepEqual(bytes(handler.vibrate!({ ...vib, index: 1 }, 9)), [[0xa0, 0x01, 0, 1, 0x64, 9]]);
  assert.deepEqual(bytes(handler.oscillate!(osc, 77)), [[0xa0, 0x06, 0x01, 0x00, 0x64, 77]]);
  assert.deepEqual(bytes(handler.constrict!(con, 54)), [[0xa0, 0x0d, 0x00, 0x00, 0x14, 54]]);
  assert.deepEqual(bytes(handler.constrict!(con, 0)), [[0xa0, 0x0d, 0x00, 0x00, 0x00, 0]]);
  assert.deepEqual(bytes(handler.rotate!(vib, -200)), [[0xa0, 0x0f, 0x00, 0x00, 0x64, 200]]);
});
