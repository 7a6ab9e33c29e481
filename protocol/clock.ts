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
  /**
   * Optional: makes a pending timer keep the process alive again after
   * {@linkcode Clock.unref} (a timer does so from the start). Clocks without the notion
   * (browsers, fake clocks) leave it out.
   */
  ref?(handle: TimerHandle): void;
  /**
   * Optional: lets the process exit while this timer is pending (it still fires if the process
   * is alive for another reason), like Deno's `Deno.unrefTimer` and Node's `timeout.unref()`.
   */
  unref?(handle: TimerHandle): void;
}

/** The real clock, backed by `performance.now()` and the global timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as number),
  ref: (handle) => setTimerRef(handle, true),
  unref: (handle) => setTimerRef(handle, false),
};

/** Timer handle methods of Deno 2 and Node (`setTimeout` returns a `Timeout` object there). */
interface RefableTimer {
  ref?(): void;
  unref?(): void;
}

/** The `Deno` global's timer functions, where the handle is a number (older Deno). */
interface DenoTimerRefs {
  refTimer?(id: number): void;
  unrefTimer?(id: number): void;
}

function setTimerRef(handle: TimerHandle, ref: boolean): void {
  if (typeof handle === "object" && handle !== null) {
    const timer = handle as RefableTimer;
    if (ref) timer.ref?.();
    else timer.unref?.();
  } else if (typeof handle === "number") {
    // Browsers: no Deno global, and nothing to do (timers never keep a page alive).
    const deno = (globalThis as { Deno?: DenoTimerRefs }).Deno;
    if (ref) deno?.refTimer?.(handle);
    else deno?.unrefTimer?.(handle);
  }
}
