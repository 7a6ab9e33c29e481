import assert from "node:assert/strict";
import {
  suitcaseLevel,
  SVAKOM_V4_CID,
  svakomAvaneo,
  svakomBarney,
  svakomDualFrame,
  svakomIker,
  svakomPulse,
  svakomSam,
  svakomSuitcase,
  svakomTarax,
  svakomV2,
  svakomV4,
  svakomV5,
  svakomV6,
} from "../../../../server/devices/protocols/svakom.ts";
import { FakePeripheral } from "../../../../hardware/fake_peripheral.ts";
import { DeviceContext } from "../../../../server/devices/context.ts";
import type { FeatureDefinition, HardwareCommand } from "../../../../server/devices/protocol.ts";
import { FakeClock } from "../../../_helpers/fake_clock.ts";
import { bytes, definition, harness } from "./_harness.ts";

const cids = (cmds: HardwareCommand[]): string[][] =>
  cmds.map((c) => (c.kind === "write" ? [...c.cids] : []));

Deno.test("suitcase level split: bands of ten, multiples of ten as speed 10 below", () => {
  assert.deepEqual(suitcaseLevel(0), [0, 0]);
  assert.deepEqual(suitcaseLevel(1), [1, 1]);
  assert.deepEqual(suitcaseLevel(9), [1, 9]);
  assert.deepEqual(suitcaseLevel(10), [1, 10]);
  assert.deepEqual(suitcaseLevel(11), [2, 1]);
  assert.deepEqual(suitcaseLevel(20), [2, 10]);
  assert.deepEqual(suitcaseLevel(30), [3, 10]);
});

Deno.test("dual frame: modes, flag, single-vibrator clause, trailing byte", () => {
  const v4 = { flag: 1, singleClause: true, trailingZero: true };
  const v5 = { flag: 1, singleClause: false, trailingZero: false };
  assert.deepEqual(svakomDualFrame(5, 0, 2, v4), [0x55, 3, 1, 0, 1, 5, 0]);
  assert.deepEqual(svakomDualFrame(0, 7, 2, v4), [0x55, 3, 2, 0, 1, 7, 0]);
  assert.deepEqual(svakomDualFrame(3, 7, 2, v4), [0x55, 3, 0, 0, 1, 7, 0]);
  assert.deepEqual(svakomDualFrame(0, 0, 2, v4), [0x55, 3, 0, 0, 0, 0, 0]);
  assert.deepEqual(svakomDualFrame(5, 0, 1, v4), [0x55, 3, 0, 0, 1, 5, 0], "single vibrator");
  assert.deepEqual(svakomDualFrame(5, 0, 1, v5), [0x55, 3, 1, 0, 1, 5], "v5: no clause");
  assert.deepEqual(svakomDualFrame(4, 0, 2, { ...v4, flag: 3 }), [0x55, 3, 1, 0, 3, 4, 0]);
});

Deno.test("v4 / barney / v5 / v6 keep both motors and share one CID", async () => {
  using h = await harness("svakom-v4", "ERICA");
  const erica = definition("svakom-v4", "ERICA");
  const v4 = await svakomV4.initialize(h.ctx, erica);
  v4.vibrate!(erica.features[0], 6);
  const both = v4.vibrate!(erica.features[1], 2);
  assert.deepEqual(bytes(both), [[0x55, 3, 0, 0, 1, 6, 0]]);
  assert.deepEqual(cids(both), [[SVAKOM_V4_CID]]);

  const barneyDef = definition("svakom-barney", "DJ333A");
  const barney = await svakomBarney.initialize(h.ctx, barneyDef);
  assert.deepEqual(bytes(barney.vibrate!(barneyDef.features[1], 9)), [[0x55, 3, 2, 0, 3, 9, 0]]);

  const mora = definition("svakom-v5", "Mora Neo");
  const v5 = await svakomV5.initialize(h.ctx, mora);
  assert.deepEqual(bytes(v5.vibrate!(mora.features[0], 4)), [[0x55, 3, 1, 0, 1, 4]]);
  const osc = v5.oscillate!(mora.features[2], 3);
  assert.deepEqual(bytes(osc), [[0x55, 9, 0, 0, 3, 0]]);
  assert.deepEqual(cids(osc), [[mora.features[2].id]]);

  const ikerNeo = definition("svakom-v6", "Iker Neo");
  const v6 = await svakomV6.initialize(h.ctx, ikerNeo);
  const third = v6.vibrate!(ikerNeo.features[2], 5);
  assert.deepEqual(bytes(third), [[0x55, 7, 0, 0, 1, 5, 0]]);
  assert.deepEqual(cids(third), [[ikerNeo.features[2].id]]);
  assert.deepEqual(bytes(v6.vibrate!(ikerNeo.features[1], 3)), [[0x55, 3, 2, 0, 1, 3, 0]]);
});

Deno.test("iker: both stopped, v0 only, v1 adds a second frame with the same CID", async () => {
  using h = await harness("svakom-iker", "Iker");
  const def = definition("svakom-iker", "Iker");
  const handler = await svakomIker.initialize(h.ctx, def);
  const [f0, f1] = def.features;
  assert.deepEqual(bytes(handler.vibrate!(f0, 4)), [[0x55, 3, 3, 0, 1, 4]]);
  const two = handler.vibrate!(f1, 2);
  assert.deepEqual(bytes(two), [[0x55, 3, 3, 0, 1, 4], [0x55, 7, 0, 0, 2, 0]]);
  assert.deepEqual(cids(two), [[f1.id], [f1.id]]);
  handler.vibrate!(f0, 0);
  assert.deepEqual(bytes(handler.vibrate!(f1, 0)), [[0x55, 7, 0, 0, 0, 0]]);
});

Deno.test("per-feature branches: avaneo, tarax, suitcase, pulse", async () => {
  using h = await harness("svakom-avaneo", "Ava Neo");
  const ava = definition("svakom-avaneo", "Ava Neo");
  const a = await svakomAvaneo.initialize(h.ctx, ava);
  assert.deepEqual(bytes(a.vibrate!(ava.features[0], 3)), [[0x55, 3, 0, 0, 1, 3]]);
  assert.deepEqual(bytes(a.oscillate!(ava.features[1], 1)), [[0x55, 8, 0, 0, 1, 0xff]]);
  // Feature 0 oscillating uses the feature-0 frame; a vibrating feature 1 the 09 frame.
  assert.deepEqual(bytes(a.oscillate!(ava.features[0], 2)), [[0x55, 3, 0, 0, 1, 2]]);
  assert.deepEqual(bytes(a.vibrate!(ava.features[1], 1)), [[0x55, 9, 0, 0, 1, 0xff]]);

  const tara = definition("svakom-tarax", "SX218A");
  const t = await svakomTarax.initialize(h.ctx, tara);
  assert.deepEqual(bytes(t.vibrate!(tara.features[0], 0)), [[0x55, 3, 0, 0, 1, 1]]);
  assert.deepEqual(bytes(t.vibrate!(tara.features[0], 3)), [[0x55, 3, 0, 0, 3, 2]]);
  assert.deepEqual(bytes(t.vibrate!(tara.features[1], 2)), [[0x55, 9, 0, 0, 2, 0]]);

  const suit = definition("svakom-suitcase", "VX236A-BLE-V1.0");
  assert.equal(suit.name, "Coleur Dor VX236A");
  const s = await svakomSuitcase.initialize(h.ctx, suit);
  assert.deepEqual(bytes(s.vibrate!(suit.features[0], 27)), [[0x55, 3, 0, 0, 3, 7]]);

  const pulse = definition("svakom-pulse", "SWK-SX013A");
  const p = await svakomPulse.initialize(h.ctx, pulse);
  assert.deepEqual(bytes(p.vibrate!(pulse.features[0], 9)), [[0x55, 3, 3, 0, 1, 10]]);
});

Deno.test("v2: second feature uses the 06 frame; every write with response", async () => {
  using h = await harness("svakom-v2", "Viviana");
  const def = definition("svakom-v2", "Viviana");
  const handler = await svakomV2.initialize(h.ctx, def);
  const second: FeatureDefinition = { ...def.features[0], index: 1, id: "second" };
  const cmds = [...handler.vibrate!(def.features[0], 4), ...handler.vibrate!(second, 4)];
  assert.deepEqual(bytes(cmds), [[0x55, 3, 3, 0, 1, 4], [0x55, 6, 1, 0, 4, 4]]);
  assert.ok(cmds.every((c) => c.kind === "write" && c.withResponse));
});

Deno.test("sam: subscribes rx; gen2 with txmode/firmware, gen1 without", async () => {
  using h = await harness("svakom-sam", "Sam Neo");
  const def = definition("svakom-sam", "Sam Neo");
  const gen2 = await svakomSam.initialize(h.ctx, def);
  assert.deepEqual(h.peripheral.takeCommands(), [{ kind: "subscribe", endpoint: "rx" }]);
  assert.deepEqual(bytes(gen2.vibrate!(def.features[0], 7)), [[0x12, 1, 3, 0, 4, 7]]);
  assert.deepEqual(bytes(gen2.vibrate!(def.features[0], 0)), [[0x12, 1, 3, 0, 0, 0]]);
  assert.deepEqual(bytes(gen2.constrict!(def.features[1], 1)), [[0x12, 6, 1, 1]]);

  const clock = new FakeClock();
  using old = new FakePeripheral({ name: "Sam Neo", clock });
  await old.connect({
    btle: { names: ["Sam Neo"], services: { "0000ae00": { tx: "ae01", rx: "ae02" } } },
  });
  using ctx = new DeviceContext(old, clock);
  const gen1 = await svakomSam.initialize(ctx, def);
  assert.deepEqual(bytes(gen1.vibrate!(def.features[0], 7)), [[0x12, 1, 3, 0, 5, 7]]);
  assert.deepEqual(bytes(gen1.vibrate!(def.features[0], 0)), [[0x12, 1, 3, 0, 5, 0]]);
});
