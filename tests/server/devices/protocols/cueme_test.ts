import assert from "node:assert/strict";
import {
  cueme,
  CUEME_ALTERNATE_MS,
  CUEME_CID,
  cuemeByte,
} from "../../../../server/devices/protocols/cueme.ts";
import { bytes, definition, harness } from "./_harness.ts";

const adv = (name: string) => ({ transport: "btle" as const, name, address: "a" });

Deno.test("cueme: identifier is the third name part", async () => {
  using h = await harness("cueme", "FUNCODE_AB_2");
  assert.deepEqual(await cueme.identify!(h.ctx, adv("FUNCODE_AB_2")), { identifier: "2" });
  using h2 = await harness("cueme", "FUNCODE_X");
  assert.deepEqual(await cueme.identify!(h2.ctx, adv("FUNCODE_X")), {});
  assert.equal(cuemeByte(7, 15), 0x8f);
});

Deno.test("cueme: one motor at a time; running motors alternate every 500 ms", async () => {
  using h = await harness("cueme", "FUNCODE_AB_3");
  const def = definition("cueme", "3");
  assert.equal(def.features.length, 4);
  const handler = await cueme.initialize(h.ctx, def);
  handler.start!(h.ctx);
  const [m0, m1, m2] = def.features;
  const first = handler.vibrate!(m0, 8);
  assert.deepEqual(bytes(first), [[0x18]]);
  assert.ok(first[0].kind === "write" && first[0].cids[0] === CUEME_CID);
  await h.clock.tick(CUEME_ALTERNATE_MS * 2);
  assert.equal(h.peripheral.takeCommands().length, 0, "one motor: nothing to alternate");

  assert.deepEqual(bytes(handler.vibrate!(m2, 4)), [[0x34]], "the changed motor shows at once");
  const loopBytes = async (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      await h.clock.tick(CUEME_ALTERNATE_MS);
      for (const c of h.peripheral.takeCommands()) if (c.kind === "write") out.push(c.data[0]);
    }
    return out;
  };
  assert.deepEqual(await loopBytes(3), [0x18, 0x34, 0x18]);
  assert.deepEqual(bytes(handler.vibrate!(m0, 0)), [[0x34]], "hand over to the running motor");
  assert.deepEqual(await loopBytes(2), []);
  handler.vibrate!(m1, 1);
  assert.deepEqual(bytes(handler.vibrate!(m2, 0)), [[0x21]]);
  assert.deepEqual(bytes(handler.vibrate!(m1, 0)), [[0x00]], "all off");
  assert.deepEqual(await loopBytes(2), []);
});
