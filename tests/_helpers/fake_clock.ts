/**
 * A manual clock for tests: time only moves when the test calls {@linkcode FakeClock.tick}.
 *
 * @module
 */
import type { Clock, TimerHandle } from "../../protocol/clock.ts";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** A {@linkcode Clock} whose time advances only through `tick`. */
export class FakeClock implements Clock {
  #now = 0;
  #nextId = 1;
  #timers: Timer[] = [];

  /** Current fake time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at now + ms. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return timer.id;
  }

  /** Cancels a timer. */
  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Number of timers still scheduled. */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Advances time by `ms`, firing due timers in order (timers scheduled by fired timers run too
   * when they fall inside the window). Awaits microtasks between timers so promise chains settle.
   */
  async tick(ms: number): Promise<void> {
    const end = this.#now + ms;
    while (true) {
      await flushMicrotasks();
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) =>
        a.at - b.at || a.id - b.id
      );
      if (due.length === 0) break;
      const timer = due[0];
      this.#timers = this.#timers.filter((t) => t !== timer);
      this.#now = Math.max(this.#now, timer.at);
      timer.fn();
    }
    this.#now = end;
    await flushMicrotasks();
  }
}

/** Lets pending promise callbacks run. */
export async function flushMicrotasks(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
