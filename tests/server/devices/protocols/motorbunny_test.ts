import assert from "node:assert/strict";
import {
  motorbunny,
  motorbunnyRotateFrame,
  motorbunnyVibrateFrame,
} from "../../../../server/devices/protocols/motorbunny.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("motorbunny vibrate frames: stop frame, 7 pairs + byte sum + EC", () => {
  assert.deepEqual(motorbunnyVibrateFrame(0), [0xf0, 0x00, 0x00, 0x00, 0x00, 0xec]);
  // 7 × (0x64 + 0x14) = 840 → 0x48 (DEVICES.md §3.9 example).
  const f = motorbunnyVibrateFrame(100);
  assert.equal(f.length, 17);
  assert.deepEqual(f.slice(0, 3), [0xff, 0x64, 0x14]);
  assert.deepEqual(f.slice(15), [0x48, 0xec]);
});

Deno.test("motorbunny rotate frames: direction byte 2A/29, |s|, sum", () => {
  assert.deepEqual(motorbunnyRotateFrame(0), [0xa0, 0x00, 0x00, 0x00, 0x00, 0xec]);
  // −50: 7 × (0x29 + 0x32) = 637 → 0x7D (DEVICES.md §3.9 example: AF + 7×(29 32) + 7D EC).
  const ccw = motorbunnyRotateFrame(-50);
  assert.deepEqual(ccw.slice(0, 3), [0xaf, 0x29, 0x32]);
  assert.deepEqual(ccw.slice(15), [0x7d, 0xec]);
  const cw = motorbunnyRotateFrame(255);
  assert.deepEqual(cw.slice(0, 3), [0xaf, 0x2a, 0xff]);
  assert.equal(cw[15], (7 * (0x2a + 0xff)) & 0xff);
});

Deno.test("motorbunny handler: vibrate on feature 0, rotate on feature 1, no response", async () => {
  using h = await harness("motorbunny", "MB Controller");
  const def = definition("motorbunny", "MB Controller");
  const handler = await motorbunny.initialize(h.ctx, def);
  const [v] = handler.vibrate!(def.features[0], 100);
  assert.ok(v.kind === "write" && !v.withResponse && v.endpoint === "tx");
  assert.deepEqual(bytes(handler.rotate!(def.features[1], -50)), [motorbunnyRotateFrame(-50)]);
});
