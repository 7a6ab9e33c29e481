/**
 * A scripted, in-process BLE-style peripheral and a {@linkcode HardwareManager} that "finds"
 * such peripherals — the fake hardware of the device test cases (DEVICES.md §2.4, §4.9).
 *
 * The peripheral records every successful write, subscribe and unsubscribe (in order) for the
 * test to check, answers reads from a FIFO queue, and delivers injected notifications only for
 * subscribed endpoints. Endpoints are bound on connect from the chosen protocol's first
 * specifier (BLE: every endpoint of every service; other transports: `rx` and `tx`); any other
 * endpoint fails with "invalid endpoint" and is not recorded.
 *
 * @example
 * ```ts
 * import { FakePeripheral } from "./fake_peripheral.ts";
 * const p = new FakePeripheral({ name: "LVS-Z36" });
 * const hw = await p.connect({ btle: { names: ["LVS-*"], services: { "x": { tx: "y", rx: "z" } } } });
 * await hw.write("tx", new TextEncoder().encode("Vibrate:5;"), false);
 * console.assert((await p.nextCommand(10))?.kind === "write");
 * ```
 *
 * @module
 */
import type { Clock, TimerHandle } from "../protocol/clock.ts";
import { systemClock } from "../protocol/clock.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import { copyBytes } from "./_byte_slab.ts";
import type {
  Advertisement,
  CommunicationSpecifier,
  Hardware,
  HardwareConnector,
  HardwareEventMap,
  HardwareManager,
  HardwareManagerEventMap,
  ManufacturerData,
  TransportKind,
} from "./mod.ts";

/** What the peripheral saw the server do. */
export type RecordedCommand =
  | {
    readonly kind: "write";
    readonly endpoint: string;
    readonly data: Uint8Array;
    readonly withResponse: boolean;
  }
  | { readonly kind: "subscribe"; readonly endpoint: string }
  | { readonly kind: "unsubscribe"; readonly endpoint: string };

/** Error of a fake peripheral operation (bad endpoint, not connected, read failure). */
export class FakePeripheralError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "FakePeripheralError";
  }
}

/** Options of a {@linkcode FakePeripheral}. */
export interface FakePeripheralOptions {
  /** Advertised name (also the generic protocol identifier). */
  readonly name: string;
  /** Unique address (default: a random id). */
  readonly address?: string;
  /** Transport it pretends to be on (default `btle`). */
  readonly transport?: TransportKind;
  /** Advertised manufacturer data. */
  readonly manufacturerData?: readonly ManufacturerData[];
  /** Advertised service UUIDs. */
  readonly services?: readonly string[];
  /** Batching window the device task uses (default 1 ms, like upstream's test device). */
  readonly messageGapMs?: number;
  /** Whether the transport demands keepalive (default false). */
  readonly requiresKeepalive?: boolean;
  /** Longest a read waits for a queued answer (default 500 ms). */
  readonly readTimeoutMs?: number;
  /** Timer source for waits (default: system clock). */
  readonly clock?: Clock;
  /**
   * Most commands kept in {@linkcode FakePeripheral.history} and in the queue that
   * {@linkcode FakePeripheral.nextCommand} reads; the oldest are dropped beyond it, so a
   * long-running simulated device does not grow without bound (default 10000).
   */
  readonly historyLimit?: number;
  /**
   * Called after every successful write (before the write resolves); simulated peripherals
   * answer through {@linkcode FakePeripheral.notify} / {@linkcode FakePeripheral.queueRead}.
   */
  readonly onWrite?: (
    peripheral: FakePeripheral,
    endpoint: string,
    data: Uint8Array,
    withResponse: boolean,
  ) => void;
  /**
   * Answers a read when nothing is queued (simulated peripherals); `undefined` falls back to
   * waiting for {@linkcode FakePeripheral.queueRead}.
   */
  readonly onRead?: (peripheral: FakePeripheral, endpoint: string) => Uint8Array | undefined;
}

interface Waiter<T> {
  resolve: (value: T) => void;
  timer: TimerHandle;
}

/**
 * A scripted peripheral: both the {@linkcode HardwareConnector} a manager announces and the
 * {@linkcode Hardware} it connects to.
 */
export class FakePeripheral extends TypedEventTarget<HardwareEventMap>
  implements Hardware, HardwareConnector {
  /** What a manager announces. */
  readonly advertisement: Advertisement;
  /** Advertised name. */
  readonly name: string;
  /** Unique address. */
  readonly address: string;
  /** Batching window in ms. */
  readonly messageGapMs: number;
  /** Whether keepalive is demanded. */
  readonly requiresKeepalive: boolean;
  readonly #clock: Clock;
  readonly #readTimeoutMs: number;
  readonly #onWrite?: FakePeripheralOptions["onWrite"];
  readonly #onRead?: FakePeripheralOptions["onRead"];
  readonly #historyLimit: number;
  #endpoints: string[] = [];
  #connected = false;
  readonly #subscribed = new Set<string>();
  readonly #recorded: RecordedCommand[] = [];
  readonly #history: RecordedCommand[] = [];
  readonly #reads: { endpoint: string; data: Uint8Array }[] = [];
  #commandWaiter?: Waiter<RecordedCommand | undefined>;
  readonly #readWaiters = new Set<Waiter<void>>();
  #specifier?: CommunicationSpecifier;

  /** Creates a disconnected peripheral. */
  constructor(options: FakePeripheralOptions) {
    super();
    this.name = options.name;
    this.address = options.address ?? `fake-${crypto.randomUUID()}`;
    this.messageGapMs = options.messageGapMs ?? 1;
    this.requiresKeepalive = options.requiresKeepalive ?? false;
    this.#clock = options.clock ?? systemClock;
    this.#readTimeoutMs = options.readTimeoutMs ?? 500;
    this.#onWrite = options.onWrite;
    this.#onRead = options.onRead;
    this.#historyLimit = options.historyLimit ?? 10_000;
    this.advertisement = {
      transport: options.transport ?? "btle",
      name: options.name,
      address: this.address,
      ...(options.manufacturerData ? { manufacturerData: options.manufacturerData } : {}),
      ...(options.services ? { services: options.services } : {}),
    };
  }

  /** Endpoint names bound by the last connect. */
  get endpoints(): readonly string[] {
    return this.#endpoints;
  }

  /** Whether connected. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The specifier the server connected with. */
  get specifier(): CommunicationSpecifier | undefined {
    return this.#specifier;
  }

  /** Endpoints currently subscribed. */
  get subscribed(): ReadonlySet<string> {
    return this.#subscribed;
  }

  /** Every command recorded since creation (not consumed by {@linkcode nextCommand}). */
  get history(): readonly RecordedCommand[] {
    return this.#history;
  }

  /** Binds endpoints from the protocol's specifier and connects. */
  connect(specifier: CommunicationSpecifier): Promise<Hardware> {
    this.#specifier = specifier;
    if ("btle" in specifier) {
      const names = new Set<string>();
      for (const eps of Object.values(specifier.btle.services)) {
        for (const n of Object.keys(eps)) names.add(n);
      }
      this.#endpoints = [...names];
    } else {
      this.#endpoints = ["rx", "tx"];
    }
    this.#connected = true;
    this.#subscribed.clear();
    return Promise.resolve(this);
  }

  #check(endpoint: string): void {
    if (!this.#connected) throw new FakePeripheralError(`${this.name} is not connected`);
    if (!this.#endpoints.includes(endpoint)) {
      throw new FakePeripheralError(`invalid endpoint "${endpoint}" on ${this.name}`);
    }
  }

  #record(cmd: RecordedCommand): void {
    pushCapped(this.#history, cmd, this.#historyLimit);
    const waiter = this.#commandWaiter;
    if (waiter) {
      this.#commandWaiter = undefined;
      this.#clock.clearTimeout(waiter.timer);
      waiter.resolve(cmd);
    } else {
      pushCapped(this.#recorded, cmd, this.#historyLimit);
    }
  }

  /** Records a write (endpoint must be bound). */
  write(endpoint: string, data: Uint8Array, withResponse: boolean): Promise<void> {
    try {
      this.#check(endpoint);
    } catch (err) {
      return Promise.reject(err);
    }
    const copy = copyBytes(data);
    this.#record({ kind: "write", endpoint, data: copy, withResponse });
    this.#onWrite?.(this, endpoint, copy, withResponse);
    return Promise.resolve();
  }

  /** Answers from the read queue (FIFO), waiting up to the smaller of `timeoutMs` and the option. */
  async read(endpoint: string, _length: number, timeoutMs: number): Promise<Uint8Array> {
    this.#check(endpoint);
    if (this.#reads.length === 0) {
      const answer = this.#onRead?.(this, endpoint);
      if (answer) return answer;
    }
    if (this.#reads.length === 0) {
      await new Promise<void>((resolve) => {
        const waiter: Waiter<void> = {
          resolve,
          timer: this.#clock.setTimeout(() => {
            this.#readWaiters.delete(waiter);
            resolve();
          }, Math.min(timeoutMs, this.#readTimeoutMs)),
        };
        this.#readWaiters.add(waiter);
      });
    }
    const next = this.#reads.shift();
    if (!next) throw new FakePeripheralError(`read on ${endpoint}: nothing to read`);
    if (next.endpoint !== endpoint) {
      throw new FakePeripheralError(
        `read on ${endpoint}, but the next queued read is for ${next.endpoint}`,
      );
    }
    return next.data;
  }

  /** Records a subscribe and starts delivering notifications for the endpoint. */
  subscribe(endpoint: string): Promise<void> {
    try {
      this.#check(endpoint);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#subscribed.add(endpoint);
    this.#record({ kind: "subscribe", endpoint });
    return Promise.resolve();
  }

  /** Records an unsubscribe and stops delivering notifications for the endpoint. */
  unsubscribe(endpoint: string): Promise<void> {
    try {
      this.#check(endpoint);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#subscribed.delete(endpoint);
    this.#record({ kind: "unsubscribe", endpoint });
    return Promise.resolve();
  }

  /** Disconnects (the server asked); emits `disconnected` once. */
  disconnect(): Promise<void> {
    this.#drop();
    return Promise.resolve();
  }

  /** The device goes away on its own (script `!Disconnect`). */
  simulateDisconnect(): void {
    this.#drop();
  }

  #drop(): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#subscribed.clear();
    this.dispatchEvent(new Event("disconnected"));
  }

  /** Delivers a notification if `endpoint` is subscribed; returns whether it was delivered. */
  notify(endpoint: string, data: ArrayLike<number>): boolean {
    if (!this.#connected || !this.#subscribed.has(endpoint)) return false;
    this.dispatchEvent(
      new CustomEvent("notification", { detail: { endpoint, data: Uint8Array.from(data) } }),
    );
    return true;
  }

  /** Queues the answer to a future read (FIFO). */
  queueRead(endpoint: string, data: ArrayLike<number>): void {
    this.#reads.push({ endpoint, data: Uint8Array.from(data) });
    const [waiter] = this.#readWaiters;
    if (waiter) {
      this.#readWaiters.delete(waiter);
      this.#clock.clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  /** The next recorded command not yet consumed, waiting up to `timeoutMs`. */
  nextCommand(timeoutMs: number): Promise<RecordedCommand | undefined> {
    const next = this.#recorded.shift();
    if (next) return Promise.resolve(next);
    if (this.#commandWaiter) return Promise.reject(new FakePeripheralError("already waiting"));
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        this.#commandWaiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.#commandWaiter = { resolve, timer };
    });
  }

  /** Recorded commands not yet consumed (and consumes them). */
  takeCommands(): RecordedCommand[] {
    return this.#recorded.splice(0);
  }

  /** Cancels pending waits (a test ending early). */
  [Symbol.dispose](): void {
    const waiter = this.#commandWaiter;
    if (waiter) {
      this.#commandWaiter = undefined;
      this.#clock.clearTimeout(waiter.timer);
      waiter.resolve(undefined);
    }
    for (const w of this.#readWaiters) {
      this.#clock.clearTimeout(w.timer);
      w.resolve();
    }
    this.#readWaiters.clear();
  }
}

/** Options of a {@linkcode FakePeripheralManager}. */
export interface FakePeripheralManagerOptions {
  /** Name for logs (default `fake`). */
  readonly name?: string;
}

/**
 * A {@linkcode HardwareManager} announcing a fixed set of peripherals when scanning starts,
 * then reporting that scanning finished (like upstream's test device manager).
 */
export class FakePeripheralManager extends TypedEventTarget<HardwareManagerEventMap>
  implements HardwareManager {
  /** Name for logs. */
  readonly name: string;
  readonly #peripherals: FakePeripheral[];
  #scanning = false;
  #disposed = false;

  /** Creates a manager for `peripherals`. */
  constructor(peripherals: readonly FakePeripheral[], options: FakePeripheralManagerOptions = {}) {
    super();
    this.#peripherals = [...peripherals];
    this.name = options.name ?? "fake";
  }

  /** The peripherals it announces. */
  get peripherals(): readonly FakePeripheral[] {
    return this.#peripherals;
  }

  /** Whether a scan is running. */
  get scanning(): boolean {
    return this.#scanning;
  }

  /** Adds a peripheral (announced on the next scan). */
  add(peripheral: FakePeripheral): void {
    this.#peripherals.push(peripheral);
  }

  /** Stops announcing a peripheral (it went out of range). */
  remove(peripheral: FakePeripheral): void {
    const i = this.#peripherals.indexOf(peripheral);
    if (i >= 0) this.#peripherals.splice(i, 1);
  }

  /** Announces every peripheral, then reports that scanning finished. */
  startScanning(): Promise<void> {
    if (this.#disposed || this.#scanning) return Promise.resolve();
    this.#scanning = true;
    queueMicrotask(() => {
      if (!this.#scanning) return;
      for (const p of this.#peripherals) {
        this.dispatchEvent(new CustomEvent("found", { detail: p }));
      }
      this.#scanning = false;
      this.dispatchEvent(new Event("scanningfinished"));
    });
    return Promise.resolve();
  }

  /** Stops a scan that has not announced yet. */
  stopScanning(): Promise<void> {
    this.#scanning = false;
    return Promise.resolve();
  }

  /** Disconnects every peripheral. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#disposed = true;
    this.#scanning = false;
    for (const p of this.#peripherals) {
      await p.disconnect();
      p[Symbol.dispose]();
    }
  }
}

/** Appends `item`, dropping the oldest entries beyond `limit` (in chunks, to stay cheap). */
function pushCapped<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit + Math.max(16, limit >> 3)) list.splice(0, list.length - limit);
}
