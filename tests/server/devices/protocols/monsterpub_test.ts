import assert from "node:assert/strict";
import { FakeClock } from "../../../_helpers/fake_clock.ts";
import { FakePeripheral } from "../../../../hardware/fake_peripheral.ts";
import { DeviceContext } from "../../../../server/devices/context.ts";
import { ButtplugDeviceError } from "../../../../protocol/errors.ts";
import {
  monsterpub,
  MONSTERPUB_CID,
  monsterpubAuthReply,
} from "../../../../server/devices/protocols/monsterpub.ts";
import type { HardwareCommand } from "../../../../server/devices/protocol.ts";
import { definition, harness } from "./_harness.ts";

const adv = { transport: "btle" as const, name: "MonsterPub", address: "a" };
const ascii = (s: string) => [...new TextEncoder().encode(s)];

/** A peripheral whose only service holds `endpoints` (so endpoint choice can be tested). */
async function custom(endpoints: string[]) {
  const clock = new FakeClock();
  const peripheral = new FakePeripheral({ name: "MonsterPub", clock });
  const chars = Object.fromEntries(
    endpoints.map((e, i) => [e, `0000600${i}-0000-1000-8000-00805f9b34fb`]),
  );
  await peripheral.connect({ btle: { names: ["MonsterPub"], services: { s: chars } } });
  const ctx = new DeviceContext(peripheral, clock);
  return {
    clock,
    peripheral,
    ctx,
    [Symbol.dispose]() {
      ctx[Symbol.dispose]();
      peripheral[Symbol.dispose]();
    },
  };
}

const write = (c: HardwareCommand) => {
  assert.equal(c.kind, "write");
  return c as Extract<HardwareCommand, { kind: "write" }>;
};

Deno.test("auth reply: bytes 1-15 XOR the selected key; bad index or short challenge refused", () => {
  const challenge = [2, ...new Array(15).fill(0)];
  assert.deepEqual(monsterpubAuthReply(challenge), ascii("SIS6SIS6SIS6SIS"));
  const talk = [3, ...ascii("TALKTALKTALKTAL")];
  assert.deepEqual(monsterpubAuthReply(talk), new Array(15).fill(0));
  assert.throws(() => monsterpubAuthReply([4, ...new Array(15).fill(0)]), ButtplugDeviceError);
  assert.throws(() => monsterpubAuthReply([0, 1, 2]), /16 challenge bytes/);
});

Deno.test("identify: model name without NULs; Unknown when the read fails; non-UTF-8 refused", async () => {
  using h = await harness("monsterpub", "MonsterPub");
  h.peripheral.queueRead("rxblemodel", [...ascii("TDG_CRAYBIT_PT"), 0, 0, 0]);
  assert.deepEqual(await monsterpub.identify!(h.ctx, adv), { identifier: "TDG_CRAYBIT_PT" });

  const failing = monsterpub.identify!(h.ctx, adv);
  await h.clock.tick(500);
  assert.deepEqual(await failing, { identifier: "Unknown" });

  h.peripheral.queueRead("rxblemodel", [0xff, 0xfe, 0x00]);
  await assert.rejects(monsterpub.identify!(h.ctx, adv), /not UTF-8/);
});

Deno.test("initialize: rx challenge answered on rx with response; motors on txvibrate", async () => {
  using h = await harness("monsterpub", "MonsterPub");
  const def = definition("monsterpub", "TDG_CRAYBIT_PT");
  assert.equal(def.features.length, 3);
  h.peripheral.queueRead("rx", [0, ...new Array(15).fill(0x01)]);
  const handler = await monsterpub.initialize(h.ctx, def);
  const [auth] = h.peripheral.takeCommands();
  assert.ok(auth.kind === "write" && auth.endpoint === "rx" && auth.withResponse);
  assert.deepEqual([...auth.data], ascii("2IPO2IPO2IPO2IP").map((b) => b ^ 0x01));

  handler.vibrate!(def.features[0], 10);
  const cmd = write(handler.vibrate!(def.features[2], 30)[0]);
  assert.equal(cmd.endpoint, "txvibrate");
  assert.equal(cmd.withResponse, false);
  assert.deepEqual([...cmd.data], [10, 0, 30]);
  assert.deepEqual(cmd.cids, [MONSTERPUB_CID]);
});

Deno.test("initialize: a failed challenge read refuses the device", async () => {
  using h = await harness("monsterpub", "MonsterPub");
  const init = monsterpub.initialize(h.ctx, definition("monsterpub"));
  await h.clock.tick(200);
  await assert.rejects(Promise.resolve(init), /authentication read failed/);
});

Deno.test("tx fallback: all-zero packets go to txmode with response; no rx means no auth", async () => {
  using c = await custom(["tx", "txmode"]);
  const def = definition("monsterpub", "MP_SUCKBANG_P5");
  const handler = await monsterpub.initialize(c.ctx, def);
  assert.deepEqual(c.peripheral.takeCommands(), []);
  const on = write(handler.oscillate!(def.features[0], 40)[0]);
  assert.deepEqual([on.endpoint, on.withResponse, [...on.data]], ["tx", false, [40, 0]]);
  const off = write(handler.oscillate!(def.features[0], 0)[0]);
  assert.deepEqual([off.endpoint, off.withResponse, [...off.data]], ["txmode", true, [0, 0]]);
});

Deno.test("generic0 fallback: packets prefixed with 03", async () => {
  using c = await custom(["generic0"]);
  const def = definition("monsterpub");
  const handler = await monsterpub.initialize(c.ctx, def);
  const cmd = write(handler.vibrate!(def.features[0], 0)[0]);
  assert.deepEqual([cmd.endpoint, [...cmd.data]], ["generic0", [0x03, 0x00]]);
});
