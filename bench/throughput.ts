/**
 * Section 2, pipelined throughput: the raw client keeps a window of vibrate commands in flight
 * (one frame each, alternating values) and sends a new one for every reply, against our server
 * with a simulated Lovense and against the bare echo server.
 *
 * @module
 */
import { assertNoErrors } from "./_client.ts";
import type { BenchContext } from "./_context.ts";
import { samples } from "./_context.ts";
import { serveEcho } from "./_echo_server.ts";
import { createLovenseDevices, quiesce } from "./_lovense_rig.ts";
import { ratio, summarize } from "./_stats.ts";
import { VIBRATE_TARGET } from "./latency.ts";
import { serveWebSocket } from "../server/websocket.ts";

/** Goal: our throughput at least this fraction of the echo's. */
export const THROUGHPUT_GOAL_RATIO = 0.7;
/** Commands in flight. */
export const WINDOW = 64;

/** Results of the throughput section. */
export interface ThroughputResult {
  /** Replies per second through our server. */
  readonly msgs_per_s: number;
  /** Replies per second from the bare echo server. */
  readonly baseline_msgs_per_s: number;
  /** `msgs_per_s / baseline_msgs_per_s` (higher is better). */
  readonly ratio: number;
  /** The goal for `ratio` (at least). */
  readonly goal_ratio: number;
  /** Whether `ratio >= goal_ratio`. */
  readonly goal_met: boolean;
  /** Commands in flight. */
  readonly window: number;
  /** Commands per measured run. */
  readonly count: number;
  /** Runs per side (alternating); the figures are the medians. */
  readonly runs: number;
  /** Every run through our server, replies per second. */
  readonly ours_runs: readonly number[];
  /** Every run of the baseline, replies per second. */
  readonly baseline_runs: readonly number[];
  /** Writes the simulated toy received during our measured runs (de-dup keeps only the newest). */
  readonly device_writes: number;
}

/** Runs the throughput section. */
export async function benchThroughput(ctx: BenchContext): Promise<ThroughputResult> {
  const count = samples(ctx, 30_000, 300);
  const runs = ctx.smoke ? 1 : 5;
  await using echo = serveEcho();
  await using toys = await createLovenseDevices({ gapMs: 0 });
  await using server = serveWebSocket({ deviceManager: toys.manager, port: 0 });
  const job = { kind: "pipelined", count, window: WINDOW, target: VIBRATE_TARGET } as const;
  // Warm both sides up once.
  const warm = Math.min(count, 2000);
  assertNoErrors(
    "throughput warm-up",
    await ctx.client.pipelined({ ...job, count: warm, url: echo.url }),
  );
  assertNoErrors(
    "throughput warm-up",
    await ctx.client.pipelined({ ...job, count: warm, url: server.url }),
  );
  await quiesce(server, toys);
  const oursRuns: number[] = [];
  const baselineRuns: number[] = [];
  let deviceWrites = 0;
  for (let r = 0; r < runs; r++) {
    const base = await ctx.client.pipelined({ ...job, url: echo.url });
    assertNoErrors("throughput baseline", base);
    baselineRuns.push(Math.round(base.replies / (base.elapsedMs / 1000)));
    const before = toys.signal.count;
    const ours = await ctx.client.pipelined({ ...job, url: server.url });
    assertNoErrors("throughput ours", ours);
    oursRuns.push(Math.round(ours.replies / (ours.elapsedMs / 1000)));
    await quiesce(server, toys);
    deviceWrites += toys.signal.count - before;
  }
  const ours = summarize(oursRuns).p50;
  const baseline = summarize(baselineRuns).p50;
  const r = ratio(ours, baseline);
  return {
    msgs_per_s: ours,
    baseline_msgs_per_s: baseline,
    ratio: r,
    goal_ratio: THROUGHPUT_GOAL_RATIO,
    goal_met: r >= THROUGHPUT_GOAL_RATIO,
    window: WINDOW,
    count,
    runs,
    ours_runs: oursRuns,
    baseline_runs: baselineRuns,
    device_writes: deviceWrites,
  };
}
