import assert from "node:assert/strict";
import { DeviceManager } from "../../../server/devices/manager.ts";
import {
  createTestDevice,
  SimulatedDevice,
  SimulatedDeviceSource,
  TEST_DEVICE_FEATURES,
} from "../../../hardware/simulated.ts";
import { FakeClock, flushMicrotasks } from "../../_helpers/fake_clock.ts";

function events(manager: DeviceManager): string[] {
  const log: string[] = [];
  manager.addEventListener("deviceadded", (e) => log.push(`+${e.detail.index}`));
  manager.addEventListener("deviceremoved", (e) => log.push(`-${e.detail.index}`));
  manager.addEventListener("scanningfinished", () => log.push("finished"));
  return log;
}

Deno.test("indexes: lowest free, stable per identity across reconnects, never reused while remembered", async () => {
  await using manager = new DeviceManager();
  const log = events(manager);
  const a = createTestDevice({ address: "A" });
  const b = createTestDevice({ address: "B" });
  assert.equal(manager.add(a), 0);
  assert.equal(manager.add(b), 1);
  await a.disconnect(); // the device goes away by itself
  assert.equal(manager.get(0), undefined);
  // A new device does not take index 0: its owner is remembered.
  const c = createTestDevice({ address: "C" });
  assert.equal(manager.add(c), 2);
  // The same identity comes back under its old index.
  assert.equal(manager.add(createTestDevice({ address: "A" })), 0);
  assert.deepEqual(log, ["+0", "+1", "-0", "+2", "+0"]);
  assert.deepEqual([...manager.devices.keys()], [0, 1, 2]);
});

Deno.test("indexes: reserved indexes and persistence callback", async () => {
  const assigned: [string, number][] = [];
  await using manager = new DeviceManager({
    reservedIndexes: new Map([["simulated:X", 5]]),
    onIndexAssigned: (identity, index) => assigned.push([identity, index]),
  });
  const x = createTestDevice({ address: "X" });
  assert.equal(x.identity, "simulated:X");
  assert.equal(manager.add(x), 5);
  assert.equal(manager.add(createTestDevice({ address: "Y" })), 0);
  assert.equal(manager.add(createTestDevice({ address: "Z" }), 9), 9);
  // Only new assignments are reported (X already owned 5).
  assert.deepEqual(assigned, [["simulated:Y", 0], ["simulated:Z", 9]]);
});

Deno.test("a stale entry at the same index is replaced and disconnected", async () => {
  await using manager = new DeviceManager();
  const log = events(manager);
  const old = createTestDevice({ address: "A" });
  manager.add(old);
  const fresh = createTestDevice({ address: "A" });
  assert.equal(manager.add(fresh), 0);
  assert.equal(manager.get(0), fresh);
  assert.deepEqual(log, ["+0", "-0", "+0"]);
  // The old object's late disconnect does not remove the new one.
  await old.disconnect();
  assert.equal(manager.get(0), fresh);
});

Deno.test("scanning: finished only when every source finished by itself; stop never reports it", async () => {
  await using manager = new DeviceManager();
  const log = events(manager);
  const one = new SimulatedDeviceSource({ name: "one" });
  const two = new SimulatedDeviceSource({ name: "two" });
  manager.addSource(one);
  manager.addSource(two);
  await manager.startScanning();
  assert.equal(manager.scanning, true);
  one.finishScanning();
  assert.deepEqual(log, []);
  two.finishScanning();
  assert.deepEqual(log, ["finished"]);
  assert.equal(manager.scanning, false);
  await manager.startScanning();
  await manager.stopScanning();
  one.finishScanning();
  two.finishScanning();
  assert.deepEqual(log, ["finished"]);
});

Deno.test("scanning: a source added during a scan starts scanning and its devices join", async () => {
  await using manager = new DeviceManager();
  const log = events(manager);
  manager.addSource(new SimulatedDeviceSource());
  await manager.startScanning();
  const late = new SimulatedDeviceSource({ discoverable: [createTestDevice({ address: "L" })] });
  manager.addSource(late);
  await Promise.resolve();
  assert.equal(late.scanning, true);
  assert.deepEqual(log, ["+0"]);
});

Deno.test("stopAll stops every device; dispose disconnects them", async () => {
  const manager = new DeviceManager();
  const a = createTestDevice({ address: "A" });
  const b = createTestDevice({ address: "B" });
  manager.add(a);
  manager.add(b);
  await a.output(0, "Vibrate", { Value: 5 });
  await b.output(2, "Rotate", { Value: -3 });
  await manager.stopAll();
  assert.equal(a.outputs.get(0)?.get("Vibrate")?.Value, 0);
  assert.equal(b.outputs.get(2)?.get("Rotate")?.Value, 0);
  await manager[Symbol.asyncDispose]();
  assert.equal(manager.devices.size, 0);
});

// ---------------------------------------------------------------------------------------------
// Review findings: stops must reach every device, in bounded time; a failed scan start retries
// ---------------------------------------------------------------------------------------------

/** A device whose stop() throws synchronously (a DeviceBackend that is not an async function). */
class ThrowingStop extends SimulatedDevice {
  override stop(): Promise<void> {
    throw new Error("stop exploded");
  }
}

Deno.test("stopAll reaches every device even if one device's stop throws synchronously", async () => {
  await using manager = new DeviceManager();
  const bad = new ThrowingStop({ name: "Bad", address: "BAD", features: TEST_DEVICE_FEATURES });
  const good = createTestDevice({ address: "GOOD" });
  manager.add(bad); // index 0: stopped first
  manager.add(good);
  await good.output(0, "Vibrate", { Value: 7 });
  await assert.rejects(manager.stopAll(), (err: unknown) => {
    assert.ok(err instanceof AggregateError);
    assert.match(String(err.errors[0]), /stop exploded/);
    return true;
  });
  assert.equal(good.outputValue(0, "Vibrate"), 0, "the device after the failing one was stopped");
});

Deno.test("stopAll gives up on a hung device after the stop timeout; the others are stopped", async () => {
  const clock = new FakeClock();
  await using manager = new DeviceManager({ clock, stopTimeoutMs: 2000 });
  const hung = createTestDevice({ address: "HUNG" });
  const good = createTestDevice({ address: "GOOD" });
  manager.add(hung);
  manager.add(good);
  await good.output(0, "Vibrate", { Value: 7 });
  const release = hung.pause(); // the toy stops answering
  let outcome: unknown = "pending";
  const stopping = manager.stopAll().then(() => outcome = "resolved", (err) => outcome = err);
  const current = (): unknown => outcome;
  await clock.tick(1999);
  assert.equal(good.outputValue(0, "Vibrate"), 0, "the hung device does not hold up the others");
  assert.equal(current(), "pending", "still waiting for the hung device");
  await clock.tick(1);
  await stopping;
  const error = current();
  assert.ok(error instanceof AggregateError, `stopAll settles at the deadline (${error})`);
  assert.match(String(error.errors[0]), /did not stop within 2000 ms/);
  assert.equal(clock.pending, 0, "no timer left behind");
  release();
  assert.throws(() => new DeviceManager({ stopTimeoutMs: 0 }), RangeError);
});

/** A source whose first startScanning fails (adapter busy), later ones work. */
class FlakySource extends SimulatedDeviceSource {
  failures = 1;
  override startScanning(): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error("adapter busy"));
    }
    return super.startScanning();
  }
}

Deno.test("scanning: a failed start leaves nothing scanning and a retry really starts again", async () => {
  await using manager = new DeviceManager();
  const steady = new SimulatedDeviceSource({ name: "steady" });
  const flaky = new FlakySource({ name: "flaky" });
  manager.addSource(steady);
  manager.addSource(flaky);
  await assert.rejects(manager.startScanning(), /adapter busy/);
  assert.equal(manager.scanning, false);
  assert.equal(steady.scanning, false, "the source that did start is not left scanning");
  await manager.startScanning();
  assert.equal(flaky.scanning, true, "the retry reached the source");
  assert.equal(steady.scanning, true);
  assert.equal(manager.scanning, true);
});

Deno.test("dispose stops the devices without waiting for a slow scan stop", async () => {
  const unstick: (() => void)[] = [];
  class SlowScanStop extends SimulatedDeviceSource {
    override stopScanning(): Promise<void> {
      void super.stopScanning();
      return new Promise<void>((resolve) => unstick.push(resolve));
    }
  }
  const manager = new DeviceManager();
  manager.addSource(new SlowScanStop());
  const device = createTestDevice();
  manager.add(device);
  await device.output(0, "Vibrate", { Value: 9 });
  const disposed = manager[Symbol.asyncDispose]();
  await flushMicrotasks();
  assert.equal(unstick.length, 1, "the scan stop is under way");
  assert.equal(device.outputValue(0, "Vibrate"), 0, "the device is already stopped");
  unstick.forEach((resolve) => resolve());
  await disposed;
  assert.equal(device.connected, false);
});

Deno.test("devices: a sorted snapshot, rebuilt after every add and remove", async () => {
  await using manager = new DeviceManager();
  manager.add(createTestDevice({ address: "B" }), 5);
  manager.add(createTestDevice({ address: "A" }), 2);
  const first = manager.devices;
  assert.deepEqual([...first.keys()], [2, 5]);
  assert.equal(manager.devices, first, "unchanged registry: same snapshot");
  manager.add(createTestDevice({ address: "C" }), 3);
  assert.deepEqual([...manager.devices.keys()], [2, 3, 5]);
  assert.deepEqual([...first.keys()], [2, 5], "an old snapshot is never mutated");
  await manager.remove(3);
  assert.deepEqual([...manager.devices.keys()], [2, 5]);
});
