import assert from "node:assert/strict";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { FakePeripheral, FakePeripheralManager } from "../../hardware/fake_peripheral.ts";

const SPEC = { btle: { names: ["x"], services: { a: { tx: "1" }, b: { rx: "2", tx: "3" } } } };

Deno.test("endpoints come from every service of the BLE specifier; others fail unrecorded", async () => {
  const p = new FakePeripheral({ name: "x" });
  await assert.rejects(p.write("tx", Uint8Array.of(1), false), /not connected/);
  await p.connect(SPEC);
  assert.deepEqual([...p.endpoints].sort(), ["rx", "tx"]);
  await assert.rejects(p.write("command", Uint8Array.of(1), true), /invalid endpoint "command"/);
  await p.write("tx", Uint8Array.of(1), true);
  assert.deepEqual(p.history.map((c) => c.kind), ["write"]);
  await p.connect({
    serial: { port: "COM1", baud_rate: 9600, data_bits: 8, parity: "N", stop_bits: 1 },
  });
  assert.deepEqual(p.endpoints, ["rx", "tx"]);
});

Deno.test("notifications only reach subscribed endpoints; reads are FIFO and endpoint-checked", async () => {
  const clock = new FakeClock();
  const p = new FakePeripheral({ name: "x", clock, readTimeoutMs: 50 });
  await p.connect(SPEC);
  const got: string[] = [];
  p.addEventListener("notification", (e) => got.push(`${e.detail.endpoint}:${e.detail.data[0]}`));
  assert.equal(p.notify("rx", [1]), false);
  await p.subscribe("rx");
  assert.equal(p.notify("rx", [2]), true);
  await p.unsubscribe("rx");
  p.notify("rx", [3]);
  assert.deepEqual(got, ["rx:2"]);
  assert.deepEqual(p.takeCommands().map((c) => c.kind), ["subscribe", "unsubscribe"]);

  p.queueRead("rx", [7]);
  p.queueRead("tx", [8]);
  assert.deepEqual([...await p.read("rx", 1, 100)], [7]);
  await assert.rejects(p.read("rx", 1, 100), /next queued read is for tx/);
  const waiting = p.read("tx", 1, 100);
  p.queueRead("tx", [9]);
  assert.deepEqual([...await waiting], [9]);
  const empty = p.read("tx", 1, 100);
  await clock.tick(50);
  await assert.rejects(empty, /nothing to read/);
});

Deno.test("nextCommand waits, times out, and the manager announces then finishes", async () => {
  const clock = new FakeClock();
  const p = new FakePeripheral({ name: "x", clock });
  await p.connect(SPEC);
  const next = p.nextCommand(500);
  await p.write("tx", Uint8Array.of(5), false);
  assert.deepEqual((await next)?.kind, "write");
  const none = p.nextCommand(500);
  await clock.tick(500);
  assert.equal(await none, undefined);

  await using manager = new FakePeripheralManager([p]);
  const events: string[] = [];
  manager.addEventListener("found", (e) => events.push(`found ${e.detail.advertisement.name}`));
  manager.addEventListener("scanningfinished", () => events.push("finished"));
  const started = manager.startScanning();
  assert.equal(manager.scanning, true);
  assert.deepEqual(events, [], "announced asynchronously");
  await started;
  assert.deepEqual(events, ["found x", "finished"]);
  assert.equal(manager.scanning, false);
  let disconnected = 0;
  p.addEventListener("disconnected", () => disconnected++);
  p.simulateDisconnect();
  p.simulateDisconnect();
  assert.equal(disconnected, 1);
});

Deno.test("history is capped so a long-running simulated device does not grow", async () => {
  const p = new FakePeripheral({ name: "capped", historyLimit: 100 });
  await p.connect({ btle: { names: ["capped"], services: { "0000fff0": { tx: "fff2" } } } });
  for (let i = 0; i < 1000; i++) await p.write("tx", Uint8Array.of(i & 0xff, i >> 8), false);
  assert.ok(p.history.length >= 100 && p.history.length <= 116, String(p.history.length));
  const last = p.history.at(-1)!;
  assert.equal(last.kind, "write");
  assert.deepEqual([...(last as { data: Uint8Array }).data], [999 & 0xff, 999 >> 8]);
  // The unconsumed queue is capped the same way, keeping the newest commands.
  const queued = p.takeCommands();
  assert.ok(queued.length <= 116);
  assert.deepEqual([...(queued.at(-1) as { data: Uint8Array }).data], [999 & 0xff, 999 >> 8]);
});
