import assert from "node:assert/strict";
import {
  hismith,
  HISMITH_MINI_DIRECTION_CID,
  hismithMini,
} from "../../../../server/devices/protocols/hismith.ts";
import { bytes, definition, harness } from "./_harness.ts";

const adv = (name: string) => ({ transport: "btle" as const, name, address: "a" });

Deno.test("hismith identify: legacy ids stay, others become hismith-mini", async () => {
  using h = await harness("hismith", "HISMITH");
  h.peripheral.queueRead("rxblemodel", [0x20, 0x01]);
  assert.deepEqual(await hismith.identify!(h.ctx, adv("HISMITH")), { identifier: "2001" });
  h.peripheral.queueRead("rxblemodel", [0x10, 0x05]);
  const mini = await hismith.identify!(h.ctx, adv("HISMITH"));
  assert.equal(mini.identifier, "1005");
  assert.equal(mini.protocol, "hismith-mini");
  assert.equal(mini.initialize, hismithMini.initialize);
  h.peripheral.queueRead("rxblemodel", [0x0a, 0xbc]);
  assert.deepEqual(await hismithMini.identify!(h.ctx, adv("Sinloli")), { identifier: "0abc" });
  const failing = hismith.identify!(h.ctx, adv("HISMITH"));
  await h.clock.tick(500);
  await assert.rejects(failing, /cannot read the model id/);
});

Deno.test("hismith: AA frames, F0 for a stopped second feature", async () => {
  using h = await harness("hismith", "HISMITH");
  const def = definition("hismith", "2001");
  const handler = await hismith.initialize(h.ctx, def);
  const [osc, vib] = def.features;
  assert.deepEqual(bytes(handler.oscillate!(osc, 100)), [[0xaa, 0x04, 0x64, 0x68]]);
  assert.deepEqual(bytes(handler.vibrate!(vib, 1)), [[0xaa, 0x06, 0x01, 0x07]]);
  assert.deepEqual(bytes(handler.vibrate!(vib, 0)), [[0xaa, 0x06, 0xf0, 0xf6]]);
});

Deno.test("hismith-mini: vibrate/constrict index rules, rotate direction, spray", async () => {
  using h = await harness("hismith-mini", "Eropair X");
  const rabbit = definition("hismith-mini", "3101"); // two vibrators
  const r = await hismithMini.initialize(h.ctx, rabbit);
  assert.deepEqual(bytes(r.vibrate!(rabbit.features[0], 10)), [[0xcc, 0x03, 0x0a, 0x0d]]);
  assert.deepEqual(bytes(r.vibrate!(rabbit.features[1], 10)), [[0xcc, 0x05, 0x0a, 0x0f]]);

  const cosima = definition("hismith-mini", "2204"); // #1 constrict → idx 05
  const c = await hismithMini.initialize(h.ctx, cosima);
  assert.deepEqual(bytes(c.constrict!(cosima.features[1], 20)), [[0xcc, 0x05, 0x14, 0x19]]);
  const sinloli = definition("hismith-mini", "2201"); // #0 constrict → idx 03; one vibe → 05
  const s = await hismithMini.initialize(h.ctx, sinloli);
  assert.deepEqual(bytes(s.constrict!(sinloli.features[0], 20)), [[0xcc, 0x03, 0x14, 0x17]]);
  assert.deepEqual(bytes(s.vibrate!(sinloli.features[1], 50)), [[0xcc, 0x05, 0x32, 0x37]]);

  const aston = definition("hismith-mini", "2205");
  const a = await hismithMini.initialize(h.ctx, aston);
  const ccw = a.rotate!(aston.features[0], -40);
  assert.deepEqual(bytes(ccw), [[0xcc, 0x03, 0x28, 0x2b], [0xcc, 0x01, 0xc1, 0xc2]]);
  assert.ok(ccw[1].kind === "write" && ccw[1].cids[0] === HISMITH_MINI_DIRECTION_CID);

  const piupiu = definition("hismith-mini", "4002");
  const p = await hismithMini.initialize(h.ctx, piupiu);
  assert.deepEqual(bytes(p.spray!(piupiu.features[0], 1)), [[0xcc, 0x0b, 0x01, 0x0c]]);
  assert.deepEqual(p.spray!(piupiu.features[0], 0), [], "Stop does not fire the pump");
});
