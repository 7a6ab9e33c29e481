import assert from "node:assert/strict";
import { DeviceManager } from "../../../server/devices/manager.ts";
import { createTestDevice, SimulatedDeviceSource } from "../../../hardware/simulated.ts";

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
