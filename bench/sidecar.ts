/**
 * Section 3, through the sidecar: the same vibrate as section 1, but the Lovense sits behind the
 * Node sidecar: its real router and serial transport with an in-memory port (see
 * `_sidecar_rig.ts`). One round trip is complete when the client has the `Ok` *and* the sidecar
 * has acknowledged the write, i.e. one WebSocket round trip plus one stdio JSON round trip to
 * Node.
 *
 * Baseline: the bare echo server doing exactly that much work: for each frame it sends one JSON
 * line to a bare Node stdio echo (`_node_echo.mjs`), waits for the reply line, then answers `Ok`.
 *
 * The full run also measures the real serial path (the real sidecar with `serialport` writing to
 * a socat pty, the toy reading on the other end), which adds kernel and socat work the baseline
 * does not have.
 *
 * @module
 */
import { assertNoErrors } from "./_client.ts";
import type { BenchContext, Skipped } from "./_context.ts";
import { samples } from "./_context.ts";
import { serveEcho } from "./_echo_server.ts";
import { quiesce } from "./_lovense_rig.ts";
import { hasNode, NodeStdioEcho } from "./_node_stdio.ts";
import { hasSocat } from "../tests/hardware/_pty_pair.ts";
import { startSidecarToy } from "./_sidecar_rig.ts";
import { microseconds, ratio, type Summary } from "./_stats.ts";
import { VIBRATE_TARGET } from "./latency.ts";
import { serveWebSocket } from "../server/websocket.ts";

/** Goal: our p50 at most this many times the baseline's. */
export const SIDECAR_GOAL_RATIO = 1.5;

/** Results of the sidecar section (microseconds). */
export interface SidecarResult {
  /** Send → Ok received and write acknowledged by the sidecar, p50. */
  readonly p50_us: number;
  /** Same, p99. */
  readonly p99_us: number;
  /** Echo + one bare stdio round trip to Node, p50. */
  readonly baseline_p50_us: number;
  /** Same, p99. */
  readonly baseline_p99_us: number;
  /** `p50_us / baseline_p50_us`. */
  readonly ratio_p50: number;
  /** The goal for `ratio_p50`. */
  readonly goal_ratio_p50: number;
  /** Whether `ratio_p50 <= goal_ratio_p50`. */
  readonly goal_met: boolean;
  /** Round trips measured per side. */
  readonly samples: number;
  /** Send → Ok only (our server replies once the command is queued). */
  readonly reply: Summary;
  /** One bare stdio JSON round trip Deno → Node → Deno, for reference. */
  readonly stdio: Summary;
  /** Full distributions. */
  readonly ours: Summary;
  readonly baseline: Summary;
  /** The real serial path over a socat pty (full run only). */
  readonly serial_pty: SerialPtyResult | Skipped;
}

/** The real sidecar writing to a socat pty. */
export interface SerialPtyResult {
  /** Send → Ok and write acknowledged, p50. */
  readonly p50_us: number;
  /** Same, p99. */
  readonly p99_us: number;
  /** `p50_us / baseline_p50_us` (same baseline as the section). */
  readonly ratio_p50: number;
  /** Send → Ok only. */
  readonly reply: Summary;
  /** Send → the toy read the bytes on the far end of the pty. */
  readonly device: Summary;
}

/** Runs the sidecar section, or says why it cannot run here. */
export async function benchSidecar(ctx: BenchContext): Promise<SidecarResult | Skipped> {
  if (!(await hasNode())) return { skipped: "node is not installed (the sidecar runs on Node)" };
  const count = samples(ctx, 10_000, 100);
  const warmup = samples(ctx, 300, 20);
  const blocks = ctx.smoke ? 1 : 4;
  const per = Math.ceil(count / blocks);

  await using node = await NodeStdioEcho.start();
  const write = { handle: "serial-1", endpoint: "tx", withResponse: false };
  const bytes = [...new TextEncoder().encode("Vibrate:10;")];
  await using echo = serveEcho({
    beforeReply: () => node.roundTrip("write", { ...write, data: bytes }),
  });
  await using toy = await startSidecarToy("fake");
  await using server = serveWebSocket({ deviceManager: toy.devices.manager, port: 0 });

  // One bare stdio round trip, for reference.
  const stdioUs = new Float64Array(samples(ctx, 5_000, 50));
  for (let i = -warmup; i < stdioUs.length; i++) {
    const t0 = performance.now();
    await node.roundTrip("write", { ...write, data: bytes });
    if (i >= 0) stdioUs[i] = (performance.now() - t0) * 1000;
  }

  const baselineParts: number[] = [];
  const oursParts: number[] = [];
  const replyParts: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const base = await ctx.client.closed({
      kind: "closed",
      url: echo.url,
      count: per,
      warmup,
      target: VIBRATE_TARGET,
    });
    assertNoErrors("sidecar baseline", base);
    baselineParts.push(...base.replyUs);
    const ours = await ctx.client.closed({
      kind: "closed",
      url: server.url,
      count: per,
      warmup,
      target: VIBRATE_TARGET,
      signal: toy.acked.buffer,
      waitDevice: true,
    });
    assertNoErrors("sidecar ours", ours);
    oursParts.push(...ours.completeUs);
    replyParts.push(...ours.replyUs);
    await quiesce(server, toy.devices);
  }
  const ours = microseconds(oursParts);
  const baseline = microseconds(baselineParts);
  const r = ratio(ours.p50, baseline.p50);
  const serialPty: SerialPtyResult | Skipped = ctx.smoke
    ? { skipped: "full run only (needs the real sidecar's npm packages)" }
    : hasSocat()
    ? await benchSerialPty(ctx, Math.min(count, 5_000), warmup, baseline.p50)
    : { skipped: "socat is not installed (apt-get install socat): it provides the serial pty" };
  return {
    p50_us: ours.p50,
    p99_us: ours.p99,
    baseline_p50_us: baseline.p50,
    baseline_p99_us: baseline.p99,
    ratio_p50: r,
    goal_ratio_p50: SIDECAR_GOAL_RATIO,
    goal_met: r <= SIDECAR_GOAL_RATIO,
    samples: ours.n,
    reply: microseconds(replyParts),
    stdio: microseconds(stdioUs),
    ours,
    baseline,
    serial_pty: serialPty,
  };
}

/** The real sidecar and `serialport` writing to a socat pty; the toy reads the far end. */
async function benchSerialPty(
  ctx: BenchContext,
  count: number,
  warmup: number,
  baselineP50: number,
): Promise<SerialPtyResult> {
  await using toy = await startSidecarToy("pty");
  await using server = serveWebSocket({ deviceManager: toy.devices.manager, port: 0 });
  const result = await ctx.client.closed({
    kind: "closed",
    url: server.url,
    count,
    warmup,
    target: VIBRATE_TARGET,
    signal: toy.acked.buffer,
    waitDevice: true,
    ...(toy.received ? { observe: toy.received.buffer } : {}),
  });
  assertNoErrors("sidecar serial pty", result);
  const complete = microseconds(result.completeUs);
  return {
    p50_us: complete.p50,
    p99_us: complete.p99,
    ratio_p50: ratio(complete.p50, baselineP50),
    reply: microseconds(result.replyUs),
    device: microseconds(result.observedUs),
  };
}
