import assert from "node:assert/strict";
import { ButtplugDeviceError } from "../../protocol/errors.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import {
  createTestDevice,
  SimulatedDevice,
  SimulatedDeviceSource,
  TEST_DEVICE_FEATURES,
} from "../../hardware/simulated.ts";
import { FakeClock, flushMicrotasks } from "../_helpers/fake_clock.ts";

Deno.test("createTestDevice: the vectors' fixture device", () => {
  const d = createTestDevice();
  assert.equal(d.name, "Test Device");
  assert.equal(d.messageTimingGap, 100);
  assert.equal(d.identity, "simulated:SIM-0001");
  assert.equal(d.batteryLevel, 75);
  assert.equal(d.features, TEST_DEVICE_FEATURES);
  assert.equal(createTestDevice({ address: "X" }).identity, "simulated:X");
});

Deno.test("outputs: last value per feature and type, full history, never-commanded reads 0", async () => {
  const d = createTestDevice();
  assert.equal(d.outputValue(0, "Vibrate"), 0);
  await d.output(0, "Vibrate", { Value: 4 });
  await d.output(0, "Vibrate", { Value: 6 });
  await d.output(3, "HwPositionWithDuration", { Value: 50, Duration: 500 });
  assert.equal(d.outputValue(0, "Vibrate"), 6);
  assert.deepEqual(d.outputs.get(3)?.get("HwPositionWithDuration"), { Value: 50, Duration: 500 });
  assert.deepEqual(d.history.map((h) => h.kind), ["output", "output", "output"]);
});

Deno.test("commands are validated like real hardware would", async () => {
  const d = createTestDevice();
  await assert.rejects(d.output(9, "Vibrate", { Value: 1 }), ButtplugDeviceError);
  await assert.rejects(d.output(2, "Vibrate", { Value: 1 }), ButtplugDeviceError);
  await assert.rejects(d.output(0, "Vibrate", { Value: 21 }), ButtplugDeviceError);
  await assert.rejects(d.subscribeInput(4, "Battery"), ButtplugDeviceError);
  await assert.rejects(d.readInput(0, "Battery"), ButtplugDeviceError);
  assert.equal(d.history.length, 0);
});

Deno.test("stop: scoped to a feature, Position types untouched, inputs unsubscribed", async () => {
  const d = new SimulatedDevice({
    name: "S",
    features: [
      ...TEST_DEVICE_FEATURES.slice(0, 4),
      {
        FeatureIndex: 4,
        FeatureDescription: "p",
        Input: { Pressure: { Value: [[0, 9]], Command: ["Subscribe"] } },
      },
    ],
  });
  await d.output(0, "Vibrate", { Value: 4 });
  await d.output(1, "Vibrate", { Value: 4 });
  await d.output(3, "HwPositionWithDuration", { Value: 40, Duration: 10 });
  await d.subscribeInput(4, "Pressure");
  await d.stop({ featureIndex: 1, outputs: true, inputs: true });
  assert.equal(d.outputValue(0, "Vibrate"), 4);
  assert.equal(d.outputValue(1, "Vibrate"), 0);
  assert.ok(d.isSubscribed(4, "Pressure"));
  await d.stop({ outputs: true, inputs: false });
  assert.equal(d.outputValue(0, "Vibrate"), 0);
  assert.equal(d.outputValue(3, "HwPositionWithDuration"), 40);
  assert.ok(d.isSubscribed(4, "Pressure"));
  await d.stop({ outputs: false, inputs: true });
  assert.equal(d.isSubscribed(4, "Pressure"), false);
});

Deno.test("readings: only subscribed inputs emit events; reads return the stored value", async () => {
  const d = new SimulatedDevice({
    name: "S",
    features: [{
      FeatureIndex: 0,
      FeatureDescription: "p",
      Input: { Pressure: { Value: [[0, 9]], Command: ["Read", "Subscribe"] } },
    }],
  });
  const seen: number[] = [];
  d.addEventListener("reading", (e) => seen.push(e.detail.value));
  assert.equal(d.emitReading(0, "Pressure", 3), false);
  assert.equal(await d.readInput(0, "Pressure"), 3);
  await d.subscribeInput(0, "Pressure");
  assert.equal(d.emitReading(0, "Pressure", 5), true);
  await d.unsubscribeInput(0, "Pressure");
  d.emitReading(0, "Pressure", 6);
  assert.deepEqual(seen, [5]);
});

Deno.test("pause holds commands; disconnect fails pending and later ones, fires once", async () => {
  const d = createTestDevice();
  let disconnected = 0;
  d.addEventListener("disconnected", () => disconnected++);
  const release = d.pause();
  let done = false;
  const first = d.output(0, "Vibrate", { Value: 1 }).then(() => (done = true));
  await flushMicrotasks();
  assert.equal(done, false);
  release();
  await first;
  assert.equal(d.outputValue(0, "Vibrate"), 1);

  d.pause();
  const pending = d.output(0, "Vibrate", { Value: 2 });
  await d.disconnect();
  await d.disconnect();
  await assert.rejects(pending, ButtplugDeviceError);
  await assert.rejects(d.output(0, "Vibrate", { Value: 3 }), /disconnected/);
  assert.equal(disconnected, 1);
  assert.equal(d.connected, false);
  assert.equal(d.outputValue(0, "Vibrate"), 1);
});

Deno.test("failWith makes commands fail until cleared", async () => {
  const d = createTestDevice();
  d.failWith(new Error("boom"));
  await assert.rejects(d.readInput(4, "Battery"), /boom/);
  d.failWith(undefined);
  assert.equal(await d.readInput(4, "Battery"), 75);
});

Deno.test("SimulatedDeviceSource: hot-plug, discoverable devices, scans never end by themselves", async () => {
  await using manager = new DeviceManager();
  const source = new SimulatedDeviceSource({ discoverable: [createTestDevice({ address: "A" })] });
  manager.addSource(source);
  let finished = 0;
  manager.addEventListener("scanningfinished", () => finished++);
  const hot = source.connect(createTestDevice({ address: "B" }));
  assert.equal(manager.get(0), hot);
  await manager.startScanning();
  assert.equal(manager.devices.size, 2);
  assert.ok(source.scanning && manager.scanning);
  source.addDiscoverable(createTestDevice({ address: "C" }));
  assert.equal(manager.devices.size, 3, "found at once while scanning");
  await manager.stopScanning();
  assert.equal(source.scanning, false);
  assert.equal(finished, 0);
  await manager.startScanning();
  source.finishScanning();
  assert.equal(finished, 1);
});

Deno.test("SimulatedDeviceSource: scanDurationMs finishes the scan on the injected clock", async () => {
  const clock = new FakeClock();
  await using manager = new DeviceManager();
  await using source = new SimulatedDeviceSource({ clock, scanDurationMs: 500 });
  manager.addSource(source);
  let finished = 0;
  manager.addEventListener("scanningfinished", () => finished++);
  await manager.startScanning();
  await clock.tick(499);
  assert.equal(finished, 0);
  await clock.tick(1);
  assert.equal(finished, 1);
  assert.equal(manager.scanning, false);
  await manager.startScanning();
  await manager.stopScanning();
  assert.equal(clock.pending, 0, "stopping cancels the timer");
});

Deno.test("reserved indexes pass through connect", async () => {
  await using manager = new DeviceManager();
  const source = new SimulatedDeviceSource();
  manager.addSource(source);
  const d = source.connect(createTestDevice(), 7);
  assert.equal(manager.get(7), d);
});
