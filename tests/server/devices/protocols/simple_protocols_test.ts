/** Byte checks for the one-frame protocols: synchro, wetoy, xibao, xiuxiuda, youcups, zalo. */
import assert from "node:assert/strict";
import { synchro, synchroSpeedByte } from "../../../../server/devices/protocols/synchro.ts";
import { wetoy } from "../../../../server/devices/protocols/wetoy.ts";
import { xibao } from "../../../../server/devices/protocols/xibao.ts";
import { xiuxiuda } from "../../../../server/devices/protocols/xiuxiuda.ts";
import { youcups } from "../../../../server/devices/protocols/youcups.ts";
import { zalo, zaloFrame } from "../../../../server/devices/protocols/zalo.ts";
import type { HardwareCommand } from "../../../../server/devices/protocol.ts";
import { bytes, definition, harness, texts } from "./_harness.ts";

const withResponse = (cmds: HardwareCommand[]): boolean[] =>
  cmds.map((c) => c.kind === "write" && c.withResponse);

Deno.test("synchro: magnitude with bit 7 for counter-clockwise", async () => {
  assert.equal(synchroSpeedByte(0), 0x00);
  assert.equal(synchroSpeedByte(-1), 0x81);
  using h = await harness("synchro", "Shinkuro");
  const def = definition("synchro", "Shinkuro");
  const handler = await synchro.initialize(h.ctx, def);
  assert.deepEqual(bytes(handler.rotate!(def.features[0], 6)), [[0xa1, 0x01, 0x06, 0x77, 0x55]]);
  assert.deepEqual(bytes(handler.rotate!(def.features[0], -2)), [[0xa1, 0x01, 0x82, 0x77, 0x55]]);
});

Deno.test("wetoy: off packet at init, B2 (s-1) with response", async () => {
  using h = await harness("wetoy", "WeToy");
  const def = definition("wetoy", "WeToy");
  const handler = await wetoy.initialize(h.ctx, def);
  assert.deepEqual(h.peripheral.takeCommands(), [
    { kind: "write", endpoint: "tx", data: Uint8Array.of(0x80, 0x03), withResponse: true },
  ]);
  const cmds = [...handler.vibrate!(def.features[0], 1), ...handler.vibrate!(def.features[0], 0)];
  assert.deepEqual(bytes(cmds), [[0xb2, 0x00], [0x80, 0x03]]);
  assert.deepEqual(withResponse(cmds), [true, true]);
});

Deno.test("xibao, xiuxiuda, youcups: frames without response", async () => {
  using h = await harness("xibao", "CCYB_1904");
  const x = definition("xibao", "CCYB_1904");
  const xh = await xibao.initialize(h.ctx, x);
  const osc = xh.oscillate!(x.features[0], 0x4b);
  assert.deepEqual(bytes(osc)[0].slice(-2), [0x4b, 0x00], "(0x4B + 0xB5) mod 256");
  assert.deepEqual(withResponse(osc), [false]);

  const xx = definition("xiuxiuda", "XXD-Lush");
  const xxh = await xiuxiuda.initialize(h.ctx, xx);
  assert.deepEqual(bytes(xxh.vibrate!(xx.features[0], 19)), [[
    0,
    0,
    0,
    0,
    0x65,
    0x3a,
    0x30,
    19,
    0x64,
  ]]);

  const yc = definition("youcups", "Youcups");
  const ych = await youcups.initialize(h.ctx, yc);
  const cmds = ych.vibrate!(yc.features[0], 7);
  assert.deepEqual(texts(cmds), ["$SYS,7?"]);
  assert.deepEqual(withResponse(cmds), [false]);
});

Deno.test("zalo: both motors in every frame, 01 placeholders, 02 when all stop", async () => {
  assert.deepEqual(zaloFrame(0, 0), [0x02, 0x01, 0x01]);
  assert.deepEqual(zaloFrame(0, 8), [0x01, 0x01, 0x08]);
  using h = await harness("zalo", "ZALO-King");
  const king = definition("zalo", "ZALO-King");
  const handler = await zalo.initialize(h.ctx, king);
  handler.vibrate!(king.features[1], 5);
  const cmds = handler.vibrate!(king.features[0], 3);
  assert.deepEqual(bytes(cmds), [[0x01, 0x03, 0x05]]);
  assert.deepEqual(withResponse(cmds), [true]);

  const jeanne = definition("zalo", "ZALO-Jeanne");
  assert.equal(jeanne.features.length, 1);
  const one = await zalo.initialize(h.ctx, jeanne);
  assert.deepEqual(bytes(one.vibrate!(jeanne.features[0], 8)), [[0x01, 0x08, 0x01]]);
});
