import assert from "node:assert/strict";
import { FakeClock, flushMicrotasks } from "../../_helpers/fake_clock.ts";
import { FakePeripheral } from "../../../hardware/fake_peripheral.ts";
import { commandsOverlap, DeviceTask, PENDING_LIMIT } from "../../../server/devices/device_task.ts";
import { write } from "../../../server/devices/protocol.ts";

const BTLE = { btle: { names: ["x"], services: { s: { tx: "a", rx: "b" } } } };

async function connected(gapMs: number, clock: FakeClock): Promise<FakePeripheral> {
  const p = new FakePeripheral({ name: "dev", messageGapMs: gapMs, clock });
  await p.connect(BTLE);
  return p;
}

const writes = (p: FakePeripheral): number[][] =>
  p.takeCommands().filter((c) => c.kind === "write").map((c) =>
    c.kind === "write" ? [...c.data] : []
  );

Deno.test("10,000 commands inside one window produce one write of the newest value", async () => {
  const clock = new FakeClock();
  const p = await connected(75, clock);
  using task = new DeviceTask({ hardware: p, gapMs: 75, clock });
  for (let i = 0; i < 10_000; i++) {
    task.enqueue([write("tx", [i & 0xff, i >> 8], false, "motor")]);
  }
  assert.equal(task.pendingCount, 1);
  await clock.tick(74);
  assert.deepEqual(writes(p), []);
  await clock.tick(1);
  assert.deepEqual(writes(p), [[9999 & 0xff, 9999 >> 8]]);
  assert.equal(task.executed, 1);
});

Deno.test("writes are paced: a window opens per burst and never sends faster than the gap", async () => {
  const clock = new FakeClock();
  const p = await connected(50, clock);
  using task = new DeviceTask({ hardware: p, gapMs: 50, clock });
  const times: number[] = [];
  p.addEventListener("notification", () => {});
  for (let t = 0; t < 500; t += 5) {
    task.enqueue([write("tx", [t & 0xff], false, "motor")]);
    await clock.tick(5);
    if (p.history.length > times.length) times.push(clock.now());
  }
  await clock.tick(100);
  assert.ok(p.history.length >= 9 && p.history.length <= 11, `${p.history.length} writes`);
  for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 50);
});

Deno.test("CID overlap: protocol-constant CIDs collapse, distinct CIDs keep order", async () => {
  const clock = new FakeClock();
  const p = await connected(10, clock);
  using task = new DeviceTask({ hardware: p, gapMs: 10, clock });
  task.enqueue([write("tx", [1], false, "A")]);
  task.enqueue([write("tx", [2], false, "B")]);
  task.enqueue([write("tx", [3], false, ["A", "C"])]); // replaces [1]
  task.enqueue([write("tx", [4], false, "B")]); // replaces [2]
  await clock.tick(10);
  assert.deepEqual(writes(p), [[3], [4]]);
});

Deno.test("the first batch of a window is not de-duplicated internally", async () => {
  const clock = new FakeClock();
  const p = await connected(10, clock);
  using task = new DeviceTask({ hardware: p, gapMs: 10, clock });
  task.enqueue([write("tx", [1], false, "A"), write("tx", [2], false, "A")]);
  await clock.tick(10);
  assert.deepEqual(writes(p), [[1], [2]]);
});

Deno.test("overlap rules: writes by CID set, subscribes by CID, kinds never mix", () => {
  const w = (cids: string[]) => write("tx", [0], false, cids);
  const sub = { kind: "subscribe" as const, endpoint: "rx", cid: "x" };
  const unsub = { kind: "unsubscribe" as const, endpoint: "rx", cid: "x" };
  assert.equal(commandsOverlap(w(["a", "b"]), w(["b"])), true);
  assert.equal(commandsOverlap(w(["a"]), w(["b"])), false);
  assert.equal(commandsOverlap(sub, { ...sub }), true);
  assert.equal(commandsOverlap(sub, { ...sub, cid: "y" }), false);
  assert.equal(commandsOverlap(sub, unsub), false);
  assert.equal(commandsOverlap(w(["x"]), sub), false);
});

Deno.test("no window: the write reaches the hardware synchronously from enqueue", async () => {
  const clock = new FakeClock();
  const p = await connected(0, clock);
  using task = new DeviceTask({ hardware: p, gapMs: 0, clock });
  task.enqueue([write("tx", [7], false, "A")]);
  assert.equal(p.history.length, 1, "written before any await");
  assert.equal(clock.pending, 0, "no timer on the hot path");
  await task.idle();
});

class SlowPeripheral extends FakePeripheral {
  readonly releases: (() => void)[] = [];
  override write(endpoint: string, data: Uint8Array, withResponse: boolean): Promise<void> {
    return super.write(endpoint, data, withResponse).then(() =>
      new Promise<void>((resolve) => this.releases.push(resolve))
    );
  }
}

Deno.test("no window: commands arriving during a slow write are coalesced, newest wins", async () => {
  const clock = new FakeClock();
  const p = new SlowPeripheral({ name: "slow", messageGapMs: 0, clock });
  await p.connect(BTLE);
  using task = new DeviceTask({ hardware: p, gapMs: 0, clock });
  task.enqueue([write("tx", [0], false, "A")]);
  for (let i = 1; i <= 1000; i++) task.enqueue([write("tx", [i & 0xff], false, "A")]);
  assert.equal(task.pendingCount, 1);
  await Promise.resolve();
  p.releases.shift()!();
  while (p.releases.length === 0) await Promise.resolve();
  p.releases.shift()!();
  await task.idle();
  assert.deepEqual(writes(p), [[0], [1000 & 0xff]]);
});

Deno.test("pending commands are capped even with ever-new CIDs", async () => {
  const clock = new FakeClock();
  const p = await connected(100, clock);
  using task = new DeviceTask({ hardware: p, gapMs: 100, clock });
  task.enqueue([write("tx", [0], false, "first")]);
  for (let i = 0; i < PENDING_LIMIT + 50; i++) task.enqueue([write("tx", [1], false, `c${i}`)]);
  assert.equal(task.pendingCount, PENDING_LIMIT);
  assert.equal(task.dropped, 51);
});

Deno.test("timed keepalive repeats the last packet after idleness", async () => {
  const clock = new FakeClock();
  const p = await connected(1, clock);
  using task = new DeviceTask({ hardware: p, gapMs: 1, clock, keepalive: { intervalMs: 3000 } });
  await clock.tick(5000);
  assert.deepEqual(writes(p), [], "nothing to repeat before a first write");
  task.enqueue([write("tx", [9, 9], false, "m")]);
  await clock.tick(1);
  assert.deepEqual(writes(p), [[9, 9]]);
  await clock.tick(2998);
  assert.deepEqual(writes(p), []);
  await clock.tick(2);
  assert.deepEqual(writes(p), [[9, 9]]);
  await clock.tick(3000);
  assert.deepEqual(writes(p), [[9, 9]]);
});

Deno.test("every command restarts the keepalive interval, with one timer", async () => {
  const clock = new FakeClock();
  const p = await connected(0, clock);
  using task = new DeviceTask({ hardware: p, gapMs: 0, clock, keepalive: { intervalMs: 100 } });
  for (const value of [1, 2, 3]) {
    task.enqueue([write("tx", [value], false, "m")]);
    await task.idle();
    assert.equal(clock.pending, 1, "one keepalive timer, however many commands");
    await clock.tick(45);
  }
  assert.deepEqual(writes(p), [[1], [2], [3]]);
  // The last command went out at t=90: the keepalive is due at t=190, not before.
  await clock.tick(99 - 45);
  assert.deepEqual(writes(p), []);
  await clock.tick(1);
  assert.deepEqual(writes(p), [[3]]);
  await clock.tick(99);
  assert.deepEqual(writes(p), []);
  await clock.tick(1);
  assert.deepEqual(writes(p), [[3]]);
});

Deno.test("notifications restart the keepalive idle timer", async () => {
  const clock = new FakeClock();
  const p = await connected(0, clock);
  await p.subscribe("rx");
  using task = new DeviceTask({ hardware: p, gapMs: 0, clock, keepalive: { intervalMs: 100 } });
  task.enqueue([write("tx", [1], false, "m")]);
  p.takeCommands();
  await clock.tick(90);
  p.notify("rx", [0]);
  await clock.tick(90);
  assert.deepEqual(writes(p), []);
  await clock.tick(10);
  assert.deepEqual(writes(p), [[1]]);
});

Deno.test("fixed keepalive packet is sent, and a failing keepalive closes the task", async () => {
  const clock = new FakeClock();
  const p = await connected(0, clock);
  let fatal: unknown;
  const task = new DeviceTask({
    hardware: p,
    gapMs: 0,
    clock,
    keepalive: { intervalMs: 5000, packet: write("tx", [0x44], false, "ka") },
    onFatal: (err) => (fatal = err),
  });
  await clock.tick(5000);
  assert.deepEqual(writes(p), [[0x44]]);
  await p.disconnect(); // writes now fail
  await clock.tick(5000);
  assert.ok(fatal instanceof Error);
  assert.equal(task.closed, true);
  assert.throws(() => task.enqueue([write("tx", [1], false, "x")]), /disconnected/);
});

Deno.test("flush sends pending commands before the window ends", async () => {
  const clock = new FakeClock();
  const p = await connected(1000, clock);
  using task = new DeviceTask({ hardware: p, gapMs: 1000, clock });
  task.enqueue([write("tx", [5], false, "m")]);
  await task.flush();
  assert.deepEqual(writes(p), [[5]]);
  assert.equal(clock.pending, 0);
});

Deno.test("idle() on a closed task resolves, even with a write still in flight", async () => {
  const clock = new FakeClock();
  const p = new SlowPeripheral({ name: "slow", messageGapMs: 0, clock });
  await p.connect(BTLE);
  const task = new DeviceTask({ hardware: p, gapMs: 0, clock });
  task.enqueue([write("tx", [1], false, "A")]);
  task.close(); // the device went away mid-write
  let idle = false;
  const waiting = task.idle().then(() => idle = true);
  await flushMicrotasks();
  assert.equal(idle, true, "nobody waits forever on a closed task");
  await waiting;
  p.releases.shift()!(); // the write returns late: nothing else happens
  await flushMicrotasks();
  assert.equal(task.pendingCount, 0);
});
