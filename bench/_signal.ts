/**
 * A counter shared between the server thread and the client worker: the server side records
 * every write a simulated device received (or every write the sidecar acknowledged), the client
 * side waits for a count and reads when the last one happened.
 *
 * Backed by a `SharedArrayBuffer` (Int32 count + Float64 time of the latest record), so waiting
 * costs no message round trip: `Atomics.waitAsync` wakes the worker directly.
 *
 * @module
 */
import { absoluteMs } from "./_stats.ts";

/**
 * Shared "device received" counter.
 *
 * @example
 * ```ts
 * import { DeviceSignal } from "./_signal.ts";
 * const signal = new DeviceSignal();
 * signal.record();
 * console.assert(signal.count === 1);
 * await signal.reach(1); // already there: resolves at once
 * ```
 */
export class DeviceSignal {
  /** The shared memory (post it to a worker and wrap it with `new DeviceSignal(buffer)`). */
  readonly buffer: SharedArrayBuffer;
  readonly #count: Int32Array;
  readonly #last: Float64Array;

  /** Creates a new counter, or a view of an existing one. */
  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(16)) {
    this.buffer = buffer;
    this.#count = new Int32Array(buffer, 0, 1);
    this.#last = new Float64Array(buffer, 8, 1);
  }

  /** Records one event now: stores the time, bumps the count and wakes waiters. */
  record(): void {
    this.#last[0] = absoluteMs();
    Atomics.add(this.#count, 0, 1);
    Atomics.notify(this.#count, 0);
  }

  /** Events recorded so far. */
  get count(): number {
    return Atomics.load(this.#count, 0);
  }

  /** When the latest event was recorded (see {@linkcode absoluteMs}). */
  get lastMs(): number {
    return this.#last[0];
  }

  /**
   * Resolves once at least `target` events were recorded; rejects after `timeoutMs` (so a
   * missing device write reports instead of hanging the benchmark).
   */
  async reach(target: number, timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (true) {
      const seen = Atomics.load(this.#count, 0);
      if (seen >= target) return;
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(`device signal: ${seen} of ${target} events after ${timeoutMs} ms`);
      }
      const wait = Atomics.waitAsync(this.#count, 0, seen, left);
      if (wait.async) await wait.value;
    }
  }
}
