import assert from "node:assert/strict";
import { youou, YOUOU_IDENTIFIER, yououFrame } from "../../../../server/devices/protocols/youou.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("frame: counter, state, XOR of the first 8 bytes, FF and seven 00", () => {
  assert.deepEqual(yououFrame(0, 0x80), [
    0xaa,
    0x55,
    0x00,
    0x02,
    0x03,
    0x01,
    0x80,
    0x01,
    0x7e,
    0xff,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  assert.equal(yououFrame(2, 0)[8], 0xfd);
});

Deno.test("identify: fixed identifier under the lowercase protocol id", async () => {
  using h = await harness("youou", "VX001_1234");
  const id = await youou.identify!(h.ctx, { transport: "btle", name: "VX001_1234", address: "a" });
  // Strict deep equality: no `protocol` key (upstream reports a capitalised "Youou" here).
  assert.deepEqual(id, { identifier: YOUOU_IDENTIFIER });
  assert.equal(definition("youou", YOUOU_IDENTIFIER).name, "Youou Wand Vibrator");
});

Deno.test("packet counter: +1 per frame, wraps at 256", async () => {
  using h = await harness("youou", "VX001_1234");
  const def = definition("youou", YOUOU_IDENTIFIER);
  const handler = await youou.initialize(h.ctx, def);
  const ids = [];
  for (let i = 0; i < 258; i++) ids.push(bytes(handler.vibrate!(def.features[0], i % 256))[0][2]);
  assert.deepEqual(ids.slice(0, 3), [0, 1, 2]);
  assert.deepEqual(ids.slice(254), [254, 255, 0, 1]);
});
