/**
 * {@linkcode VirtualClock}: the device-case runner's time source. Virtual time only moves while
 * the runner waits for something ({@linkcode VirtualClock.until}), and then only when the
 * system under test has nothing left to do but wait for a timer: the clock jumps straight to the
 * next due timer. A protocol's 3 s settle sleep, a 1 s reply timeout or a 100 ms background loop
 * therefore cost no real time, and the timing a case observes is exact and repeatable (no
 * keepalive can slip in because the machine was slow).
 *
 * "Nothing left to do" is detected with real macrotask turns (`setImmediate`): the device stack
 * runs on promises only, so every microtask chain started before a turn has settled after it.
 * Work that waits for real I/O would need more turns; the runner drives none.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Clock, TimerHandle } from "../../protocol/clock.ts";

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** Outcome of {@linkcode VirtualClock.until}: the work's value, or a virtual timeout. */
export type UntilResult<T> =
  | { readonly settled: true; readonly value: T }
  | { readonly settled: false };

/** Longest virtual wait of {@linkcode VirtualClock.until} when no timeout is given. */
export const DEFAULT_UNTIL_MS = 60_000;

/** Timers {@linkcode VirtualClock.until} fires at one virtual time before it calls it a loop. */
const MAX_TIMERS_AT_ONE_TIME = 10_000;

/**
 * A {@linkcode Clock} whose time advances only inside {@linkcode VirtualClock.until}, from one
 * due timer to the next. Timers due at the same time fire in the order they were set.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "./virtual_clock.ts";
 * const clock = new VirtualClock();
 * const slept = new Promise<string>((resolve) => clock.setTimeout(() => resolve("done"), 3000));
 * const r = await clock.until(slept, 5000); // returns at once (real time)
 * console.assert(r.settled && r.value === "done" && clock.now() === 3000);
 * clock[Symbol.dispose]();
 * ```
 */
export class VirtualClock implements Clock, Disposable {
  #now = 0;
  #nextId = 1;
  #timers: Timer[] = [];
  #failure: { error: unknown } | undefined;

  /** Current virtual time in ms (starts at 0). */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at now + `ms` (virtual). */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: Timer = { id: this.#nextId++, at: this.#now + delay, fn };
    // Keep the list sorted by (at, id): insert after every timer due at or before `at`.
    let i = this.#timers.length;
    while (i > 0 && this.#timers[i - 1].at > timer.at) i--;
    this.#timers.splice(i, 0, timer);
    return timer.id;
  }

  /** Cancels a timer; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void {
    const i = this.#timers.findIndex((t) => t.id === handle);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** Timers still scheduled. */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Lets the system run until `work` settles or `timeoutMs` of virtual time pass: after each
   * real macrotask turn in which `work` did not settle, fires the next timer due within the
   * timeout (moving the clock to its time). Resolves `{ settled: false }` on timeout (the clock
   * then stands at the deadline); rejects when `work` rejects or when a timer callback threw.
   */
  async until<T>(work: Promise<T>, timeoutMs: number = DEFAULT_UNTIL_MS): Promise<UntilResult<T>> {
    const state: { outcome?: { ok: true; value: T } | { ok: false; error: unknown } } = {};
    work.then(
      (value) => state.outcome = { ok: true, value },
      (error) => state.outcome = { ok: false, error },
    );
    const settled = (): UntilResult<T> | undefined => {
      this.#throwFailure();
      const outcome = state.outcome;
      if (!outcome) return undefined;
      if (outcome.ok) return { settled: true, value: outcome.value };
      throw outcome.error;
    };
    const deadline = this.#now + Math.max(0, timeoutMs);
    let firedAtSameTime = 0;
    while (true) {
      await this.#turn();
      const done = settled();
      if (done) return done;
      const next = this.#timers[0];
      if (!next || next.at > deadline) {
        this.#now = Math.max(this.#now, deadline);
        await this.#turn();
        return settled() ?? { settled: false };
      }
      this.#timers.shift();
      firedAtSameTime = next.at > this.#now ? 0 : firedAtSameTime + 1;
      if (firedAtSameTime > MAX_TIMERS_AT_ONE_TIME) {
        throw new Error(
          `more than ${MAX_TIMERS_AT_ONE_TIME} timers fired at t=${this.#now} ms without time ` +
            `passing (a zero-delay loop?)`,
        );
      }
      this.#now = Math.max(this.#now, next.at);
      try {
        next.fn();
      } catch (error) {
        this.#failure ??= { error };
      }
    }
  }

  /** Advances virtual time by `ms`, firing every timer due meanwhile (like a plain wait). */
  async advance(ms: number): Promise<void> {
    await this.until(new Promise<never>(() => {}), ms);
  }

  /** Drops every timer (nothing of them can fire any more). Idempotent. */
  [Symbol.dispose](): void {
    this.#timers = [];
  }

  #throwFailure(): void {
    const failure = this.#failure;
    if (!failure) return;
    this.#failure = undefined;
    throw new Error(`a timer callback threw: ${String(failure.error)}`, { cause: failure.error });
  }

  /** Two real macrotask turns (every microtask queued before, and the ones they queue, run). */
  async #turn(): Promise<void> {
    for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
