import assert from "node:assert/strict";
import {
  COWGIRL_CONE_SETTLE_MS,
  cowgirlCone,
} from "../../../../server/devices/protocols/cowgirl_cone.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("cowgirl-cone: wake-up write, 3 s settle on the context clock, F1 01 s 00", async () => {
  using h = await harness("cowgirl-cone", "CG-CONE");
  const def = definition("cowgirl-cone", "CG-CONE");
  let done = false;
  const pending = Promise.resolve(cowgirlCone.initialize(h.ctx, def)).then((x) => {
    done = true;
    return x;
  });
  await h.clock.tick(0);
  assert.deepEqual(
    h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data] : []),
    [[0xaa, 0x56, 0x00, 0x00]],
  );
  await h.clock.tick(COWGIRL_CONE_SETTLE_MS - 1);
  assert.equal(done, false, "still settling");
  await h.clock.tick(1);
  const handler = await pending;
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 128)), [[0xf1, 0x01, 0x80, 0x00]]);
});
