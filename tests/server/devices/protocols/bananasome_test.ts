import assert from "node:assert/strict";
import { bananasome, BANANASOME_CID } from "../../../../server/devices/protocols/bananasome.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("bananasome: all three outputs in one A0 03 packet, constant CID", async () => {
  using h = await harness("bananasome", "火箭X7");
  const def = definition("bananasome");
  const handler = await bananasome.initialize(h.ctx, def);
  const [osc, vib1, vib2] = def.features;
  assert.deepEqual(bytes(handler.vibrate!(vib1, 0x80)), [[0xa0, 0x03, 0x00, 0x80, 0x00]]);
  assert.deepEqual(bytes(handler.oscillate!(osc, 0xc0)), [[0xa0, 0x03, 0xc0, 0x80, 0x00]]);
  const last = handler.vibrate!(vib2, 0x40);
  assert.deepEqual(bytes(last), [[0xa0, 0x03, 0xc0, 0x80, 0x40]]);
  assert.ok(last[0].kind === "write" && last[0].cids[0] === BANANASOME_CID);
});
