import assert from "node:assert/strict";
import {
  LOVEHONEY_DESIRE_CID_1,
  LOVEHONEY_DESIRE_CID_2,
  lovehoneyDesire,
} from "../../../../server/devices/protocols/lovehoney_desire.ts";
import { definition, harness } from "./_harness.ts";
import type { HardwareCommand } from "../../../../server/devices/protocol.ts";

const out = (cmds: HardwareCommand[]) =>
  cmds.map((c) => c.kind === "write" ? [...c.data, c.withResponse, ...c.cids] : []);

Deno.test("lovehoney-desire: single motor, two motors equal / different, CIDs", async () => {
  using h = await harness("lovehoney-desire", "LOVE EGG");
  const egg = definition("lovehoney-desire", "LOVE EGG");
  const one = await lovehoneyDesire.initialize(h.ctx, egg);
  assert.deepEqual(out(one.vibrate!(egg.features[0], 64)), [
    [0xf3, 0x00, 0x40, true, LOVEHONEY_DESIRE_CID_1],
  ]);

  const prostate = definition("lovehoney-desire", "PROSTATE VIBE");
  const two = await lovehoneyDesire.initialize(h.ctx, prostate);
  assert.deepEqual(out(two.vibrate!(prostate.features[0], 64)), [
    [0xf3, 0x01, 0x40, true, LOVEHONEY_DESIRE_CID_1],
    [0xf3, 0x02, 0x00, true, LOVEHONEY_DESIRE_CID_2],
  ]);
  assert.deepEqual(out(two.vibrate!(prostate.features[1], 64)), [
    [0xf3, 0x00, 0x40, true, LOVEHONEY_DESIRE_CID_1, LOVEHONEY_DESIRE_CID_2],
  ]);
});
