// deno-lint-ignore-file explicit-module-boundary-types -- plain JavaScript for Node; types are in JSDoc
/**
 * The scan loop of the polled transports (serial, HID, raw USB): list what is attached, report
 * every entry whose device is not open, wait `intervalMs`, repeat until stopped. Rounds never
 * overlap; a failed round is reported and the loop goes on.
 *
 * @module
 */

/**
 * @template T
 * @typedef {object} ScanLoopOptions What one round does.
 * @property {() => Promise<T[]>} list the entries attached now
 * @property {(entry: T) => string} address the device address of an entry
 * @property {(address: string) => boolean} isOpen whether that device is open (not reported)
 * @property {(entry: T) => void} report reports one entry (the transport applies its own filter)
 * @property {(err: unknown) => void} failed a round failed (the loop goes on)
 */

/**
 * Repeating enumeration rounds on a timer that does not keep Node alive.
 *
 * @example
 * ```js
 * import { ScanLoop } from "./scan_loop.mjs";
 * const loop = new ScanLoop({
 *   list: async () => [{ address: "/dev/ttyUSB0" }],
 *   address: (entry) => entry.address,
 *   isOpen: () => false,
 *   report: (entry) => console.log("found", entry.address),
 *   failed: (err) => console.warn(err),
 * });
 * await loop.start(1000); // first round right away
 * loop.stop();
 * ```
 * @template T
 */
export class ScanLoop {
  /** Whether the loop runs (from `start` until `stop`). */
  running = false;
  /** @type {ScanLoopOptions<T>} */
  #o;
  #intervalMs = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;
  #polling = false;

  /** @param {ScanLoopOptions<T>} options */
  constructor(options) {
    this.#o = options;
  }

  /**
   * Starts (or restarts) the loop: one round right away, then one every `intervalMs`.
   * @param {number} intervalMs
   * @returns {Promise<void>}
   */
  async start(intervalMs) {
    this.#intervalMs = intervalMs;
    clearTimeout(this.#timer);
    this.running = true;
    await this.pollOnce();
    this.#schedule();
  }

  #schedule() {
    if (!this.running) return;
    this.#timer = setTimeout(() => {
      this.pollOnce().finally(() => this.#schedule());
    }, this.#intervalMs);
    this.#timer.unref?.();
  }

  /**
   * One round: reports every listed entry whose device is not open (no-op while stopped or while
   * another round runs).
   * @returns {Promise<void>}
   */
  async pollOnce() {
    if (this.#polling || !this.running) return;
    this.#polling = true;
    try {
      for (const entry of await this.#o.list()) {
        if (!this.running || this.#o.isOpen(this.#o.address(entry))) continue;
        this.#o.report(entry);
      }
    } catch (err) {
      this.#o.failed(err);
    } finally {
      this.#polling = false;
    }
  }

  /** Stops the loop (a round in progress reports nothing more). */
  stop() {
    this.running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Whether an enumerated device has one of the vendor/product id pairs.
 *
 * @example
 * ```js
 * import { hasPair } from "./scan_loop.mjs";
 * hasPair([{ vendorId: 0x0b49, productId: 0x064f }], { vendorId: 0x0b49, productId: 0x064f }); // true
 * ```
 * @param {readonly { vendorId: number, productId: number }[]} pairs
 * @param {{ vendorId?: number, productId?: number }} device
 * @returns {boolean}
 */
export function hasPair(pairs, device) {
  return pairs.some((p) => p.vendorId === device.vendorId && p.productId === device.productId);
}
