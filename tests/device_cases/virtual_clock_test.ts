import assert from "node:assert/strict";
import { VirtualClock } from "./virtual_clock.ts";

Deno.test("virtual clock: settled work returns at once, time does not move", async () => {
  using clock = new VirtualClock();
  let fired = false;
  clock.setTimeout(() => fired = true, 10);
  const r = await clock.until(Promise.resolve(42), 1000);
  assert.deepEqual(r, { settled: true, value: 42 });
  assert.equal(clock.now(), 0);
  assert.equal(fired, false);
  assert.equal(clock.pending, 1);
});

Deno.test("virtual clock: jumps from timer to timer until the work settles", async () => {
  using clock = new VirtualClock();
  const order: string[] = [];
  clock.setTimeout(() => order.push("b@20"), 20);
  clock.setTimeout(() => order.push("a@10"), 10);
  clock.setTimeout(() => order.push("c@20"), 20); // same time: set order
  const work = new Promise<string>((resolve) =>
    clock.setTimeout(() => {
      // A chain of promises started by a timer settles before the clock moves on.
      Promise.resolve().then(() => Promise.resolve()).then(() => resolve("done"));
    }, 3000)
  );
  clock.setTimeout(() => order.push("late@4000"), 4000);
  const started = performance.now();
  const r = await clock.until(work, 5000);
  assert.ok(performance.now() - started < 1000, "no real waiting");
  assert.deepEqual(r, { settled: true, value: "done" });
  assert.deepEqual(order, ["a@10", "b@20", "c@20"]);
  assert.equal(clock.now(), 3000);
  assert.equal(clock.pending, 1);
});

Deno.test("virtual clock: a timeout stops at the deadline without firing later timers", async () => {
  using clock = new VirtualClock();
  let late = false;
  clock.setTimeout(() => late = true, 501);
  const r = await clock.until(new Promise<never>(() => {}), 500);
  assert.deepEqual(r, { settled: false });
  assert.equal(clock.now(), 500);
  assert.equal(late, false);
  await clock.advance(1);
  assert.equal(late, true);
  assert.equal(clock.now(), 501);
});

Deno.test("virtual clock: cleared timers never fire; timers set by timers run in order", async () => {
  using clock = new VirtualClock();
  const seen: number[] = [];
  const handle = clock.setTimeout(() => seen.push(-1), 5);
  clock.clearTimeout(handle);
  clock.clearTimeout("unknown");
  clock.setTimeout(() => {
    seen.push(clock.now());
    clock.setTimeout(() => seen.push(clock.now()), 100);
  }, 50);
  await clock.advance(1000);
  assert.deepEqual(seen, [50, 150]);
  assert.equal(clock.now(), 1000);
});

Deno.test("virtual clock: rejected work and throwing timers reject until()", async () => {
  using clock = new VirtualClock();
  const failing = new Promise((_, reject) => clock.setTimeout(() => reject(new Error("boom")), 7));
  await assert.rejects(clock.until(failing), /boom/);
  assert.equal(clock.now(), 7);
  clock.setTimeout(() => {
    throw new Error("bad timer");
  }, 1);
  await assert.rejects(clock.until(new Promise<never>(() => {}), 10), /bad timer/);
});

Deno.test("virtual clock: a long background loop is fast in real time", async () => {
  using clock = new VirtualClock();
  let ticks = 0;
  const loop = () => {
    ticks++;
    clock.setTimeout(loop, 100);
  };
  clock.setTimeout(loop, 100);
  const started = performance.now();
  await clock.advance(60_000);
  assert.equal(ticks, 600);
  assert.ok(performance.now() - started < 2000, "600 loop turns take well under 2 s");
});

Deno.test("virtual clock: a zero-delay timer loop is reported, not spun forever", async () => {
  using clock = new VirtualClock();
  const loop = () => clock.setTimeout(loop, 0);
  clock.setTimeout(loop, 5);
  await assert.rejects(clock.advance(100), /timers fired at t=5 ms without time passing/);
});
