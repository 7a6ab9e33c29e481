/**
 * The device registry shared by every client session: which devices are connected, under which
 * stable index, and the scanning state across all device sources.
 *
 * @module
 */
import type { DeviceBackend } from "../../hardware/mod.ts";
import { type Clock, systemClock, type TimerHandle } from "../../protocol/clock.ts";
import { ButtplugDeviceError } from "../../protocol/errors.ts";
import { TypedEventTarget } from "../../protocol/typed_event_target.ts";

/** Default time {@linkcode DeviceManager.stopAll} waits for one device to stop, in ms. */
export const DEFAULT_STOP_TIMEOUT_MS = 5000;

/** A device joining the registry. */
export interface DeviceArrival {
  /** The device. */
  readonly device: DeviceBackend;
  /** Index reserved for it (user config); otherwise the manager picks one. */
  readonly reservedIndex?: number;
}

/** Events of a {@linkcode DeviceSource}. */
export interface DeviceSourceEventMap {
  /** A device is ready to use. */
  device: CustomEvent<DeviceArrival>;
  /** The source finished scanning by itself. */
  scanningfinished: Event;
}

/**
 * Something that finds devices: the protocol layer over a hardware manager, or a simulated
 * source. It announces ready {@linkcode DeviceBackend}s; their `disconnected` event removes them.
 */
export interface DeviceSource extends TypedEventTarget<DeviceSourceEventMap> {
  /** Short name for logs. */
  readonly name: string;
  /** Whether the source is scanning. */
  readonly scanning: boolean;
  /** Starts scanning. */
  startScanning(): Promise<void>;
  /** Stops scanning. */
  stopScanning(): Promise<void>;
  /** Releases the source (optional). */
  [Symbol.asyncDispose]?(): Promise<void>;
}

/** Detail of the registry's device events. */
export interface DeviceEventDetail {
  /** The device index. */
  readonly index: number;
  /** The device. */
  readonly device: DeviceBackend;
}

/** Events of a {@linkcode DeviceManager}. */
export interface DeviceManagerEventMap {
  /** A device joined under `index`. */
  deviceadded: CustomEvent<DeviceEventDetail>;
  /** A device left. */
  deviceremoved: CustomEvent<DeviceEventDetail>;
  /** Every source finished scanning by itself after a StartScanning. */
  scanningfinished: Event;
}

/** Options of a {@linkcode DeviceManager}. */
export interface DeviceManagerOptions {
  /** Indexes already owned by known identities (e.g. from a user config file). */
  readonly reservedIndexes?: ReadonlyMap<string, number>;
  /** Called when an identity is given a new index, so it can be persisted. */
  readonly onIndexAssigned?: (identity: string, index: number) => void;
  /** Time source of the stop deadline (default: the system clock). */
  readonly clock?: Clock;
  /**
   * How long {@linkcode DeviceManager.stopAll} waits for each device before reporting it as
   * failed, so a hung device cannot hold up a disconnect or a shutdown (default
   * {@linkcode DEFAULT_STOP_TIMEOUT_MS}).
   */
  readonly stopTimeoutMs?: number;
}

/**
 * Registry of connected devices with stable indexes, plus scanning across device sources.
 *
 * @example
 * ```ts
 * import { DeviceManager } from "./manager.ts";
 * import { createTestDevice } from "../../hardware/simulated.ts";
 * const manager = new DeviceManager();
 * const index = manager.add(createTestDevice());
 * console.assert(manager.get(index)?.name === "Test Device");
 * ```
 */
export class DeviceManager extends TypedEventTarget<DeviceManagerEventMap> {
  readonly #devices = new Map<number, DeviceBackend>();
  #sorted: ReadonlyMap<number, DeviceBackend> | undefined;
  readonly #indexByIdentity = new Map<string, number>();
  readonly #sources: DeviceSource[] = [];
  readonly #onIndexAssigned?: (identity: string, index: number) => void;
  readonly #detach = new Map<DeviceBackend, () => void>();
  readonly #clock: Clock;
  readonly #stopTimeoutMs: number;
  #scanRequested = false;

  /** Creates an empty registry. */
  constructor(options: DeviceManagerOptions = {}) {
    super();
    const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    if (!Number.isInteger(stopTimeoutMs) || stopTimeoutMs < 1) {
      throw new RangeError(`stopTimeoutMs must be a positive integer, got ${stopTimeoutMs}`);
    }
    this.#stopTimeoutMs = stopTimeoutMs;
    this.#clock = options.clock ?? systemClock;
    for (const [identity, index] of options.reservedIndexes ?? []) {
      this.#indexByIdentity.set(identity, index);
    }
    this.#onIndexAssigned = options.onIndexAssigned;
  }

  /** Connected devices by index, in ascending index order. */
  get devices(): ReadonlyMap<number, DeviceBackend> {
    // Built once per change: StopCmd{} and every device-list reply read it.
    this.#sorted ??= new Map([...this.#devices].sort((a, b) => a[0] - b[0]));
    return this.#sorted;
  }

  /** The device at `index`, if connected. */
  get(index: number): DeviceBackend | undefined {
    return this.#devices.get(index);
  }

  /** Whether any source is scanning (or a scan was requested and not yet finished). */
  get scanning(): boolean {
    return this.#scanRequested;
  }

  /** Attached device sources. */
  get sources(): readonly DeviceSource[] {
    return this.#sources;
  }

  /**
   * Adds a source; its devices join the registry as they are announced. A source added while
   * a scan is running (e.g. hardware that finished starting up late) starts scanning at once.
   */
  addSource(source: DeviceSource): void {
    this.#sources.push(source);
    source.addEventListener("device", (e) => this.add(e.detail.device, e.detail.reservedIndex));
    source.addEventListener("scanningfinished", () => this.#checkScanningFinished());
    if (this.#scanRequested) {
      source.startScanning().catch(() => this.#checkScanningFinished());
    }
  }

  /** The index an identity owns or would get now. */
  indexFor(identity: string, reservedIndex?: number): number {
    if (reservedIndex !== undefined) return reservedIndex;
    const known = this.#indexByIdentity.get(identity);
    if (known !== undefined) return known;
    const used = new Set(this.#indexByIdentity.values());
    for (const i of this.#devices.keys()) used.add(i);
    let index = 0;
    while (used.has(index)) index++;
    return index;
  }

  /**
   * Adds a device and announces it. The same identity always gets the same index; a stale entry
   * at that index is replaced (and disconnected). Returns the index.
   */
  add(device: DeviceBackend, reservedIndex?: number): number {
    const index = this.indexFor(device.identity, reservedIndex);
    if (this.#indexByIdentity.get(device.identity) !== index) {
      this.#indexByIdentity.set(device.identity, index);
      this.#onIndexAssigned?.(device.identity, index);
    }
    const stale = this.#devices.get(index);
    if (stale && stale !== device) {
      this.#remove(index, stale);
      stale.disconnect().catch(() => {});
    }
    this.#devices.set(index, device);
    this.#sorted = undefined;
    const onDisconnected = () => this.#remove(index, device);
    device.addEventListener("disconnected", onDisconnected);
    this.#detach.set(device, () => device.removeEventListener("disconnected", onDisconnected));
    this.dispatchEvent(new CustomEvent("deviceadded", { detail: { index, device } }));
    return index;
  }

  /** Removes the device at `index` (if any) and disconnects it. */
  async remove(index: number): Promise<void> {
    const device = this.#devices.get(index);
    if (!device) return;
    this.#remove(index, device);
    await device.disconnect();
  }

  #remove(index: number, device: DeviceBackend): void {
    if (this.#devices.get(index) !== device) return;
    this.#devices.delete(index);
    this.#sorted = undefined;
    this.#detach.get(device)?.();
    this.#detach.delete(device);
    this.dispatchEvent(new CustomEvent("deviceremoved", { detail: { index, device } }));
  }

  /**
   * Starts scanning on every source (ignored while a scan is running). If a source fails to
   * start, every source is stopped again and the error is thrown, so a retry starts afresh.
   */
  async startScanning(): Promise<void> {
    if (this.#scanRequested) return;
    this.#scanRequested = true;
    try {
      await Promise.all(this.#sources.map((s) => s.startScanning()));
    } catch (err) {
      await this.stopScanning().catch(() => {});
      throw err;
    }
    this.#checkScanningFinished();
  }

  /** Stops scanning on every source (no `scanningfinished` event). */
  async stopScanning(): Promise<void> {
    this.#scanRequested = false;
    await Promise.all(this.#sources.map((s) => s.stopScanning()));
  }

  #checkScanningFinished(): void {
    if (!this.#scanRequested) return;
    if (this.#sources.length === 0 || this.#sources.some((s) => s.scanning)) return;
    this.#scanRequested = false;
    this.dispatchEvent(new Event("scanningfinished"));
  }

  /**
   * Stops every output and subscription of every device, all at once. Failures (a stop that
   * throws, or that does not settle within the stop timeout) are collected and thrown together
   * once every device was asked.
   */
  async stopAll(): Promise<void> {
    const results = await Promise.allSettled(
      [...this.#devices].map(([index, device]) => this.#stop(index, device)),
    );
    const failed = results.filter((r) => r.status === "rejected");
    if (failed.length > 0) {
      throw new AggregateError(
        failed.map((r) => (r as PromiseRejectedResult).reason),
        `${failed.length} device(s) failed to stop`,
      );
    }
  }

  #stop(index: number, device: DeviceBackend): Promise<void> {
    let stop: Promise<void>;
    try {
      stop = device.stop({ outputs: true, inputs: true });
    } catch (err) {
      return Promise.reject(err);
    }
    const ms = this.#stopTimeoutMs;
    let timer: TimerHandle | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = this.#clock.setTimeout(() => {
        reject(
          new ButtplugDeviceError(`device ${index} (${device.name}) did not stop within ${ms} ms`),
        );
      }, ms);
    });
    return Promise.race([stop, deadline]).finally(() => this.#clock.clearTimeout(timer));
  }

  /** Stops and disconnects every device and releases every source. */
  async [Symbol.asyncDispose](): Promise<void> {
    // Both at once: a slow scan stop must not keep the devices running meanwhile.
    await Promise.all([this.stopScanning().catch(() => {}), this.stopAll().catch(() => {})]);
    for (const [index, device] of [...this.#devices]) {
      this.#remove(index, device);
      await device.disconnect().catch(() => {});
    }
    for (const source of this.#sources) await source[Symbol.asyncDispose]?.();
  }
}
