import assert from "node:assert/strict";
import {
  MAGIC_MOTION_2_CID,
  MAGIC_MOTION_4_CID,
  magicMotion1,
  magicMotion2,
  magicMotion3,
  magicMotion4,
} from "../../../../server/devices/protocols/magic_motion.ts";
import type { HardwareCommand } from "../../../../server/devices/protocol.ts";
import { bytes, definition, harness } from "./_harness.ts";

const wr = (c: HardwareCommand[]) => c[0].kind === "write" && c[0].withResponse;

Deno.test("magic-motion-1 and -3: single-motor frames (vibrate and oscillate)", async () => {
  using h = await harness("magic-motion-1", "Xone");
  const xone = definition("magic-motion-1", "Xone");
  const m1 = await magicMotion1.initialize(h.ctx, xone);
  const osc = m1.oscillate!(xone.features[0], 60);
  assert.deepEqual(bytes(osc), [[0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0, 0x04, 0x08, 60, 0x64, 0]]);
  assert.equal(wr(osc), false);
  const krush = definition("magic-motion-3", "Krush");
  const m3 = await magicMotion3.initialize(h.ctx, krush);
  assert.deepEqual(bytes(m3.vibrate!(krush.features[0], 77)), [[
    0x0b,
    0xff,
    0x04,
    0x0a,
    0x46,
    0x46,
    0,
    0x04,
    0x08,
    77,
    0x64,
    0,
  ]]);
});

Deno.test("magic-motion-2: slots by feature index; oscillate fills its slot too", async () => {
  using h = await harness("magic-motion-2", "CBT001");
  const jive = definition("magic-motion-2", "CBT001");
  const m2 = await magicMotion2.initialize(h.ctx, jive);
  m2.vibrate!(jive.features[0], 10);
  const cmds = m2.oscillate!(jive.features[1], 20);
  assert.deepEqual(bytes(cmds), [[
    0x10,
    0xff,
    0x04,
    0x0a,
    0x32,
    0x0a,
    0,
    0x04,
    0x08,
    10,
    0x64,
    0,
    0x04,
    0x08,
    20,
    0x64,
    0x01,
  ]]);
  assert.equal(wr(cmds), false);
  assert.deepEqual(cmds[0].kind === "write" && cmds[0].cids, [MAGIC_MOTION_2_CID]);
  assert.throws(() => m2.vibrate!({ ...jive.features[0], index: 2 }, 1), /no slot 2/);
});

Deno.test("magic-motion-4: with response; single motor mirrors, two motors by slot", async () => {
  using h = await harness("magic-motion-4", "umi");
  const umi = definition("magic-motion-4", "umi");
  const two = await magicMotion4.initialize(h.ctx, umi);
  two.vibrate!(umi.features[1], 25);
  const cmds = two.vibrate!(umi.features[0], 50);
  assert.deepEqual(bytes(cmds)[0].slice(9), [50, 0x64, 0, 0x04, 0x08, 25, 0x64, 0x01]);
  assert.ok(wr(cmds));
  assert.deepEqual(cmds[0].kind === "write" && cmds[0].cids, [MAGIC_MOTION_4_CID]);
  const nyx = definition("magic-motion-4", "nyx");
  const one = await magicMotion4.initialize(h.ctx, nyx);
  assert.deepEqual(bytes(one.vibrate!(nyx.features[0], 7))[0].slice(9), [
    7,
    0x64,
    0,
    0x04,
    0x08,
    7,
    0x64,
    0x01,
  ]);
});
