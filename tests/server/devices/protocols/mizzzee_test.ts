import assert from "node:assert/strict";
import {
  mizzzee,
  mizzzeeV2,
  mizzzeeV3,
  mizzzeeV3Frame,
} from "../../../../server/devices/protocols/mizzzee.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("mizzzee-v3 frame: zero frame, then the 20-byte motor frame (hand-computed words)", () => {
  assert.deepEqual(mizzzeeV3Frame(0), [0x03, 0x12, ...new Array(18).fill(0)]);
  // (s/1000*0.7+0.3)*1023 truncated: 1 → 307 (0x4CFC), 500 → 664 (0xA63C), 1000 → 1023 (0xFFFC).
  const frame = (lo: number, hi: number) => [
    0x03,
    0x12,
    0xf3,
    0x00,
    0xfc,
    0x00,
    0xfe,
    0x40,
    0x01,
    lo,
    hi,
    0x00,
    0xfc,
    0x00,
    0xfe,
    0x40,
    0x01,
    lo,
    hi,
    0x00,
  ];
  assert.deepEqual(mizzzeeV3Frame(1), frame(0xfc, 0x4c));
  assert.deepEqual(mizzzeeV3Frame(500), frame(0x3c, 0xa6));
  assert.deepEqual(mizzzeeV3Frame(1000), frame(0xfc, 0xff));
  for (let s = 0; s <= 1000; s += 37) assert.equal(mizzzeeV3Frame(s).length, 20);
});

Deno.test("mizzzee-v3 handler: with response, per-feature CID, 200 ms timed keepalive", async () => {
  using h = await harness("mizzzee-v3", "XHTKJ");
  const def = definition("mizzzee-v3", "XHTKJ");
  const handler = await mizzzeeV3.initialize(h.ctx, def);
  assert.deepEqual(handler.keepalive, { kind: "repeat-last-with-timing", ms: 200 });
  const [cmd] = handler.vibrate!(def.features[0], 500);
  assert.ok(cmd.kind === "write" && cmd.withResponse && cmd.endpoint === "tx");
  assert.deepEqual(cmd.cids, [def.features[0].id]);
  assert.deepEqual([...cmd.data], mizzzeeV3Frame(500));
});

Deno.test("mizzzee v1 and v2 packets", async () => {
  using h = await harness("mizzzee", "NFY008");
  const d1 = definition("mizzzee", "NFY008");
  const v1 = await mizzzee.initialize(h.ctx, d1);
  assert.deepEqual(bytes(v1.vibrate!(d1.features[0], 34)), [[0x69, 0x96, 0x03, 0x01, 0x01, 0x22]]);
  assert.deepEqual(bytes(v1.vibrate!(d1.features[0], 0)), [[0x69, 0x96, 0x03, 0x01, 0x00, 0x00]]);
  const d2 = definition("mizzzee-v2", "XHT");
  const v2 = await mizzzeeV2.initialize(h.ctx, d2);
  assert.deepEqual(bytes(v2.vibrate!(d2.features[0], 68)), [[
    0x69,
    0x96,
    0x04,
    0x02,
    0x44,
    0x2c,
    0x44,
  ]]);
});
