import assert from "node:assert/strict";
import {
  LIBO_SHARK_CID,
  LIBO_VIBES_TX_CID,
  LIBO_VIBES_TXMODE_CID,
  liboElle,
  liboElleShock,
  liboShark,
  liboVibes,
} from "../../../../server/devices/protocols/libo.ts";
import type { HardwareCommand } from "../../../../server/devices/protocol.ts";
import { definition, harness } from "./_harness.ts";

const out = (cmds: HardwareCommand[]) =>
  cmds.map((c) => c.kind === "write" ? [c.endpoint, ...c.data] : [c.kind]);

Deno.test("libo-elle: shock byte table; feature 0 on txmode, feature 1 on tx", async () => {
  assert.equal(liboElleShock(0), 0x00);
  assert.equal(liboElleShock(1), 0x01);
  assert.equal(liboElleShock(7), 0x61);
  assert.equal(liboElleShock(8), 0x04);
  assert.equal(liboElleShock(10), 0x24);
  using h = await harness("libo-elle", "PiPiJing");
  const def = definition("libo-elle", "PiPiJing");
  const handler = await liboElle.initialize(h.ctx, def);
  assert.deepEqual(out(handler.vibrate!(def.features[0], 2)), [["txmode", 2]]);
  assert.deepEqual(out(handler.vibrate!({ ...def.features[0], index: 1 }, 3)), [["tx", 0x21]]);
});

Deno.test("libo-shark: (v0 << 4) | v1 with one CID", async () => {
  using h = await harness("libo-shark", "ShaYu");
  const def = definition("libo-shark", "ShaYu");
  const handler = await liboShark.initialize(h.ctx, def);
  handler.vibrate!(def.features[0], 2);
  const cmds = handler.vibrate!(def.features[1], 3);
  assert.deepEqual(out(cmds), [["tx", 0x23]]);
  assert.deepEqual(cmds[0].kind === "write" && cmds[0].cids, [LIBO_SHARK_CID]);
});

Deno.test("libo-vibes: txmode stop only on single-motor devices; CID per endpoint", async () => {
  using h = await harness("libo-vibes", "XiaoLu");
  const lottie = definition("libo-vibes", "XiaoLu");
  const one = await liboVibes.initialize(h.ctx, lottie);
  assert.deepEqual(out(one.vibrate!(lottie.features[0], 40)), [["tx", 40]]);
  const stop = one.vibrate!(lottie.features[0], 0);
  assert.deepEqual(out(stop), [["tx", 0], ["txmode", 0]]);
  assert.deepEqual(stop.map((c) => c.kind === "write" && c.cids[0]), [
    LIBO_VIBES_TX_CID,
    LIBO_VIBES_TXMODE_CID,
  ]);

  const lala = definition("libo-vibes", "BaiHu");
  const two = await liboVibes.initialize(h.ctx, lala);
  assert.deepEqual(out(two.vibrate!(lala.features[0], 0)), [["tx", 0]]);
  assert.deepEqual(out(two.vibrate!(lala.features[1], 3)), [["txmode", 3]]);
});
