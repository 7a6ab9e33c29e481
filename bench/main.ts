/**
 * `deno task bench`: runs every benchmark, prints one table (each figure beside a baseline
 * measured in the same run, with the ratio) and writes `bench/results.json`.
 *
 * ```sh
 * deno task bench                       # full run (~2 min on 2 cores)
 * deno run -A bench/main.ts --smoke     # a few samples per section, only to prove it runs
 * deno run -A bench/main.ts --only latency,peer --out /tmp/results.json
 * ```
 *
 * Sections: latency, throughput, sidecar, scale, peer, memory, startup (see bench/README.md).
 * Benchmarks never fail on timing; the exit code is 1 only when a section could not run at all
 * for a reason other than a missing tool (node, socat), which is reported as skipped.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ClientWorker } from "./_client.ts";
import type { BenchContext, Skipped } from "./_context.ts";
import { formatTable } from "./_report.ts";
import { round } from "./_stats.ts";
import { benchLatency, type LatencyResult } from "./latency.ts";
import { benchMemory, type MemoryResult } from "./memory.ts";
import { benchPeer, type PeerResult } from "./peer.ts";
import { benchScale, type ScaleResult } from "./scale.ts";
import { benchSidecar, type SidecarResult } from "./sidecar.ts";
import { benchStartup, type StartupResult } from "./startup.ts";
import { benchThroughput, type ThroughputResult } from "./throughput.ts";

/** A section that threw (a bug or a broken environment, never a slow result). */
export interface Failed {
  /** The error, with its stack. */
  readonly error: string;
}

/** What a section produced. */
export type Outcome<T> = T | Skipped | Failed;

/** Every section, in run order. */
export const SECTIONS = [
  "latency",
  "throughput",
  "sidecar",
  "scale",
  "peer",
  "memory",
  "startup",
] as const;

/** A section name. */
export type SectionName = typeof SECTIONS[number];

/** Run information. */
export interface BenchMeta {
  /** ISO time the run started. */
  readonly date: string;
  /** Whether this was a smoke run. */
  readonly smoke: boolean;
  /** Sections run. */
  readonly sections: readonly SectionName[];
  /** Deno version. */
  readonly deno: string;
  /** V8 version. */
  readonly v8: string;
  /** OS and CPU architecture. */
  readonly os: string;
  /** Logical CPUs. */
  readonly cpus: number;
  /** 1/5/15-minute load averages before and after (other work on the machine skews results). */
  readonly load_before: readonly number[];
  readonly load_after: readonly number[];
  /** Wall time of the run, seconds. */
  readonly duration_s: number;
}

/** The content of `bench/results.json`. */
export interface BenchResults {
  readonly meta: BenchMeta;
  readonly latency: Outcome<LatencyResult>;
  readonly throughput: Outcome<ThroughputResult>;
  readonly sidecar: Outcome<SidecarResult>;
  readonly scale: Outcome<ScaleResult>;
  readonly peer: Outcome<PeerResult>;
  readonly memory: Outcome<MemoryResult>;
  readonly startup: Outcome<StartupResult>;
  /** Median ms from process start to the port accepting (`startup.ms`), null if not measured. */
  readonly startup_ms: number | null;
}

/** Options of {@linkcode runBenchmarks}. */
export interface RunOptions {
  /** Few samples per section (the test suite's smoke run). */
  readonly smoke?: boolean;
  /** Sections to run (default: all); the others are reported as skipped. */
  readonly only?: readonly SectionName[];
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
}

const RUNNERS: {
  readonly [K in SectionName]: (ctx: BenchContext) => Promise<BenchResults[K]>;
} = {
  latency: benchLatency,
  throughput: benchThroughput,
  sidecar: benchSidecar,
  scale: benchScale,
  peer: benchPeer,
  memory: benchMemory,
  startup: benchStartup,
};

function loadavg(): number[] {
  try {
    return Deno.loadavg().map((v) => round(v, 2));
  } catch {
    return [];
  }
}

/**
 * Runs the benchmarks and returns the results (nothing is printed but progress lines).
 *
 * @example
 * ```ts ignore
 * import { runBenchmarks } from "./main.ts";
 * const results = await runBenchmarks({ smoke: true });
 * console.log(results.latency);
 * ```
 */
export async function runBenchmarks(options: RunOptions = {}): Promise<BenchResults> {
  const log = options.log ?? ((line: string) => console.error(line));
  const smoke = options.smoke ?? false;
  const wanted = options.only ?? SECTIONS;
  const started = performance.now();
  const loadBefore = loadavg();
  await using client = new ClientWorker();
  const ctx: BenchContext = { smoke, client, log };
  const results: Partial<Record<SectionName, unknown>> = {};
  for (const name of SECTIONS) {
    if (!wanted.includes(name)) {
      results[name] = { skipped: "not selected (--only)" } satisfies Skipped;
      continue;
    }
    log(`bench: ${name}...`);
    const t0 = performance.now();
    try {
      results[name] = await RUNNERS[name](ctx);
    } catch (err) {
      const error = err instanceof Error ? err.stack ?? err.message : String(err);
      log(`bench: ${name} FAILED: ${error}`);
      results[name] = { error } satisfies Failed;
    }
    log(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const startup = results.startup as BenchResults["startup"];
  return {
    meta: {
      date: new Date().toISOString(),
      smoke,
      sections: [...wanted],
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      os: `${Deno.build.os} ${Deno.build.arch}`,
      cpus: navigator.hardwareConcurrency,
      load_before: loadBefore,
      load_after: loadavg(),
      duration_s: round((performance.now() - started) / 1000, 1),
    },
    latency: results.latency as BenchResults["latency"],
    throughput: results.throughput as BenchResults["throughput"],
    sidecar: results.sidecar as BenchResults["sidecar"],
    scale: results.scale as BenchResults["scale"],
    peer: results.peer as BenchResults["peer"],
    memory: results.memory as BenchResults["memory"],
    startup,
    startup_ms: typeof startup === "object" && "ms" in startup ? startup.ms : null,
  };
}

/** Whether any section failed (threw). */
export function anyFailed(results: BenchResults): boolean {
  return SECTIONS.some((name) => {
    const value = results[name];
    return typeof value === "object" && value !== null && "error" in value;
  });
}

/** The command line: `[--smoke] [--only a,b] [--out path]`. Returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      smoke: { type: "boolean", default: false },
      only: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno run -A bench/main.ts [--smoke] [--only latency,throughput,...] [--out FILE]\n" +
        `sections: ${SECTIONS.join(", ")}`,
    );
    return 0;
  }
  let only: SectionName[] | undefined;
  if (values.only !== undefined) {
    only = [];
    for (const name of values.only.split(",").map((s) => s.trim()).filter(Boolean)) {
      if (!(SECTIONS as readonly string[]).includes(name)) {
        console.error(`unknown section "${name}" (known: ${SECTIONS.join(", ")})`);
        return 2;
      }
      only.push(name as SectionName);
    }
  }
  const results = await runBenchmarks({ smoke: values.smoke, ...(only ? { only } : {}) });
  const out = values.out ?? new URL("./results.json", import.meta.url).pathname;
  await Deno.writeTextFile(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatTable(results));
  console.log(`\nresults written to ${out}`);
  return anyFailed(results) ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
