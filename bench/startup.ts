/**
 * Section 5b, start-up: time from spawning the server process to its port accepting TCP
 * connections. Ours: `server/main.ts` run as `deno task start` runs it (same permission flags),
 * on a free port, without hardware transports. Baseline: a Deno process serving only the bare
 * echo server (`_bare_echo_main.ts`). Each is started once first (module cache warm-up, not
 * counted), then alternately; figures are medians.
 *
 * @module
 */
import type { BenchContext } from "./_context.ts";
import { samples } from "./_context.ts";
import { freePort, mib, rssBytes, waitForPort } from "./_process.ts";
import { ratio, round, summarize } from "./_stats.ts";

/** Permission flags of `deno task start` (deno.json). */
export const START_FLAGS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
];

const path = (file: string): string => new URL(file, import.meta.url).pathname;

/** Results of the start-up section. */
export interface StartupResult {
  /** Median ms from spawn to accepting, ours. */
  readonly ms: number;
  /** Median ms from spawn to accepting, bare echo process. */
  readonly baseline_ms: number;
  /** `ms / baseline_ms`. */
  readonly ratio: number;
  /** Starts measured per side. */
  readonly runs: number;
  /** Every measured start, ours. */
  readonly ours_runs: readonly number[];
  /** Every measured start, baseline. */
  readonly baseline_runs: readonly number[];
  /** RSS of `server/main.ts` right after it accepted (MiB). */
  readonly cli_rss_mb: number;
  /** The command measured. */
  readonly command: string;
}

/** Spawns, waits for the port, stops it; returns ms to accept and the RSS at that moment. */
async function startOnce(args: (port: number) => string[]): Promise<{ ms: number; rss?: number }> {
  const port = freePort();
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: args(port),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitForPort(port);
    const ms = performance.now() - t0;
    const rss = await rssBytes(child.pid);
    return { ms, ...(rss === undefined ? {} : { rss }) };
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
  }
}

/** Runs the start-up section. */
export async function benchStartup(ctx: BenchContext): Promise<StartupResult> {
  const runs = samples(ctx, 9, 1);
  const ours = (port: number): string[] => [
    "run",
    ...START_FLAGS,
    path("../server/main.ts"),
    "--websocket-port",
    String(port),
    "--no-hardware",
  ];
  const baseline = (
    port: number,
  ): string[] => ["run", "--allow-net", path("_bare_echo_main.ts"), String(port)];
  // Warm the module cache (type-stripping/transpiling happens once per file).
  await startOnce(ours);
  await startOnce(baseline);
  const oursRuns: number[] = [];
  const baselineRuns: number[] = [];
  let rss: number | undefined;
  for (let i = 0; i < runs; i++) {
    const b = await startOnce(baseline);
    baselineRuns.push(round(b.ms, 1));
    const o = await startOnce(ours);
    oursRuns.push(round(o.ms, 1));
    rss = o.rss ?? rss;
  }
  ctx.log(`startup: ours ${oursRuns.join(", ")} ms; baseline ${baselineRuns.join(", ")} ms`);
  const ms = round(summarize(oursRuns).p50, 1);
  const baselineMs = round(summarize(baselineRuns).p50, 1);
  return {
    ms,
    baseline_ms: baselineMs,
    ratio: ratio(ms, baselineMs),
    runs,
    ours_runs: oursRuns,
    baseline_runs: baselineRuns,
    cli_rss_mb: mib(rss),
    command: `deno run ${
      START_FLAGS.join(" ")
    } server/main.ts --websocket-port <free> --no-hardware`,
  };
}
