import assert from "node:assert/strict";
import { kgoalBoost, kgoalPressure } from "../../../../server/devices/protocols/kgoal_boost.ts";
import { definition, harness } from "./_harness.ts";
import { flushMicrotasks } from "../../../_helpers/fake_clock.ts";

Deno.test("kgoal-boost: pressure frame decoding", () => {
  assert.deepEqual(kgoalPressure([0x00, 0x01, 0x04, 0x00, 0x00, 0x05, 0xd3]), [0, 1491]);
  assert.deepEqual(kgoalPressure([0x00, 0x01, 0x04, 0x01, 0x02, 0x03, 0x04, 0xff]), [258, 772]);
  assert.equal(kgoalPressure([0x00, 0x01, 0x04, 0x01, 0x02, 0x03]), undefined);
});

Deno.test("kgoal-boost: one BLE subscription for both inputs, changed readings only", async () => {
  using h = await harness("kgoal-boost", "Boost");
  const boost = definition("kgoal-boost");
  const readings: [number, number][] = [];
  h.ctx.setReadingSink((fi, type, value) => {
    assert.equal(type, "Pressure");
    readings.push([fi, value]);
  });
  const handler = await kgoalBoost.initialize(h.ctx, boost);
  const [normalized, raw] = boost.features.filter((f) => f.input?.Pressure);
  await handler.subscribeInput!(normalized, "Pressure", h.ctx);
  await handler.subscribeInput!(raw, "Pressure", h.ctx);
  assert.deepEqual(h.peripheral.takeCommands().map((c) => `${c.kind} ${c.endpoint}`), [
    "subscribe rxpressure",
  ]);

  h.peripheral.notify("rxpressure", [0x00, 0x01, 0x04, 0x00, 0x10, 0x05, 0xd3]);
  await flushMicrotasks();
  h.peripheral.notify("rxpressure", [0x00, 0x01, 0x04, 0x00, 0x10, 0x05, 0xd4]);
  await flushMicrotasks();
  h.peripheral.notify("rxpressure", [0x00, 0x01, 0x04]); // too short: ignored
  await flushMicrotasks();
  assert.deepEqual(readings, [[normalized.index, 16], [raw.index, 1491], [raw.index, 1492]]);

  await handler.unsubscribeInput!(normalized, "Pressure", h.ctx);
  assert.equal(h.peripheral.takeCommands().length, 0, "the other input still needs the stream");
  await handler.unsubscribeInput!(raw, "Pressure", h.ctx);
  assert.deepEqual(h.peripheral.takeCommands().map((c) => `${c.kind} ${c.endpoint}`), [
    "unsubscribe rxpressure",
  ]);
  assert.equal(h.clock.pending, 0, "the notification loop ended");

  await assert.rejects(
    handler.subscribeInput!(boost.features.find((f) => f.input?.Battery)!, "Battery", h.ctx),
    /cannot subscribe/,
  );
});
