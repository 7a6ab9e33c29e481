import assert from "node:assert/strict";
import {
  vibratissimo,
  vibratissimoModel,
} from "../../../../server/devices/protocols/vibratissimo.ts";
import { definition, harness } from "./_harness.ts";

const adv = { transport: "btle" as const, name: "Vibratissimo", address: "a" };
const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("model bytes: UTF-8 with trailing NULs dropped; non-UTF-8 is no model", () => {
  assert.equal(vibratissimoModel(enc("Licker")), "Licker");
  assert.equal(vibratissimoModel(enc("Rabbit\0\0\0")), "Rabbit");
  assert.equal(vibratissimoModel(Uint8Array.of(0xc3, 0x28)), undefined);
});

Deno.test("identify: model read, else the BLE name (bad bytes or a failed read)", async () => {
  using h = await harness("vibratissimo", "Vibratissimo");
  h.peripheral.queueRead("rxblemodel", enc("SecretKiss"));
  assert.deepEqual(await vibratissimo.identify!(h.ctx, adv), { identifier: "SecretKiss" });
  assert.equal(definition("vibratissimo", "SecretKiss").name, "Vibratissimo Licker");

  h.peripheral.queueRead("rxblemodel", [0xff, 0xfe]);
  assert.deepEqual(await vibratissimo.identify!(h.ctx, adv), { identifier: "Vibratissimo" });

  const failed = vibratissimo.identify!(h.ctx, adv);
  await h.clock.tick(500); // nothing queued: the read times out
  assert.deepEqual(await failed, { identifier: "Vibratissimo" });
});

Deno.test("vibrate: txmode 03 FF then every vibrator's last value on txvibrate", async () => {
  using h = await harness("vibratissimo", "Vibratissimo");
  const licker = definition("vibratissimo", "Licker");
  const handler = await vibratissimo.initialize(h.ctx, licker);
  handler.vibrate!(licker.features[0], 200);
  const cmds = handler.vibrate!(licker.features[1], 17);
  assert.deepEqual(
    cmds.map((c) => c.kind === "write" ? [c.endpoint, [...c.data], c.withResponse] : []),
    [["txmode", [0x03, 0xff], false], ["txvibrate", [200, 17], false]],
  );
  assert.ok(cmds.every((c) => c.kind === "write" && c.cids[0] === licker.features[1].id));

  const single = definition("vibratissimo");
  const one = await vibratissimo.initialize(h.ctx, single);
  const [, data] = one.vibrate!(single.features[0], 9);
  assert.ok(data.kind === "write");
  assert.deepEqual([...data.data], [9, 0x00], "single vibrator padded with 00");
});
