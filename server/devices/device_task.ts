/**
 * The per-device task (DEVICES.md §3.3): executes the hardware commands produced by protocol
 * encoders, paced by the device's batching window with CID-overlap de-duplication (newest value
 * wins), plus the keepalive timer.
 *
 * Guarantees: with no window a command reaches `hardware.write` synchronously from
 * {@linkcode DeviceTask.enqueue} when the device is idle (no timer on the hot path); while a
 * window is open or a write is in flight, pending commands are de-duplicated by CID, so the
 * pending list is bounded by the number of distinct CIDs (and a hard cap) — never by the number
 * of commands sent.
 *
 * @module
 */
import type { Clock, TimerHandle } from "../../protocol/clock.ts";
import { systemClock } from "../../protocol/clock.ts";
import { ButtplugDeviceError } from "../../protocol/errors.ts";
import type { Hardware } from "../../hardware/mod.ts";
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import type { HardwareCommand, WriteCommand } from "./protocol.ts";

/** Hard cap on pending commands (only reachable with CID-less or ever-new CIDs). */
export const PENDING_LIMIT = 1024;

/**
 * Whether a newer command replaces an older pending one: writes whose CID sets intersect, or
 * two subscribes / two unsubscribes with the same CID.
 */
export function commandsOverlap(a: HardwareCommand, b: HardwareCommand): boolean {
  if (a.kind === "write" && b.kind === "write") return a.cids.some((c) => b.cids.includes(c));
  if (a.kind === "subscribe" && b.kind === "subscribe") return a.cid === b.cid;
  if (a.kind === "unsubscribe" && b.kind === "unsubscribe") return a.cid === b.cid;
  return false;
}

/** Keepalive settings of a {@linkcode DeviceTask}. */
export interface TaskKeepalive {
  /** Idle time after which the keepalive packet is written. */
  readonly intervalMs: number;
  /** Fixed packet; when absent the last packet written through the task is repeated. */
  readonly packet?: HardwareCommand;
}

/** Options of a {@linkcode DeviceTask}. */
export interface DeviceTaskOptions {
  /** Where commands go. */
  readonly hardware: Hardware;
  /** Batching window in ms (0: execute immediately, in order). */
  readonly gapMs: number;
  /** Keepalive (absent: none). */
  readonly keepalive?: TaskKeepalive;
  /** Timer source (fake in tests). */
  readonly clock?: Clock;
  /** Log sink. */
  readonly logger?: Logger;
  /** Called once when a keepalive write fails; the task is closed first. */
  readonly onFatal?: (err: unknown) => void;
  /** Called when a queued command fails (the task logs it and carries on). */
  readonly onCommandError?: (command: HardwareCommand, err: unknown) => void;
}

/**
 * Paced, de-duplicating command executor for one device.
 *
 * @example
 * ```ts ignore
 * using task = new DeviceTask({ hardware, gapMs: 75 });
 * task.enqueue([write("tx", [1], false, "motor")]);
 * task.enqueue([write("tx", [2], false, "motor")]); // replaces [1] inside the window
 * await task.idle(); // one write of [2] after 75 ms
 * ```
 */
export class DeviceTask implements Disposable {
  readonly #hardware: Hardware;
  readonly #gap: number;
  readonly #keepalive?: TaskKeepalive;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #onFatal?: (err: unknown) => void;
  readonly #onCommandError?: (command: HardwareCommand, err: unknown) => void;
  #pending: HardwareCommand[] = [];
  #window?: TimerHandle;
  #due = false;
  #busy = false;
  /**
   * The keepalive timer. Not restarted on every command (a `clearTimeout` + `setTimeout` per
   * command and per write was the largest cost of a keepalive device's hot path): activity only
   * records {@linkcode DeviceTask.#lastActivity}, and the timer, when it fires early, re-arms for
   * the rest of the idle interval.
   */
  #idleTimer?: TimerHandle;
  /** Clock time of the last command, write or notification. */
  #lastActivity = 0;
  #last?: WriteCommand;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  #writes = 0;
  #dropped = 0;
  readonly #onNotification = (): void => this.#touch();

  /** Creates the task; it listens to hardware notifications to restart the keepalive timer. */
  constructor(options: DeviceTaskOptions) {
    this.#hardware = options.hardware;
    this.#gap = Math.max(0, options.gapMs);
    this.#keepalive = options.keepalive;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#onFatal = options.onFatal;
    this.#onCommandError = options.onCommandError;
    this.#hardware.addEventListener("notification", this.#onNotification);
    this.#touch();
  }

  /** Batching window in ms. */
  get gapMs(): number {
    return this.#gap;
  }

  /** Commands waiting for the window or for the write in flight. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Hardware operations executed so far (writes, subscribes, unsubscribes, keepalives). */
  get executed(): number {
    return this.#writes;
  }

  /** Commands dropped because the hard pending cap was hit. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The last packet written through the task (the keepalive "last packet"). */
  get lastWrite(): WriteCommand | undefined {
    return this.#last;
  }

  /** Whether the task was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues one encoder batch. With no window and an idle device the first command is written
   * synchronously from this call.
   *
   * @throws {ButtplugDeviceError} when the task is closed (device gone).
   */
  enqueue(batch: readonly HardwareCommand[]): void {
    if (this.#closed) throw new ButtplugDeviceError("Device is disconnected");
    if (batch.length === 0) return;
    this.#touch();
    if (this.#pending.length === 0) {
      // First batch of a window: appended as is (no internal de-dup).
      this.#pending.push(...batch);
      if (this.#gap > 0) {
        this.#window ??= this.#clock.setTimeout(() => {
          this.#window = undefined;
          this.#due = true;
          this.#pump();
        }, this.#gap);
      } else {
        this.#due = true;
      }
    } else {
      for (const cmd of batch) {
        this.#pending = this.#pending.filter((p) => !commandsOverlap(p, cmd));
        this.#pending.push(cmd);
      }
      if (this.#gap === 0) this.#due = true;
      if (this.#pending.length > PENDING_LIMIT) {
        const excess = this.#pending.length - PENDING_LIMIT;
        this.#pending.splice(0, excess);
        if (this.#dropped === 0) {
          this.#logger.warn(`device ${this.#hardware.name}: dropping commands, device too slow`);
        }
        this.#dropped += excess;
      }
    }
    this.#pump();
  }

  /**
   * Resolves when nothing is pending, no window is open and no write is in flight (at once
   * when the task is closed: nothing more will be written).
   */
  idle(): Promise<void> {
    if (this.#closed || this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Sends whatever is pending now (closing the window early) and waits until idle. */
  flush(): Promise<void> {
    if (this.#window !== undefined) {
      this.#clock.clearTimeout(this.#window);
      this.#window = undefined;
    }
    if (this.#pending.length > 0) this.#due = true;
    this.#pump();
    return this.idle();
  }

  /** Stops timers and drops pending commands. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#window !== undefined) this.#clock.clearTimeout(this.#window);
    if (this.#idleTimer !== undefined) this.#clock.clearTimeout(this.#idleTimer);
    this.#window = undefined;
    this.#idleTimer = undefined;
    this.#pending = [];
    this.#hardware.removeEventListener("notification", this.#onNotification);
    this.#settleIdle(true);
  }

  /** Same as {@linkcode DeviceTask.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  #isIdle(): boolean {
    return !this.#busy && this.#pending.length === 0 && this.#window === undefined;
  }

  #settleIdle(force = false): void {
    if (!force && !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #pump(): void {
    if (this.#closed || this.#busy || !this.#due || this.#pending.length === 0) return;
    const take = this.#pending;
    this.#pending = [];
    this.#due = false;
    this.#busy = true;
    void this.#drain(take);
  }

  async #drain(take: HardwareCommand[]): Promise<void> {
    for (const cmd of take) {
      if (this.#closed) break;
      try {
        await this.#execute(cmd);
        if (cmd.kind === "write") this.#last = cmd;
      } catch (err) {
        this.#logger.warn(
          `device ${this.#hardware.name}: ${cmd.kind} on ${cmd.endpoint} failed: ${
            (err as Error).message
          }`,
        );
        this.#onCommandError?.(cmd, err);
      }
    }
    this.#busy = false;
    if (this.#closed) return;
    this.#touch();
    if (this.#gap === 0 && this.#pending.length > 0) this.#due = true;
    this.#pump();
    this.#settleIdle();
  }

  #execute(cmd: HardwareCommand): Promise<void> {
    this.#writes++;
    switch (cmd.kind) {
      case "write":
        return this.#hardware.write(cmd.endpoint, cmd.data, cmd.withResponse);
      case "subscribe":
        return this.#hardware.subscribe(cmd.endpoint);
      case "unsubscribe":
        return this.#hardware.unsubscribe(cmd.endpoint);
    }
  }

  /** Restarts the keepalive idle interval. */
  #touch(): void {
    if (!this.#keepalive || this.#closed) return;
    this.#lastActivity = this.#clock.now();
    this.#idleTimer ??= this.#clock.setTimeout(this.#onIdleTimer, this.#keepalive.intervalMs);
  }

  readonly #onIdleTimer = (): void => {
    this.#idleTimer = undefined;
    if (this.#closed || !this.#keepalive) return;
    const idleFor = this.#clock.now() - this.#lastActivity;
    if (idleFor < this.#keepalive.intervalMs) {
      this.#idleTimer = this.#clock.setTimeout(
        this.#onIdleTimer,
        this.#keepalive.intervalMs - idleFor,
      );
      return;
    }
    this.#fireKeepalive(this.#keepalive);
  };

  #fireKeepalive(keepalive: TaskKeepalive): void {
    const packet = keepalive.packet ?? this.#last;
    if (!packet || this.#busy) {
      this.#touch();
      return;
    }
    this.#busy = true;
    this.#execute(packet).then(
      () => {
        this.#busy = false;
        if (this.#closed) return;
        this.#touch();
        if (this.#gap === 0 && this.#pending.length > 0) this.#due = true;
        this.#pump();
        this.#settleIdle();
      },
      (err) => {
        this.#busy = false;
        this.#logger.warn(
          `device ${this.#hardware.name}: keepalive failed, stopping: ${(err as Error).message}`,
        );
        this.close();
        this.#onFatal?.(err);
      },
    );
  }
}
