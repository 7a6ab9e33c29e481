import assert from "node:assert/strict";
import { vorzePistonSpeed, vorzeSa } from "../../../../server/devices/protocols/vorze_sa.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("single rotator: device byte from the name, direction bit, with response", async () => {
  using h = await harness("vorze-sa", "CycSA");
  const cyc = definition("vorze-sa", "CycSA");
  const handler = await vorzeSa.initialize(h.ctx, cyc);
  assert.deepEqual(bytes(handler.rotate!(cyc.features[0], 50)), [[0x01, 0x01, 0xb2]]);
  assert.deepEqual(bytes(handler.rotate!(cyc.features[0], -99)), [[0x01, 0x01, 0x63]]);
  const cmd = handler.rotate!(cyc.features[0], 0)[0];
  assert.ok(cmd.kind === "write" && cmd.withResponse && cmd.data[2] === 0x80);
});

Deno.test("dual rotator and dual vibrator carry both motors; piston speed curve", async () => {
  using h = await harness("vorze-sa", "UFO-TW");
  const tw = definition("vorze-sa", "UFO-TW");
  const dual = await vorzeSa.initialize(h.ctx, tw);
  dual.rotate!(tw.features[0], 50);
  assert.deepEqual(bytes(dual.rotate!(tw.features[1], -10)), [[0x05, 0xb2, 0x0a]]);

  using h2 = await harness("vorze-sa", "OMORFI");
  const omorfi = definition("vorze-sa", "OMORFI");
  const vib = await vorzeSa.initialize(h2.ctx, omorfi);
  vib.vibrate!(omorfi.features[1], 40);
  assert.deepEqual(bytes(vib.vibrate!(omorfi.features[0], 10)), [[0x09, 10, 40]]);

  assert.equal(vorzePistonSpeed(50, 50, 1000), 100, "no distance");
  const s = vorzePistonSpeed(0, 99, 1000);
  assert.ok(s > 0 && s < 100 && Number.isInteger(s), `${s}`);
  assert.ok(vorzePistonSpeed(0, 99, 200) > s, "faster for a shorter duration");
});

Deno.test("names that fit no device byte and unknown variants refuse the device", async () => {
  using h = await harness("vorze-sa", "Mystery");
  await assert.rejects(
    Promise.resolve().then(() => vorzeSa.initialize(h.ctx, definition("vorze-sa", "CycSA"))),
    /does not fit variant vorze-sa-single-rotator/,
  );
  await assert.rejects(
    Promise.resolve().then(() => vorzeSa.initialize(h.ctx, definition("vorze-sa"))),
    /unknown protocol variant null/,
  );
});
