import assert from "node:assert/strict";
import {
  meta2RotationByte,
  tryfun,
  tryfunBlackhole,
  tryfunChecksum,
  tryfunMeta2,
} from "../../../../server/devices/protocols/tryfun.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("checksum: FF − Σ bytes[1..] + n0 + count, modulo 256", () => {
  assert.equal(tryfunChecksum([0xaa, 0x02, 0x07, 0x05], 0), 0xf4);
  assert.equal(tryfunChecksum([0x00, 0x02, 0x00, 0x03, 0x0c, 0x64], 1), 0x90);
  // Large sums wrap below zero.
  assert.equal(tryfunChecksum([0x00, 0xff, 0xff, 0xff], 1), (0xff - 3 * 0xff + 4 + 256 * 3) % 256);
});

Deno.test("meta2 rotation byte: −(s+1) clockwise, −s counter-clockwise", () => {
  assert.equal(meta2RotationByte(100), 0x9b);
  assert.equal(meta2RotationByte(0), 0xff);
  assert.equal(meta2RotationByte(-100), 0x64);
  assert.equal(meta2RotationByte(-1), 0x01);
});

Deno.test("tryfun: Yuan frames with response; TF-SPRAY vibrate frames", async () => {
  using h = await harness("tryfun", "TRYFUN-ONE");
  const yuan = definition("tryfun", "TRYFUN-ONE");
  const handler = await tryfun.initialize(h.ctx, yuan);
  const osc = handler.oscillate!(yuan.features[0], 9);
  assert.deepEqual(bytes(osc), [[0xaa, 0x02, 0x07, 0x09, 0xf0]]);
  assert.ok(osc[0].kind === "write" && osc[0].withResponse);
  assert.deepEqual(bytes(handler.rotate!(yuan.features[1], 0)), [[0xaa, 0x02, 0x08, 0x00, 0xf8]]);

  const spray = definition("tryfun", "TF-SPRAY");
  assert.equal(spray.name, "TryFun Surge Pro");
  assert.deepEqual(bytes(handler.vibrate!(spray.features[0], 3)), [[
    0x00,
    0x02,
    0x00,
    0x05,
    0x02,
    0x03,
    0x01,
    0x00,
    0xfa,
  ]]);
  assert.deepEqual(bytes(handler.vibrate!(spray.features[0], 0)), [[
    0x00,
    0x02,
    0x00,
    0x05,
    0x01,
    0x02,
    0x01,
    0x01,
    0xfc,
  ]]);
});

Deno.test("blackhole and meta2: one packet counter shared by all outputs, wrapping at 256", async () => {
  using h = await harness("tryfun-blackhole", "TF-ROCK");
  const rock = definition("tryfun-blackhole", "TF-ROCK");
  assert.deepEqual(rock.features.map((f) => f.index), [1]);
  const bh = await tryfunBlackhole.initialize(h.ctx, rock);
  const first = bh.vibrate!(rock.features[0], 50);
  assert.deepEqual(bytes(first), [[0x00, 0x02, 0x00, 0x03, 0x09, 0x32, 0xc5]]);
  assert.ok(first[0].kind === "write" && !first[0].withResponse);
  for (let i = 1; i < 256; i++) bh.vibrate!(rock.features[0], i % 2);
  assert.equal(bytes(bh.vibrate!(rock.features[0], 0))[0][0], 0x00, "pid wrapped to 0");

  const meta = definition("tryfun-meta2", "TF-META2");
  const m2 = await tryfunMeta2.initialize(h.ctx, meta);
  assert.deepEqual(bytes(m2.vibrate!(meta.features[1], 100))[0].slice(0, 1), [0]);
  assert.deepEqual(bytes(m2.rotate!(meta.features[2], -50)), [[
    0x01,
    0x02,
    0x00,
    0x05,
    0x21,
    0x05,
    0x0e,
    0x32,
    0x9a,
  ]]);
});
