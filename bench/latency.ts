/**
 * Section 1, command latency: a raw WebSocket client (worker thread) sends a v4 vibrate
 * (`OutputCmd`, alternating values so value de-duplication never skips one) to our server
 * (`serveWebSocket` → `ButtplugServer` session → `lovense` protocol → `DeviceTask`) driving a
 * simulated byte-level Lovense Hush, and waits for the `Ok`. Baseline: the same loop against a
 * bare `Deno.serve` WebSocket server answering each frame with a JSON `Ok`.
 *
 * Also measured: the same path through our client library (`ButtplugClient` +
 * `WebSocketConnector`), the time until the simulated toy actually received the bytes, a
 * breakdown (`Ping`; a vibrate on the in-process test device), and the same vibrate with a
 * BLE-like 75 ms batching window (the reply still comes once the command is queued; the toy gets
 * it when the window closes). All variants run in alternating blocks, so load changes on the
 * machine hit every variant alike.
 *
 * @module
 */
import { assertNoErrors } from "./_client.ts";
import type { BenchContext } from "./_context.ts";
import { samples } from "./_context.ts";
import { serveEcho } from "./_echo_server.ts";
import type { CommandTarget, LoopResult } from "./_jobs.ts";
import { createLovenseDevices, quiesce } from "./_lovense_rig.ts";
import { microseconds, ratio, type Summary } from "./_stats.ts";
import { createTestDevice } from "../hardware/simulated.ts";
import { DeviceManager } from "../server/devices/manager.ts";
import { serveWebSocket } from "../server/websocket.ts";

/** Goal: our reply p50 at most this many times the bare echo's. */
export const LATENCY_GOAL_RATIO = 1.25;
/** The BLE-like batching window measured separately, in ms. */
export const BLE_GAP_MS = 75;

/** Vibrate on feature 0 of device 0, alternating between two step values. */
export const VIBRATE_TARGET: CommandTarget = { deviceIndex: 0, featureIndex: 0, values: [10, 11] };

/** Results of the latency section (microseconds). */
export interface LatencyResult {
  /** Reply p50 through our server. */
  readonly p50_us: number;
  /** Reply p99 through our server. */
  readonly p99_us: number;
  /** Reply p50 of the bare echo server. */
  readonly baseline_p50_us: number;
  /** Reply p99 of the bare echo server. */
  readonly baseline_p99_us: number;
  /** `p50_us / baseline_p50_us`. */
  readonly ratio_p50: number;
  /** `p99_us / baseline_p99_us`. */
  readonly ratio_p99: number;
  /** The goal for `ratio_p50`. */
  readonly goal_ratio_p50: number;
  /** Whether `ratio_p50 <= goal_ratio_p50`. */
  readonly goal_met: boolean;
  /** Round trips measured on each side. */
  readonly samples: number;
  /** Full reply distribution, ours. */
  readonly ours: Summary;
  /** Full reply distribution, baseline. */
  readonly baseline: Summary;
  /** Send → the simulated toy received the bytes (no batching window). */
  readonly device: Summary;
  /** Our client library over the same path. */
  readonly library: {
    readonly p50_us: number;
    readonly p99_us: number;
    readonly ratio_p50: number;
    readonly reply: Summary;
    readonly device: Summary;
  };
  /**
   * Where the time goes (reply p50 through our server): `Ping` (transport + session only), a
   * vibrate on the in-process test device (+ validation and a `DeviceBackend` call, no bytes),
   * and the Lovense (+ protocol encoder, device task, simulated peripheral).
   */
  readonly breakdown: {
    readonly ping_p50_us: number;
    readonly test_device_p50_us: number;
    readonly lovense_p50_us: number;
    readonly echo_p50_us: number;
    readonly ping: Summary;
    readonly test_device: Summary;
  };
  /** With a BLE-like batching window. */
  readonly ble_gap: {
    readonly gap_ms: number;
    /** Reply p50: the Ok comes once the command is queued. */
    readonly reply_p50_us: number;
    readonly reply_p99_us: number;
    /** Echo p50 measured in blocks alternating with this loop. */
    readonly baseline_p50_us: number;
    readonly ratio_p50: number;
    /** Send → the toy received the bytes (one command at a time, so each opens a window). */
    readonly device_p50_us: number;
    readonly device_max_us: number;
    readonly device: Summary;
  };
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Runs the latency section. */
export async function benchLatency(ctx: BenchContext): Promise<LatencyResult> {
  const count = samples(ctx, 20_000, 200);
  const warmup = samples(ctx, 500, 20);
  // Alternate blocks of baseline and ours so slow drifts (CPU clock, JIT) hit both alike.
  const blocks = ctx.smoke ? 1 : 8;
  const per = Math.ceil(count / blocks);

  const baselineParts: Float64Array[] = [];
  const oursParts: Float64Array[] = [];
  const deviceParts: Float64Array[] = [];
  const libraryParts: Float64Array[] = [];
  const libraryDeviceParts: Float64Array[] = [];
  const pingParts: Float64Array[] = [];
  const testDeviceParts: Float64Array[] = [];
  await using echo = serveEcho();
  await using toys = await createLovenseDevices({ gapMs: 0 });
  await using server = serveWebSocket({ deviceManager: toys.manager, port: 0 });
  // Breakdown: the same server with the in-process test device (no bytes, no protocol).
  await using testManager = new DeviceManager();
  testManager.add(createTestDevice());
  await using testServer = serveWebSocket({ deviceManager: testManager, port: 0 });
  const half = Math.ceil(per / 2);
  for (let b = 0; b < blocks; b++) {
    const base = await ctx.client.closed({
      kind: "closed",
      url: echo.url,
      count: per,
      warmup,
      target: VIBRATE_TARGET,
    });
    assertNoErrors("latency baseline", base);
    baselineParts.push(base.replyUs);
    const ours = await ctx.client.closed({
      kind: "closed",
      url: server.url,
      count: per,
      warmup,
      target: VIBRATE_TARGET,
      signal: toys.signal.buffer,
      waitDevice: true,
    });
    assertNoErrors("latency ours", ours);
    oursParts.push(ours.replyUs);
    deviceParts.push(ours.deviceUs);
    await quiesce(server, toys);
    const lib: LoopResult = await ctx.client.library({
      kind: "library",
      url: server.url,
      count: half,
      warmup,
      deviceIndex: 0,
      speeds: [0.5, 0.55],
      signal: toys.signal.buffer,
    });
    assertNoErrors("latency library", lib);
    libraryParts.push(lib.replyUs);
    libraryDeviceParts.push(lib.deviceUs);
    await quiesce(server, toys);
    const ping = await ctx.client.closed({
      kind: "closed",
      url: testServer.url,
      count: half,
      warmup,
      target: { ...VIBRATE_TARGET, ping: true },
    });
    assertNoErrors("latency ping", ping);
    pingParts.push(ping.replyUs);
    await quiesce(testServer);
    const test = await ctx.client.closed({
      kind: "closed",
      url: testServer.url,
      count: half,
      warmup,
      target: VIBRATE_TARGET,
    });
    assertNoErrors("latency test device", test);
    testDeviceParts.push(test.replyUs);
    await quiesce(testServer);
  }
  await server.shutdown();
  await testServer.shutdown();

  const baseline = microseconds(concat(baselineParts));
  const ours = microseconds(concat(oursParts));
  const libReply = microseconds(concat(libraryParts));
  const ping = microseconds(concat(pingParts));
  const testDevice = microseconds(concat(testDeviceParts));
  const ble = await benchBleGap(ctx, warmup, echo.url);
  const ratioP50 = ratio(ours.p50, baseline.p50);
  return {
    p50_us: ours.p50,
    p99_us: ours.p99,
    baseline_p50_us: baseline.p50,
    baseline_p99_us: baseline.p99,
    ratio_p50: ratioP50,
    ratio_p99: ratio(ours.p99, baseline.p99),
    goal_ratio_p50: LATENCY_GOAL_RATIO,
    goal_met: ratioP50 <= LATENCY_GOAL_RATIO,
    samples: ours.n,
    ours,
    baseline,
    device: microseconds(concat(deviceParts)),
    library: {
      p50_us: libReply.p50,
      p99_us: libReply.p99,
      ratio_p50: ratio(libReply.p50, baseline.p50),
      reply: libReply,
      device: microseconds(concat(libraryDeviceParts)),
    },
    breakdown: {
      ping_p50_us: ping.p50,
      test_device_p50_us: testDevice.p50,
      lovense_p50_us: ours.p50,
      echo_p50_us: baseline.p50,
      ping,
      test_device: testDevice,
    },
    ble_gap: {
      gap_ms: BLE_GAP_MS,
      reply_p50_us: ble.reply.p50,
      reply_p99_us: ble.reply.p99,
      baseline_p50_us: ble.baseline.p50,
      ratio_p50: ratio(ble.reply.p50, ble.baseline.p50),
      device_p50_us: ble.device.p50,
      device_max_us: ble.device.max,
      device: ble.device,
    },
  };
}

/** Reply latency and toy-received latency with a BLE-like batching window. */
async function benchBleGap(
  ctx: BenchContext,
  warmup: number,
  echoUrl: string,
): Promise<{ reply: Summary; baseline: Summary; device: Summary }> {
  await using toys = await createLovenseDevices({ gapMs: BLE_GAP_MS });
  await using server = serveWebSocket({ deviceManager: toys.manager, port: 0 });
  // Reply latency: a fast loop (the toy gets the newest value once per window), in blocks
  // alternating with the echo baseline.
  const blocks = ctx.smoke ? 1 : 4;
  const per = Math.ceil(samples(ctx, 8_000, 100) / blocks);
  const replyParts: Float64Array[] = [];
  const baselineParts: Float64Array[] = [];
  for (let b = 0; b < blocks; b++) {
    const base = await ctx.client.closed({
      kind: "closed",
      url: echoUrl,
      count: per,
      warmup,
      target: VIBRATE_TARGET,
    });
    assertNoErrors("latency (BLE gap) baseline", base);
    baselineParts.push(base.replyUs);
    const replies = await ctx.client.closed({
      kind: "closed",
      url: server.url,
      count: per,
      warmup,
      target: VIBRATE_TARGET,
    });
    assertNoErrors("latency (BLE gap) replies", replies);
    replyParts.push(replies.replyUs);
    await quiesce(server, toys);
  }
  // Toy-received latency: one command at a time, each waiting for its write.
  const waited = await ctx.client.closed({
    kind: "closed",
    url: server.url,
    count: samples(ctx, 30, 2),
    warmup: 1,
    target: VIBRATE_TARGET,
    signal: toys.signal.buffer,
    waitDevice: true,
  });
  assertNoErrors("latency (BLE gap) device", waited);
  return {
    reply: microseconds(concat(replyParts)),
    baseline: microseconds(concat(baselineParts)),
    device: microseconds(waited.deviceUs),
  };
}
