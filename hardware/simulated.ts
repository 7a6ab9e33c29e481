/**
 * In-process simulated devices: a {@linkcode DeviceBackend} that records every command it gets,
 * the conformance vectors' fixture device ({@linkcode createTestDevice}), and a
 * {@linkcode SimulatedDeviceSource} that plugs simulated devices into a `DeviceManager` (for
 * tests, demos and `--simulate`).
 *
 * @module
 */
import { ButtplugDeviceError } from "../protocol/errors.ts";
import type { DeviceFeature, InputType, OutputType, OutputValue } from "../protocol/messages.ts";
import type { Clock, TimerHandle } from "../protocol/clock.ts";
import { systemClock } from "../protocol/clock.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import type { DeviceBackend, DeviceBackendEventMap, InputReadingDetail, StopScope } from "./mod.ts";
import type {
  DeviceArrival,
  DeviceSource,
  DeviceSourceEventMap,
} from "../server/devices/manager.ts";

/** Output types that a stop sets to 0 (Position types are left alone). */
const STOPPABLE: ReadonlySet<OutputType> = new Set<OutputType>([
  "Vibrate",
  "Rotate",
  "Oscillate",
  "Constrict",
  "Temperature",
  "Led",
  "Spray",
]);

/** One thing a {@linkcode SimulatedDevice} was asked to do, in order. */
export type SimulatedHistoryEntry =
  | {
    readonly kind: "output";
    readonly featureIndex: number;
    readonly type: OutputType;
    readonly value: OutputValue;
  }
  | { readonly kind: "stop"; readonly scope: StopScope }
  | {
    readonly kind: "read" | "subscribe" | "unsubscribe";
    readonly featureIndex: number;
    readonly type: InputType;
  }
  | { readonly kind: "disconnect" };

/** Options of a {@linkcode SimulatedDevice}. */
export interface SimulatedDeviceOptions {
  /** `DeviceName`. */
  readonly name: string;
  /** `DeviceDisplayName`. */
  readonly displayName?: string;
  /** `DeviceMessageTimingGap` in ms (default 0). */
  readonly messageTimingGap?: number;
  /** Address on the simulated transport (default: `SIM-<n>`, unique per process). */
  readonly address?: string;
  /** Identity the manager keys indexes on (default `simulated:<address>`). */
  readonly identity?: string;
  /** v4 features, as advertised. */
  readonly features: readonly DeviceFeature[];
  /** Battery percentage returned by Battery reads (default 100). */
  readonly batteryLevel?: number;
}

let nextAddress = 1;

/**
 * A simulated device: keeps the last value of every output (`outputs`), a full `history`, a
 * settable battery level, input values, and subscriptions whose `reading` events the test
 * triggers with {@linkcode SimulatedDevice.emitReading}. Commands are validated against the
 * advertised features like real hardware would (ERROR_DEVICE on mismatch).
 *
 * Test hooks: {@linkcode SimulatedDevice.pause} holds every command until released (to test
 * that slow devices block nothing else), {@linkcode SimulatedDevice.failWith} makes commands
 * fail.
 *
 * @example
 * ```ts
 * import { createTestDevice } from "./simulated.ts";
 * const device = createTestDevice();
 * await device.output(0, "Vibrate", { Value: 10 });
 * console.assert(device.outputValue(0, "Vibrate") === 10);
 * await device.stop({ outputs: true, inputs: true });
 * console.assert(device.outputValue(0, "Vibrate") === 0);
 * ```
 */
export class SimulatedDevice extends TypedEventTarget<DeviceBackendEventMap>
  implements DeviceBackend {
  /** `DeviceName`. */
  readonly name: string;
  /** `DeviceDisplayName`. */
  readonly displayName?: string;
  /** `DeviceMessageTimingGap`. */
  readonly messageTimingGap: number;
  /** Address on the simulated transport. */
  readonly address: string;
  /** Identity for index assignment. */
  readonly identity: string;
  /** Advertised v4 features. */
  readonly features: readonly DeviceFeature[];
  /** Battery percentage returned by Battery reads. */
  batteryLevel: number;
  /** Last value of each output: featureIndex → output type → value (never commanded: absent). */
  readonly outputs: Map<number, Map<OutputType, OutputValue>> = new Map();
  /** Values returned by reads of non-battery inputs: featureIndex → input type → value. */
  readonly inputValues: Map<number, Map<InputType, number>> = new Map();
  /** Every command received, in order. */
  readonly history: SimulatedHistoryEntry[] = [];
  readonly #subscriptions = new Set<string>();
  readonly #byIndex = new Map<number, DeviceFeature>();
  #connected = true;
  #gate?: { promise: Promise<void>; release: () => void };
  #failure?: Error;
  readonly #waiting = new Set<(err: Error) => void>();

  /** Creates a connected simulated device. */
  constructor(options: SimulatedDeviceOptions) {
    super();
    this.name = options.name;
    if (options.displayName !== undefined) this.displayName = options.displayName;
    this.messageTimingGap = options.messageTimingGap ?? 0;
    this.address = options.address ?? `SIM-${String(nextAddress++).padStart(4, "0")}`;
    this.identity = options.identity ?? `simulated:${this.address}`;
    this.features = options.features;
    this.batteryLevel = options.batteryLevel ?? 100;
    for (const f of options.features) this.#byIndex.set(f.FeatureIndex, f);
  }

  /** Whether the device is still connected. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Current value of one output in steps (0 if never commanded). */
  outputValue(featureIndex: number, type: OutputType): number {
    return this.outputs.get(featureIndex)?.get(type)?.Value ?? 0;
  }

  /** Whether an input is subscribed. */
  isSubscribed(featureIndex: number, type: InputType): boolean {
    return this.#subscriptions.has(key(featureIndex, type));
  }

  /** Holds every command until the returned function is called (or the device disconnects). */
  pause(): () => void {
    if (!this.#gate) {
      let release!: () => void;
      const promise = new Promise<void>((resolve) => (release = resolve));
      this.#gate = {
        promise,
        release: () => {
          this.#gate = undefined;
          release();
        },
      };
    }
    return this.#gate.release;
  }

  /** Makes every following command fail with `error` (`undefined` restores normal operation). */
  failWith(error: Error | undefined): void {
    this.#failure = error;
  }

  /** Sets one output. */
  async output(featureIndex: number, type: OutputType, value: OutputValue): Promise<void> {
    await this.#ready();
    const props = this.#feature(featureIndex).Output?.[type];
    if (!props) throw new ButtplugDeviceError(`feature ${featureIndex} has no ${type} output`);
    if (value.Value < props.Value[0] || value.Value > props.Value[1]) {
      throw new ButtplugDeviceError(`${type} value ${value.Value} out of range`);
    }
    const stored: OutputValue = value.Duration === undefined
      ? { Value: value.Value }
      : { Value: value.Value, Duration: value.Duration };
    this.history.push({ kind: "output", featureIndex, type, value: stored });
    this.#set(featureIndex, type, stored);
  }

  /** Reads one input: the battery level for Battery, else the value in `inputValues` (0). */
  async readInput(featureIndex: number, type: InputType): Promise<number> {
    await this.#ready();
    this.#input(featureIndex, type, "Read");
    this.history.push({ kind: "read", featureIndex, type });
    if (type === "Battery") return this.batteryLevel;
    return this.inputValues.get(featureIndex)?.get(type) ?? 0;
  }

  /** Starts subscription data for one input (idempotent). */
  async subscribeInput(featureIndex: number, type: InputType): Promise<void> {
    await this.#ready();
    this.#input(featureIndex, type, "Subscribe");
    this.history.push({ kind: "subscribe", featureIndex, type });
    this.#subscriptions.add(key(featureIndex, type));
  }

  /** Ends subscription data for one input (idempotent). */
  async unsubscribeInput(featureIndex: number, type: InputType): Promise<void> {
    await this.#ready();
    this.#input(featureIndex, type, "Subscribe");
    this.history.push({ kind: "unsubscribe", featureIndex, type });
    this.#subscriptions.delete(key(featureIndex, type));
  }

  /** Stops outputs (to 0, Position types untouched) and/or subscriptions in scope. */
  async stop(scope: StopScope): Promise<void> {
    await this.#ready();
    this.history.push({ kind: "stop", scope: { ...scope } });
    for (const feature of this.features) {
      if (scope.featureIndex !== undefined && feature.FeatureIndex !== scope.featureIndex) continue;
      if (scope.outputs) {
        for (const type in feature.Output ?? {}) {
          if (STOPPABLE.has(type as OutputType)) {
            this.#set(feature.FeatureIndex, type as OutputType, { Value: 0 });
          }
        }
      }
      if (scope.inputs) {
        for (const type in feature.Input ?? {}) {
          this.#subscriptions.delete(key(feature.FeatureIndex, type as InputType));
        }
      }
    }
  }

  /**
   * Simulates sensor data: sets the input's value and, if it is subscribed, dispatches a
   * `reading` event. Returns whether an event was dispatched.
   */
  emitReading(featureIndex: number, type: InputType, value: number): boolean {
    let values = this.inputValues.get(featureIndex);
    if (!values) this.inputValues.set(featureIndex, values = new Map());
    values.set(type, value);
    if (type === "Battery") this.batteryLevel = value;
    if (!this.#connected || !this.#subscriptions.has(key(featureIndex, type))) return false;
    const detail: InputReadingDetail = { featureIndex, type, value };
    this.dispatchEvent(new CustomEvent("reading", { detail }));
    return true;
  }

  /** Disconnects: pending and later commands fail, `disconnected` fires once. */
  disconnect(): Promise<void> {
    if (this.#connected) {
      this.#connected = false;
      this.#subscriptions.clear();
      this.history.push({ kind: "disconnect" });
      const err = new ButtplugDeviceError(`device ${this.name} disconnected`);
      for (const reject of this.#waiting) reject(err);
      this.#waiting.clear();
      this.#gate?.release();
      this.dispatchEvent(new Event("disconnected"));
    }
    return Promise.resolve();
  }

  async #ready(): Promise<void> {
    if (this.#connected && this.#gate) {
      const gate = this.#gate.promise;
      await new Promise<void>((resolve, reject) => {
        this.#waiting.add(reject);
        gate.then(() => {
          this.#waiting.delete(reject);
          resolve();
        });
      });
    }
    if (!this.#connected) throw new ButtplugDeviceError(`device ${this.name} is disconnected`);
    if (this.#failure) throw this.#failure;
  }

  #feature(featureIndex: number): DeviceFeature {
    const feature = this.#byIndex.get(featureIndex);
    if (!feature) {
      throw new ButtplugDeviceError(`device ${this.name} has no feature ${featureIndex}`);
    }
    return feature;
  }

  #input(featureIndex: number, type: InputType, command: "Read" | "Subscribe"): void {
    const props = this.#feature(featureIndex).Input?.[type];
    if (!props) throw new ButtplugDeviceError(`feature ${featureIndex} has no ${type} input`);
    if (!props.Command.includes(command)) {
      throw new ButtplugDeviceError(`${type} input of feature ${featureIndex} cannot ${command}`);
    }
  }

  #set(featureIndex: number, type: OutputType, value: OutputValue): void {
    let values = this.outputs.get(featureIndex);
    if (!values) this.outputs.set(featureIndex, values = new Map());
    values.set(type, value);
  }
}

function key(featureIndex: number, type: string): string {
  return `${featureIndex}:${type}`;
}

/** The fixture device's features (vectors.jsonl line 1, PROTOCOL.md §6.1). */
export const TEST_DEVICE_FEATURES: readonly DeviceFeature[] = [
  { FeatureIndex: 0, FeatureDescription: "Vibrator 1", Output: { Vibrate: { Value: [0, 20] } } },
  { FeatureIndex: 1, FeatureDescription: "Vibrator 2", Output: { Vibrate: { Value: [0, 10] } } },
  { FeatureIndex: 2, FeatureDescription: "Rotator", Output: { Rotate: { Value: [-20, 20] } } },
  {
    FeatureIndex: 3,
    FeatureDescription: "Stroker",
    Output: { HwPositionWithDuration: { Value: [0, 100], Duration: [0, 10000] } },
  },
  {
    FeatureIndex: 4,
    FeatureDescription: "Battery",
    Input: { Battery: { Value: [[0, 100]], Command: ["Read"] } },
  },
];

/** Overrides for {@linkcode createTestDevice}. */
export interface TestDeviceOptions {
  /** Address (default `SIM-0001`; identity follows it). */
  readonly address?: string;
  /** Battery percentage (default 75). */
  readonly batteryLevel?: number;
  /** Name (default `Test Device`). */
  readonly name?: string;
  /** Display name (default none). */
  readonly displayName?: string;
  /** Features (default the fixture's five). */
  readonly features?: readonly DeviceFeature[];
}

/**
 * The conformance vectors' fixture device: "Test Device" with two vibrators (0..20, 0..10), a
 * rotator (−20..20), a stroker (HwPositionWithDuration 0..100 over 0..10000 ms) and a
 * read-only battery at 75 %, timing gap 100, identity `simulated:SIM-0001`.
 *
 * @example
 * ```ts
 * import { createTestDevice } from "./simulated.ts";
 * import { DeviceManager } from "../server/devices/manager.ts";
 * const manager = new DeviceManager();
 * console.assert(manager.add(createTestDevice()) === 0);
 * ```
 */
export function createTestDevice(options: TestDeviceOptions = {}): SimulatedDevice {
  const address = options.address ?? "SIM-0001";
  return new SimulatedDevice({
    name: options.name ?? "Test Device",
    displayName: options.displayName,
    messageTimingGap: 100,
    address,
    identity: `simulated:${address}`,
    features: options.features ?? TEST_DEVICE_FEATURES,
    batteryLevel: options.batteryLevel ?? 75,
  });
}

/** Options of a {@linkcode SimulatedDeviceSource}. */
export interface SimulatedDeviceSourceOptions {
  /** Name for logs (default `simulated`). */
  readonly name?: string;
  /** Devices found by the next StartScanning. */
  readonly discoverable?: readonly DeviceBackend[];
  /** If set, a scan finishes by itself after this many ms (default: scans until stopped). */
  readonly scanDurationMs?: number;
  /** Clock for `scanDurationMs` (default the system clock). */
  readonly clock?: Clock;
}

/**
 * A device source for simulated devices. {@linkcode SimulatedDeviceSource.connect} announces a
 * device right away (hot-plug); devices passed as `discoverable` (or through
 * {@linkcode SimulatedDeviceSource.addDiscoverable}) are announced by the next scan. A scan
 * never finishes on its own unless `scanDurationMs` is set or
 * {@linkcode SimulatedDeviceSource.finishScanning} is called.
 *
 * @example
 * ```ts
 * import { createTestDevice, SimulatedDeviceSource } from "./simulated.ts";
 * import { DeviceManager } from "../server/devices/manager.ts";
 * await using manager = new DeviceManager();
 * const source = new SimulatedDeviceSource();
 * manager.addSource(source);
 * const device = source.connect(createTestDevice());
 * console.assert(manager.get(0) === device);
 * ```
 */
export class SimulatedDeviceSource extends TypedEventTarget<DeviceSourceEventMap>
  implements DeviceSource {
  /** Name for logs. */
  readonly name: string;
  readonly #discoverable: DeviceBackend[];
  readonly #scanDurationMs?: number;
  readonly #clock: Clock;
  #scanning = false;
  #timer?: TimerHandle;

  /** Creates an idle source. */
  constructor(options: SimulatedDeviceSourceOptions = {}) {
    super();
    this.name = options.name ?? "simulated";
    this.#discoverable = [...(options.discoverable ?? [])];
    this.#scanDurationMs = options.scanDurationMs;
    this.#clock = options.clock ?? systemClock;
  }

  /** Whether a scan is running. */
  get scanning(): boolean {
    return this.#scanning;
  }

  /** Announces `device` now (as if it was plugged in); returns it. */
  connect<T extends DeviceBackend>(device: T, reservedIndex?: number): T {
    const detail: DeviceArrival = reservedIndex === undefined
      ? { device }
      : { device, reservedIndex };
    this.dispatchEvent(new CustomEvent("device", { detail }));
    return device;
  }

  /** Queues `device` to be found by a scan (immediately if one is running). */
  addDiscoverable(device: DeviceBackend): void {
    if (this.#scanning) this.connect(device);
    else this.#discoverable.push(device);
  }

  /** Starts a scan: announces queued devices, and finishes after `scanDurationMs` if set. */
  startScanning(): Promise<void> {
    if (this.#scanning) return Promise.resolve();
    this.#scanning = true;
    for (const device of this.#discoverable.splice(0)) this.connect(device);
    if (this.#scanDurationMs !== undefined) {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.finishScanning();
      }, this.#scanDurationMs);
    }
    return Promise.resolve();
  }

  /** Stops the scan (no `scanningfinished` event). */
  stopScanning(): Promise<void> {
    this.#clearTimer();
    this.#scanning = false;
    return Promise.resolve();
  }

  /** Ends a running scan as if the transport finished by itself (`scanningfinished` event). */
  finishScanning(): void {
    if (!this.#scanning) return;
    this.#clearTimer();
    this.#scanning = false;
    this.dispatchEvent(new Event("scanningfinished"));
  }

  /** Cancels the scan timer. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#clearTimer();
    this.#scanning = false;
    return Promise.resolve();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }
}
