/**
 * Reconnect bookkeeping for known devices that dropped without being asked to: which addresses
 * to watch for, when the next connection attempt may start (exponential backoff), and when to
 * give up. Transport-neutral and free of I/O: the BLE bridge in `hardware/sidecar.ts` feeds it
 * (device connected, dropped, disconnected on request, seen again, attempt failed) and acts on
 * its answers; time comes from an injectable {@linkcode Clock}.
 *
 * Rules:
 * - A device that dropped unexpectedly is watched for; one that was disconnected on request is
 *   forgotten.
 * - The first sighting after a drop starts an attempt at once; after the n-th failed attempt the
 *   next one waits `min(initialDelayMs × 2^(n−1), maxDelayMs)` (1 s, 2 s, 4 s … 30 s by default).
 *   Sightings while an attempt runs or while backing off are ignored.
 * - `giveUpAfterMs` after the drop (10 minutes by default) the device is forgotten, with a log line.
 * - A device that drops again less than `stableAfterMs` after it was reconnected resumes its
 *   backoff and give-up deadline instead of starting over, so a flapping link cannot make it
 *   reconnect every second for ever.
 *
 * @example
 * ```ts
 * import { ReconnectTracker } from "./reconnect_tracker.ts";
 * import { systemClock } from "../protocol/clock.ts";
 * let watched: readonly string[] = [];
 * using tracker = new ReconnectTracker({ clock: systemClock, onWatchChange: (a) => watched = a });
 * tracker.lost("aa:bb", "LVS-Edge");
 * console.assert(watched[0] === "aa:bb");
 * console.assert(tracker.sighted("aa:bb") === "attempt");
 * tracker.connected("aa:bb");
 * console.assert(watched.length === 0);
 * ```
 *
 * @module
 */
import type { Clock, TimerHandle } from "../protocol/clock.ts";
import { type Logger, silentLogger } from "../server/log.ts";

/** Backoff and give-up settings of automatic reconnects. */
export interface ReconnectOptions {
  /** Wait after the first failed attempt, in ms (default 1000); doubles per failure. */
  readonly initialDelayMs?: number;
  /** Longest wait between attempts, in ms (default 30000). */
  readonly maxDelayMs?: number;
  /** How long after a drop to keep trying, in ms (default 600000: 10 minutes). */
  readonly giveUpAfterMs?: number;
  /**
   * A device dropping again sooner than this after being reconnected (in ms, default 30000)
   * continues its backoff and deadline instead of starting over.
   */
  readonly stableAfterMs?: number;
}

/** The defaults of {@linkcode ReconnectOptions}. */
export const DEFAULT_RECONNECT_OPTIONS: Readonly<Required<ReconnectOptions>> = Object.freeze({
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  giveUpAfterMs: 600_000,
  stableAfterMs: 30_000,
});

/**
 * Fills in defaults and validates (every value a positive finite number, `maxDelayMs` ≥
 * `initialDelayMs`). Throws a `RangeError` naming the bad option.
 */
export function resolveReconnectOptions(
  options: ReconnectOptions = {},
): Readonly<Required<ReconnectOptions>> {
  const resolved = { ...DEFAULT_RECONNECT_OPTIONS, ...stripUndefined(options) };
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new RangeError(`reconnect option ${key} must be a positive number of ms, got ${value}`);
    }
  }
  if (resolved.maxDelayMs < resolved.initialDelayMs) {
    throw new RangeError(
      `reconnect option maxDelayMs (${resolved.maxDelayMs}) is below initialDelayMs (${resolved.initialDelayMs})`,
    );
  }
  return Object.freeze(resolved);
}

function stripUndefined(o: ReconnectOptions): ReconnectOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * The wait before the next attempt after `failures` failed attempts (≥ 1):
 * `min(initialDelayMs × 2^(failures−1), maxDelayMs)`.
 *
 * @example
 * ```ts
 * import { reconnectDelay } from "./reconnect_tracker.ts";
 * console.assert(reconnectDelay(1) === 1000 && reconnectDelay(3) === 4000 && reconnectDelay(9) === 30_000);
 * ```
 */
export function reconnectDelay(
  failures: number,
  options: Readonly<Required<ReconnectOptions>> = DEFAULT_RECONNECT_OPTIONS,
): number {
  const exponent = Math.max(0, failures - 1);
  // 2^31 ms is ~25 days: beyond any sane maxDelayMs, and keeps the product finite.
  return Math.min(options.initialDelayMs * 2 ** Math.min(exponent, 31), options.maxDelayMs);
}

/** What {@linkcode ReconnectTracker.sighted} decided about a device seen again. */
export type SightingDecision =
  /** Connect now (the attempt is recorded as running). */
  | "attempt"
  /** An attempt is already running. */
  | "busy"
  /** Too soon after a failed attempt. */
  | "backoff"
  /** Not a device being reconnected. */
  | "unknown";

/** A device being reconnected, as {@linkcode ReconnectTracker.status} reports it. */
export interface ReconnectStatus {
  /** Its name when it dropped. */
  readonly name: string;
  /** When it dropped (clock ms; for a device that dropped again soon, the first drop). */
  readonly since: number;
  /** Attempts started so far. */
  readonly attempts: number;
  /** Failed attempts so far (the backoff exponent). */
  readonly failures: number;
  /** Earliest time of the next attempt (clock ms). */
  readonly nextAttemptAt: number;
  /** Whether an attempt is running. */
  readonly attempting: boolean;
  /** When it will be given up (clock ms). */
  readonly giveUpAt: number;
}

/** Options of a {@linkcode ReconnectTracker}. */
export interface ReconnectTrackerOptions {
  /** Time source for backoff and the give-up deadline. */
  readonly clock: Clock;
  /** Called with every address to watch for whenever that list changes. */
  readonly onWatchChange: (addresses: readonly string[]) => void;
  /** Backoff settings (defaults: {@linkcode DEFAULT_RECONNECT_OPTIONS}). */
  readonly options?: ReconnectOptions;
  /** Log sink (default silent). */
  readonly logger?: Logger;
  /** Prefix of log lines (default `reconnect`). */
  readonly label?: string;
}

interface Entry {
  readonly name: string;
  readonly since: number;
  attempts: number;
  failures: number;
  nextAt: number;
  attempting: boolean;
  readonly giveUpAt: number;
  readonly timer: TimerHandle;
}

interface Recovered {
  readonly name: string;
  readonly since: number;
  readonly attempts: number;
  readonly failures: number;
  readonly at: number;
}

/** Reconnect bookkeeping for known devices (see the module documentation for the rules). */
export class ReconnectTracker implements Disposable {
  readonly #clock: Clock;
  readonly #onWatchChange: (addresses: readonly string[]) => void;
  readonly #o: Readonly<Required<ReconnectOptions>>;
  readonly #logger: Logger;
  readonly #label: string;
  readonly #entries = new Map<string, Entry>();
  /** Recently reconnected devices, to recognise a flapping link. */
  readonly #recovered = new Map<string, Recovered>();
  #disposed = false;

  /** Creates an empty tracker. Throws a `RangeError` for invalid options. */
  constructor(options: ReconnectTrackerOptions) {
    this.#clock = options.clock;
    this.#onWatchChange = options.onWatchChange;
    this.#o = resolveReconnectOptions(options.options);
    this.#logger = options.logger ?? silentLogger;
    this.#label = options.label ?? "reconnect";
  }

  /** The settings in use. */
  get options(): Readonly<Required<ReconnectOptions>> {
    return this.#o;
  }

  /** Addresses being watched for, in the order they dropped. */
  get addresses(): readonly string[] {
    return [...this.#entries.keys()];
  }

  /** The state of one device being reconnected. */
  status(address: string): ReconnectStatus | undefined {
    const e = this.#entries.get(address);
    if (!e) return undefined;
    return {
      name: e.name,
      since: e.since,
      attempts: e.attempts,
      failures: e.failures,
      nextAttemptAt: e.nextAt,
      attempting: e.attempting,
      giveUpAt: e.giveUpAt,
    };
  }

  /** A known device dropped without being asked to: watch for it. */
  lost(address: string, name: string): void {
    if (this.#disposed) return;
    const now = this.#clock.now();
    this.#prune(now);
    const previous = this.#recovered.get(address);
    this.#recovered.delete(address);
    this.#remove(address);
    let since = now;
    let attempts = 0;
    let failures = 0;
    let nextAt = now;
    if (previous) {
      // Dropped again soon after reconnecting: the link is not good yet, keep backing off.
      since = previous.since;
      attempts = previous.attempts;
      failures = previous.failures + 1;
      nextAt = now + reconnectDelay(failures, this.#o);
    }
    const giveUpAt = since + this.#o.giveUpAfterMs;
    if (giveUpAt <= now) {
      this.#giveUpLog(address, name, attempts);
      return;
    }
    const timer = this.#clock.setTimeout(() => this.#giveUp(address), giveUpAt - now);
    this.#entries.set(address, {
      name,
      since,
      attempts,
      failures,
      nextAt,
      attempting: false,
      giveUpAt,
      timer,
    });
    this.#logger.info(
      previous
        ? `${this.#label}: ${name} (${address}) dropped again ${
          seconds(now - previous.at)
        } after reconnecting; next attempt in ${seconds(nextAt - now)}`
        : `${this.#label}: ${name} (${address}) dropped unexpectedly; reconnecting when it is seen again (for up to ${
          seconds(this.#o.giveUpAfterMs)
        })`,
    );
    this.#changed();
  }

  /**
   * The device at `address` is connected (by a reconnect attempt or any other way): stop
   * watching for it.
   */
  connected(address: string): void {
    if (this.#disposed) return;
    const e = this.#entries.get(address);
    if (!e) return;
    const now = this.#clock.now();
    this.#recovered.set(address, {
      name: e.name,
      since: e.since,
      attempts: e.attempts,
      failures: e.failures,
      at: now,
    });
    this.#remove(address);
    this.#logger.info(
      `${this.#label}: ${e.name} (${address}) reconnected after ${seconds(now - e.since)} (${
        plural(e.attempts, "attempt")
      })`,
    );
    this.#changed();
  }

  /** The device was disconnected on request (or must not come back): never reconnect it. */
  forget(address: string, why: string): void {
    if (this.#disposed) return;
    this.#recovered.delete(address);
    const e = this.#entries.get(address);
    if (!e) return;
    this.#remove(address);
    this.#logger.info(`${this.#label}: not reconnecting ${e.name} (${address}): ${why}`);
    this.#changed();
  }

  /**
   * The device was seen again. `"attempt"` means: connect now (the attempt is recorded as
   * running until {@linkcode ReconnectTracker.failed}, {@linkcode ReconnectTracker.connected} or
   * {@linkcode ReconnectTracker.unclaimed}).
   */
  sighted(address: string): SightingDecision {
    const e = this.#disposed ? undefined : this.#entries.get(address);
    if (!e) return "unknown";
    if (e.attempting) return "busy";
    const now = this.#clock.now();
    if (now < e.nextAt) return "backoff";
    e.attempting = true;
    e.attempts++;
    this.#logger.info(
      `${this.#label}: ${e.name} (${address}) seen again; reconnecting (attempt ${e.attempts})`,
    );
    return "attempt";
  }

  /** The running attempt failed: back off. Further failures of the same attempt are ignored. */
  failed(address: string, error: unknown): void {
    const e = this.#disposed ? undefined : this.#entries.get(address);
    if (!e || !e.attempting) return;
    e.attempting = false;
    e.failures++;
    const delay = reconnectDelay(e.failures, this.#o);
    e.nextAt = this.#clock.now() + delay;
    this.#logger.warn(
      `${this.#label}: reconnecting ${e.name} (${address}) failed: ${
        error instanceof Error ? error.message : String(error)
      }; next attempt in ${seconds(delay)} at the earliest`,
    );
  }

  /**
   * Nobody took up the attempt (the device layer ignored the device: denied by the user config,
   * no protocol for it any more): forget it.
   */
  unclaimed(address: string): void {
    const e = this.#disposed ? undefined : this.#entries.get(address);
    if (!e || !e.attempting) return;
    this.forget(address, "seen again, but the device layer did not take it (denied or unknown)");
  }

  /** Forgets everything and cancels every timer (no watch change is reported). Idempotent. */
  [Symbol.dispose](): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const e of this.#entries.values()) this.#clock.clearTimeout(e.timer);
    this.#entries.clear();
    this.#recovered.clear();
  }

  #giveUp(address: string): void {
    const e = this.#entries.get(address);
    if (!e || this.#disposed) return;
    this.#entries.delete(address);
    this.#giveUpLog(address, e.name, e.attempts);
    this.#changed();
  }

  #giveUpLog(address: string, name: string, attempts: number): void {
    this.#logger.warn(
      `${this.#label}: gave up reconnecting ${name} (${address}) after ${
        seconds(this.#o.giveUpAfterMs)
      } (${plural(attempts, "attempt")}); scan to find it again`,
    );
  }

  #remove(address: string): void {
    const e = this.#entries.get(address);
    if (!e) return;
    this.#clock.clearTimeout(e.timer);
    this.#entries.delete(address);
  }

  #prune(now: number): void {
    for (const [address, r] of this.#recovered) {
      if (now - r.at >= this.#o.stableAfterMs) this.#recovered.delete(address);
    }
  }

  #changed(): void {
    this.#onWatchChange(this.addresses);
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
