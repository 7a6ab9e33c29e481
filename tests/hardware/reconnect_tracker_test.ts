/**
 * The reconnect bookkeeping on a fake clock: backoff 1 s, 2 s, 4 s … capped at 30 s, give-up after
 * 10 minutes, forgetting on request, unclaimed sightings, flapping links, disposal.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../_helpers/fake_clock.ts";
import {
  DEFAULT_RECONNECT_OPTIONS,
  reconnectDelay,
  type ReconnectOptions,
  ReconnectTracker,
  resolveReconnectOptions,
} from "../../hardware/reconnect_tracker.ts";
import { captureLogger } from "./_sidecar_helpers.ts";

const A = "aa:bb:cc:dd:ee:01";
const B = "aa:bb:cc:dd:ee:02";

function setup(options?: ReconnectOptions) {
  const clock = new FakeClock();
  const { lines, logger } = captureLogger();
  const watches: string[][] = [];
  const tracker = new ReconnectTracker({
    clock,
    logger,
    options,
    label: "btle",
    onWatchChange: (a) => watches.push([...a]),
  });
  return { clock, lines, watches, tracker };
}

Deno.test("reconnectDelay: 1 s doubling per failure, capped at 30 s", () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 50, 5000].map((n) => reconnectDelay(n)),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000],
  );
  const fast = resolveReconnectOptions({ initialDelayMs: 10, maxDelayMs: 35 });
  assert.deepEqual([1, 2, 3, 4].map((n) => reconnectDelay(n, fast)), [10, 20, 35, 35]);
});

Deno.test("resolveReconnectOptions: defaults and validation", () => {
  assert.deepEqual(resolveReconnectOptions(), DEFAULT_RECONNECT_OPTIONS);
  assert.equal(DEFAULT_RECONNECT_OPTIONS.giveUpAfterMs, 600_000);
  assert.equal(resolveReconnectOptions({ giveUpAfterMs: undefined }).giveUpAfterMs, 600_000);
  assert.throws(() => resolveReconnectOptions({ initialDelayMs: 0 }), RangeError);
  assert.throws(() => resolveReconnectOptions({ giveUpAfterMs: NaN }), /giveUpAfterMs/);
  assert.throws(
    () => resolveReconnectOptions({ initialDelayMs: 5000, maxDelayMs: 1000 }),
    /maxDelayMs \(1000\) is below initialDelayMs \(5000\)/,
  );
});

Deno.test("a drop starts a watch; the first sighting attempts at once; success ends the watch", () => {
  const { tracker, watches, lines, clock } = setup();
  assert.equal(tracker.sighted(A), "unknown");
  tracker.lost(A, "Massage Demo");
  assert.deepEqual(watches, [[A]]);
  assert.deepEqual(tracker.addresses, [A]);
  assert.equal(clock.pending, 1, "the give-up timer");
  assert.equal(tracker.sighted(A), "attempt");
  assert.equal(tracker.sighted(A), "busy", "one attempt at a time");
  tracker.connected(A);
  assert.deepEqual(watches, [[A], []]);
  assert.equal(tracker.status(A), undefined);
  assert.equal(clock.pending, 0, "give-up timer cancelled");
  assert.ok(lines.includes(
    `info btle: Massage Demo (${A}) dropped unexpectedly; reconnecting when it is seen again (for up to 600 s)`,
  ));
  assert.ok(lines.includes(`info btle: Massage Demo (${A}) reconnected after 0 s (1 attempt)`));
});

Deno.test("failed attempts back off 1 s, 2 s, 4 s … 30 s; sightings in between are ignored", async () => {
  const { tracker, clock, lines } = setup();
  tracker.lost(A, "Massage Demo");
  const expected = [1000, 2000, 4000, 8000, 16000, 30000, 30000];
  for (const [i, delay] of expected.entries()) {
    assert.equal(tracker.sighted(A), "attempt", `attempt ${i + 1}`);
    tracker.failed(A, new Error("connect timed out"));
    tracker.failed(A, new Error("a second candidate failing too")); // same attempt: ignored
    assert.equal(tracker.status(A)?.failures, i + 1);
    await clock.tick(delay - 1);
    assert.equal(tracker.sighted(A), "backoff", `still backing off 1 ms before ${delay}`);
    await clock.tick(1);
  }
  assert.equal(tracker.sighted(A), "attempt");
  assert.equal(tracker.status(A)?.attempts, expected.length + 1);
  assert.ok(lines.includes(
    `warn btle: reconnecting Massage Demo (${A}) failed: connect timed out; next attempt in 1 s at the earliest`,
  ));
  assert.ok(lines.some((l) => l.endsWith("next attempt in 30 s at the earliest")));
});

Deno.test("give up 10 minutes after the drop, with a log line and the watch emptied", async () => {
  const { tracker, clock, watches, lines } = setup();
  tracker.lost(A, "Massage Demo");
  tracker.lost(B, "LVS-Edge");
  assert.equal(tracker.sighted(A), "attempt");
  tracker.failed(A, new Error("nope"));
  await clock.tick(599_999);
  assert.deepEqual(tracker.addresses, [A, B]);
  await clock.tick(1);
  assert.deepEqual(tracker.addresses, []);
  assert.deepEqual(watches.at(-1), []);
  assert.equal(tracker.sighted(A), "unknown");
  assert.ok(lines.includes(
    `warn btle: gave up reconnecting Massage Demo (${A}) after 600 s (1 attempt); scan to find it again`,
  ));
  assert.ok(lines.includes(
    `warn btle: gave up reconnecting LVS-Edge (${B}) after 600 s (0 attempts); scan to find it again`,
  ));
  assert.equal(clock.pending, 0);
});

Deno.test("forget (requested disconnect) and unclaimed sightings end the watch; unknown addresses are ignored", () => {
  const { tracker, watches, lines } = setup();
  tracker.forget(A, "disconnected on request"); // never watched: nothing happens
  tracker.connected(A);
  tracker.failed(A, new Error("x"));
  tracker.unclaimed(A);
  assert.deepEqual(watches, []);
  tracker.lost(A, "Massage Demo");
  tracker.lost(B, "LVS-Edge");
  tracker.forget(A, "disconnected on request");
  assert.deepEqual(tracker.addresses, [B]);
  tracker.unclaimed(B); // no attempt running: nothing to decline
  assert.deepEqual(tracker.addresses, [B]);
  assert.equal(tracker.sighted(B), "attempt");
  tracker.unclaimed(B);
  assert.deepEqual(tracker.addresses, []);
  assert.deepEqual(watches, [[A], [A, B], [B], []]);
  assert.ok(lines.includes(
    `info btle: not reconnecting Massage Demo (${A}): disconnected on request`,
  ));
  assert.ok(lines.some((l) => l.includes(`LVS-Edge (${B}): seen again, but the device layer`)));
});

Deno.test("a link that drops again soon after reconnecting keeps backing off and keeps its deadline", async () => {
  const { tracker, clock, lines } = setup();
  tracker.lost(A, "Massage Demo");
  assert.equal(tracker.sighted(A), "attempt");
  tracker.failed(A, new Error("x"));
  await clock.tick(1000);
  assert.equal(tracker.sighted(A), "attempt");
  tracker.connected(A);
  await clock.tick(5000);
  tracker.lost(A, "Massage Demo"); // 5 s later: flapping
  const s = tracker.status(A)!;
  assert.equal(s.since, 0, "the deadline counts from the first drop");
  assert.equal(s.failures, 2);
  assert.equal(s.attempts, 2);
  assert.equal(s.nextAttemptAt, 6000 + 2000);
  assert.equal(tracker.sighted(A), "backoff");
  assert.ok(lines.includes(
    `info btle: Massage Demo (${A}) dropped again 5 s after reconnecting; next attempt in 2 s`,
  ));
  await clock.tick(2000);
  assert.equal(tracker.sighted(A), "attempt");
  tracker.connected(A);
  // Stable for 30 s: the next drop starts afresh.
  await clock.tick(30_000);
  tracker.lost(A, "Massage Demo");
  assert.equal(tracker.status(A)?.failures, 0);
  assert.equal(tracker.status(A)?.since, clock.now());
  assert.equal(tracker.sighted(A), "attempt");
});

Deno.test("a flapping device past its deadline is given up at once", async () => {
  const { tracker, clock, lines } = setup({ giveUpAfterMs: 10_000, stableAfterMs: 60_000 });
  tracker.lost(A, "Massage Demo");
  await clock.tick(9000);
  assert.equal(tracker.sighted(A), "attempt");
  tracker.connected(A);
  await clock.tick(2000);
  tracker.lost(A, "Massage Demo");
  assert.deepEqual(tracker.addresses, []);
  assert.equal(clock.pending, 0);
  assert.ok(lines.some((l) => l.startsWith(`warn btle: gave up reconnecting Massage Demo (${A})`)));
});

Deno.test("dispose cancels every timer and ignores later calls without reporting watch changes", () => {
  const { tracker, clock, watches } = setup();
  tracker.lost(A, "Massage Demo");
  tracker.lost(B, "LVS-Edge");
  assert.equal(clock.pending, 2);
  tracker[Symbol.dispose]();
  tracker[Symbol.dispose]();
  assert.equal(clock.pending, 0);
  assert.deepEqual(tracker.addresses, []);
  tracker.lost(A, "Massage Demo");
  assert.equal(tracker.sighted(A), "unknown");
  assert.equal(clock.pending, 0);
  assert.deepEqual(watches, [[A], [A, B]]);
});
