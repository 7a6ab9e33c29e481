/**
 * Section 5a, memory: resident memory (RSS, from `/proc`) of a server process, idle and with 100
 * simulated Lovense toys, with and without the hardware sidecar (for the sidecar the Node
 * process's RSS is added). Baseline: a Deno process serving only the bare echo server.
 *
 * @module
 */
import type { BenchContext, Skipped } from "./_context.ts";
import { mib, rssBytes, spawnReady } from "./_process.ts";
import { hasNode } from "./_node_stdio.ts";
import { ratio } from "./_stats.ts";
import { SCALE_DEVICES } from "./scale.ts";

const HERE = new URL("./", import.meta.url);
const path = (file: string): string => new URL(file, HERE).pathname;

/** Results of the memory section (MiB). */
export interface MemoryResult {
  /** The bare echo server process. */
  readonly baseline_rss_mb: number;
  /** Our server, no device, no client. */
  readonly idle_rss_mb: number;
  /** `idle_rss_mb / baseline_rss_mb`. */
  readonly idle_ratio: number;
  /** Our server with 100 toys. */
  readonly devices_rss_mb: number;
  /** `devices_rss_mb / baseline_rss_mb`. */
  readonly devices_ratio: number;
  /** Toys in `devices_rss_mb`. */
  readonly devices: number;
  /** (devices − idle) / devices, in KiB. */
  readonly per_device_kb: number;
  /** Idle, plus the sidecar (Deno + Node). */
  readonly idle_with_sidecar_rss_mb: number | null;
  /** 100 toys, plus the sidecar (Deno + Node). */
  readonly devices_with_sidecar_rss_mb: number | null;
  /** The Node sidecar alone (idle case). */
  readonly sidecar_node_rss_mb: number | null;
  /** Which sidecar: the real one (all transports) or the in-memory serial one (smoke runs). */
  readonly sidecar: string;
  /** Wait after start-up before reading RSS, in ms. */
  readonly settle_ms: number;
}

/** RSS of a child started with `args` (plus its sidecar's, when it reports one). */
async function measure(args: string[], settleMs: number): Promise<{ deno: number; node?: number }> {
  await using proc = await spawnReady(args);
  await new Promise((r) => setTimeout(r, settleMs));
  const deno = await rssBytes(proc.child.pid);
  if (deno === undefined) throw new Error("cannot read RSS from /proc");
  const sidecarPid = proc.ready.sidecarPid;
  const node = typeof sidecarPid === "number" ? await rssBytes(sidecarPid) : undefined;
  return { deno, ...(node === undefined ? {} : { node }) };
}

/** Runs the memory section, or says why it cannot run here. */
export async function benchMemory(ctx: BenchContext): Promise<MemoryResult | Skipped> {
  if (Deno.build.os !== "linux") return { skipped: "RSS is read from /proc (Linux only)" };
  const settleMs = ctx.smoke ? 100 : 500;
  const server = path("_server_process.ts");
  ctx.log("memory: bare echo process");
  const baseline = await measure([path("_bare_echo_main.ts"), "0", "--stdin"], settleMs);
  ctx.log("memory: our server, idle");
  const idle = await measure([server, "--devices", "0"], settleMs);
  ctx.log(`memory: our server, ${SCALE_DEVICES} toys`);
  const devices = await measure([server, "--devices", String(SCALE_DEVICES)], settleMs);
  let withSidecar: { deno: number; node?: number } | undefined;
  let devicesWithSidecar: { deno: number; node?: number } | undefined;
  const sidecar = ctx.smoke ? "fake" : "real";
  if (await hasNode()) {
    ctx.log(`memory: our server + ${sidecar} sidecar, idle and with ${SCALE_DEVICES} toys`);
    withSidecar = await measure([server, "--devices", "0", "--sidecar", sidecar], settleMs);
    devicesWithSidecar = await measure(
      [server, "--devices", String(SCALE_DEVICES), "--sidecar", sidecar],
      settleMs,
    );
  }
  const total = (m: { deno: number; node?: number } | undefined): number | null =>
    m === undefined ? null : mib(m.deno + (m.node ?? 0));
  return {
    baseline_rss_mb: mib(baseline.deno),
    idle_rss_mb: mib(idle.deno),
    idle_ratio: ratio(idle.deno, baseline.deno),
    devices_rss_mb: mib(devices.deno),
    devices_ratio: ratio(devices.deno, baseline.deno),
    devices: SCALE_DEVICES,
    per_device_kb: Math.round((devices.deno - idle.deno) / SCALE_DEVICES / 1024 * 10) / 10,
    idle_with_sidecar_rss_mb: total(withSidecar),
    devices_with_sidecar_rss_mb: total(devicesWithSidecar),
    sidecar_node_rss_mb: withSidecar?.node === undefined ? null : mib(withSidecar.node),
    sidecar: withSidecar === undefined
      ? "not measured (node is not installed)"
      : sidecar === "real"
      ? "real sidecar, all transports (btle, serial, hid)"
      : "sidecar router with the in-memory serial port (smoke run)",
    settle_ms: settleMs,
  };
}
