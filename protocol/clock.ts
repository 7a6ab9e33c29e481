/**
 * An injectable clock, so ping timers, request timeouts, keepalives and pacing can be tested
 * without sleeping. Works in Deno and browsers.
 *
 * @module
 */

/** Opaque handle of a scheduled timer. */
export type TimerHandle = unknown;

/** Time source and timer scheduler. */
export interface Clock {
  /** Milliseconds since an arbitrary origin (monotonic where possible). */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer from {@linkcode Clock.setTimeout}; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock, backed by `performance.now()` and the global timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as number),
};
