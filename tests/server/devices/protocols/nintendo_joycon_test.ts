import assert from "node:assert/strict";
import { FakeClock } from "../../../_helpers/fake_clock.ts";
import { FakePeripheral } from "../../../../hardware/fake_peripheral.ts";
import { DeviceContext } from "../../../../server/devices/context.ts";
import { ButtplugDeviceError } from "../../../../protocol/errors.ts";
import {
  JOYCON_LOOP_MS,
  joyconReport,
  joyconRumble,
  joyconRumbleFor,
  nintendoJoycon,
} from "../../../../server/devices/protocols/nintendo_joycon.ts";
import type { RecordedCommand } from "../../../../hardware/fake_peripheral.ts";
import { definition, harness } from "./_harness.ts";

const STOP = [0x00, 0x00, 0x01, 0x40];

const report = (c: RecordedCommand): Uint8Array => {
  assert.ok(c.kind === "write" && c.endpoint === "tx" && !c.withResponse);
  assert.equal(c.data.length, 64);
  return c.data;
};

Deno.test("HD rumble encoding: documented examples and amplitude branches", () => {
  // DEVICES.md §3.9: 200 Hz / 0.5 → A8 88 4A 62; stop (0 Hz, 0) → 00 00 01 40.
  assert.deepEqual(joyconRumble(200, 0.5), [0xa8, 0x88, 0x4a, 0x62]);
  assert.deepEqual(joyconRumble(0, 0), STOP);
  // 200 Hz: ef = round(log2(20)·32) = 138 → hf = 168 (A8), lf = 74 (4A) for every amplitude.
  // 1.0 (> 0.23): ea = round(log2(8.7)·32) = 100 → hfa = 200 (C8), lfa = 114 (72).
  assert.deepEqual(joyconRumble(200, 1), [0xa8, 0xc8, 0x4a, 0x72]);
  // 0.2 (0.12..0.23): ea = round(log2(3.4)·16) = 28 → hfa 56 (38), lfa 78 (4E).
  assert.deepEqual(joyconRumble(200, 0.2), [0xa8, 0x38, 0x4a, 0x4e]);
  // 0.05 (≤ 0.12): ea = round((log2(0.05)·32 − 96) / 3.9) = round(−60.09) → saturates to 0.
  assert.deepEqual(joyconRumble(200, 0.05), [0xa8, 0x00, 0x4a, 0x40]);
  assert.deepEqual(joyconRumbleFor(0), STOP);
  assert.deepEqual(joyconRumbleFor(1), STOP); // 0.001 is not above the threshold
  assert.deepEqual(joyconRumbleFor(500), [0xa8, 0x88, 0x4a, 0x62]);
});

Deno.test("report layout: id, counter (4 bits), rumble twice, subcommand, data", () => {
  const r = joyconReport(0x10, 17, [1, 2, 3, 4], 0x00);
  assert.deepEqual([...r.slice(0, 11)], [0x10, 0x01, 1, 2, 3, 4, 1, 2, 3, 4, 0x00]);
  assert.ok(r.slice(11).every((b) => b === 0));
});

Deno.test("initialize enables vibration; the loop rewrites the rumble every 15 ms", async () => {
  using h = await harness("nintendo-joycon", "Joy-Con (L)");
  const def = definition("nintendo-joycon");
  const handler = await nintendoJoycon.initialize(h.ctx, def);
  const init = report(h.peripheral.takeCommands()[0]);
  assert.deepEqual([...init.slice(0, 12)], [0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x01]);

  assert.deepEqual(handler.vibrate!(def.features[0], 500), []);
  handler.vibrate!(def.features[0], 0);
  handler.start!(h.ctx);
  await h.clock.tick(0);
  const first = report(h.peripheral.takeCommands()[0]);
  assert.deepEqual([...first.slice(0, 11)], [0x10, 0x01, ...STOP, ...STOP, 0x00]);

  handler.vibrate!(def.features[0], 500);
  await h.clock.tick(JOYCON_LOOP_MS);
  const second = report(h.peripheral.takeCommands()[0]);
  assert.deepEqual([...second.slice(0, 10)], [
    0x10,
    0x02,
    0xa8,
    0x88,
    0x4a,
    0x62,
    0xa8,
    0x88,
    0x4a,
    0x62,
  ]);

  // Continuous: 20 more periods give 20 more reports, the counter wrapping within 0x0-0xF.
  await h.clock.tick(JOYCON_LOOP_MS * 20);
  const more = h.peripheral.takeCommands().map(report);
  assert.equal(more.length, 20);
  assert.deepEqual(more.map((r) => r[1]), [
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    0,
    1,
    2,
    3,
    4,
    5,
    6,
  ]);

  h.ctx.abort();
  await h.clock.tick(JOYCON_LOOP_MS * 10);
  assert.deepEqual(h.peripheral.takeCommands(), []);
});

Deno.test("the loop ends when a write fails", async () => {
  let failing = false;
  using h = await harness("nintendo-joycon", "Joy-Con (R)", {
    onWrite: () => {
      if (failing) throw new Error("HID write failed");
    },
  });
  const handler = await nintendoJoycon.initialize(h.ctx, definition("nintendo-joycon"));
  h.peripheral.takeCommands();
  handler.start!(h.ctx);
  await h.clock.tick(JOYCON_LOOP_MS * 2);
  assert.equal(h.peripheral.takeCommands().length, 3);
  failing = true;
  await h.clock.tick(JOYCON_LOOP_MS);
  assert.equal(h.peripheral.takeCommands().length, 1); // recorded, then the write threw
  await h.clock.tick(JOYCON_LOOP_MS * 5);
  assert.deepEqual(h.peripheral.takeCommands(), []);
  assert.equal(h.ctx.signal.aborted, false); // it stopped because of the failure, not an abort
});

Deno.test("a failing init write refuses the device with a ButtplugDeviceError", async () => {
  const clock = new FakeClock();
  const p = new FakePeripheral({ name: "Joy-Con (L)", clock });
  // Connected without a tx endpoint, so the init write fails.
  await p.connect({ btle: { names: ["x"], services: { s: { rx: "r" } } } });
  using ctx = new DeviceContext(p, clock);
  await assert.rejects(
    Promise.resolve(nintendoJoycon.initialize(ctx, definition("nintendo-joycon"))),
    (err: unknown) =>
      err instanceof ButtplugDeviceError && /Cannot initialize Joy-Con/.test(err.message),
  );
  p[Symbol.dispose]();
});
