/**
 * What every benchmark section gets: the run mode, the client worker and a log sink.
 *
 * @module
 */
import type { ClientWorker } from "./_client.ts";

/** Shared state of one benchmark run. */
export interface BenchContext {
  /** Few samples, only to prove every section still runs (the test suite's smoke run). */
  readonly smoke: boolean;
  /** The client thread. */
  readonly client: ClientWorker;
  /** Progress lines (stderr in the CLI). */
  readonly log: (line: string) => void;
}

/** `full` samples in a real run, `smoke` in a smoke run. */
export function samples(ctx: BenchContext, full: number, smoke: number): number {
  return ctx.smoke ? smoke : full;
}

/** A section that could not run here, with the reason (e.g. socat or node missing). */
export interface Skipped {
  /** Why it did not run. */
  readonly skipped: string;
}

/** Whether a section result is a skip. */
export function isSkipped(value: unknown): value is Skipped {
  return typeof value === "object" && value !== null && "skipped" in value;
}
