/**
 * Section 4, scale: 100 simulated Lovense toys (through the real device pipeline) on one server.
 * Each round the raw client sends a burst of one vibrate per toy (one frame each, back to back)
 * and waits for every reply, then one `StopCmd{}` (v4 StopAllDevices) that must reach all 100.
 * Measured: until the last reply and until the last toy received its bytes.
 *
 * Baselines: the bare echo server answering the same 100 frames (burst), and one echo round trip
 * (stop: one frame, one reply).
 *
 * @module
 */
import { assertNoErrors } from "./_client.ts";
import type { BenchContext } from "./_context.ts";
import { samples } from "./_context.ts";
import { serveEcho } from "./_echo_server.ts";
import { createLovenseDevices } from "./_lovense_rig.ts";
import { microseconds, ratio, type Summary } from "./_stats.ts";
import { serveWebSocket } from "../server/websocket.ts";

/** Toys on the server. */
export const SCALE_DEVICES = 100;

/** Results of the scale section (microseconds). */
export interface ScaleResult {
  /** Toys. */
  readonly devices: number;
  /** Rounds measured. */
  readonly rounds: number;
  /** StopCmd{} send → its Ok, p50. */
  readonly stop_all_reply_p50_us: number;
  /** StopCmd{} send → the last toy received its stop bytes, p50. */
  readonly stop_all_devices_p50_us: number;
  /** Same, p99. */
  readonly stop_all_devices_p99_us: number;
  /** One echo round trip (one frame, one reply), p50. */
  readonly stop_baseline_p50_us: number;
  /** `stop_all_devices_p50_us / stop_baseline_p50_us`. */
  readonly stop_ratio_p50: number;
  /** Burst of one frame per toy → last reply, p50. */
  readonly burst_reply_p50_us: number;
  /** Burst → the last toy received its bytes, p50. */
  readonly burst_devices_p50_us: number;
  /** The echo server answering the same burst, p50. */
  readonly burst_baseline_p50_us: number;
  /** `burst_reply_p50_us / burst_baseline_p50_us`. */
  readonly burst_ratio_p50: number;
  /** Full distributions. */
  readonly stop_reply: Summary;
  readonly stop_devices: Summary;
  readonly burst_reply: Summary;
  readonly burst_devices: Summary;
  readonly stop_baseline: Summary;
  readonly burst_baseline: Summary;
}

/** Runs the scale section. */
export async function benchScale(ctx: BenchContext): Promise<ScaleResult> {
  const rounds = samples(ctx, 500, 5);
  const warmup = samples(ctx, 30, 2);
  await using echo = serveEcho();
  const base = await ctx.client.burst({
    kind: "burst",
    url: echo.url,
    rounds,
    warmup,
    devices: SCALE_DEVICES,
    value: 10,
  });
  assertNoErrors("scale baseline", base);
  await using toys = await createLovenseDevices({
    count: SCALE_DEVICES,
    gapMs: 0,
    timeoutMs: 30_000,
  });
  await using server = serveWebSocket({ deviceManager: toys.manager, port: 0 });
  const ours = await ctx.client.burst({
    kind: "burst",
    url: server.url,
    rounds,
    warmup,
    devices: SCALE_DEVICES,
    value: 10,
    signal: toys.signal.buffer,
  });
  assertNoErrors("scale ours", ours);
  const stopReply = microseconds(ours.stopReplyUs);
  const stopDevices = microseconds(ours.stopDeviceUs);
  const burstReply = microseconds(ours.burstReplyUs);
  const burstDevices = microseconds(ours.burstDeviceUs);
  const stopBaseline = microseconds(base.stopReplyUs);
  const burstBaseline = microseconds(base.burstReplyUs);
  return {
    devices: SCALE_DEVICES,
    rounds: stopReply.n,
    stop_all_reply_p50_us: stopReply.p50,
    stop_all_devices_p50_us: stopDevices.p50,
    stop_all_devices_p99_us: stopDevices.p99,
    stop_baseline_p50_us: stopBaseline.p50,
    stop_ratio_p50: ratio(stopDevices.p50, stopBaseline.p50),
    burst_reply_p50_us: burstReply.p50,
    burst_devices_p50_us: burstDevices.p50,
    burst_baseline_p50_us: burstBaseline.p50,
    burst_ratio_p50: ratio(burstReply.p50, burstBaseline.p50),
    stop_reply: stopReply,
    stop_devices: stopDevices,
    burst_reply: burstReply,
    burst_devices: burstDevices,
    stop_baseline: stopBaseline,
    burst_baseline: burstBaseline,
  };
}
