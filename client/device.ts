/**
 * {@linkcode ButtplugClientDevice}: one device as a client application sees it, with helpers that
 * turn 0..1 intensities into the integer steps of spec v4 and check them before sending.
 *
 * @module
 */
import { ButtplugDeviceError, ButtplugMessageError } from "../protocol/errors.ts";
import type {
  ClientMessageV4,
  DeviceFeature,
  DeviceInfo,
  InputCommandType,
  InputProperties,
  InputType,
  OutputProperties,
  OutputType,
  Range,
  ServerMessageV4,
} from "../protocol/messages.ts";
import { INPUT_TYPES, messageBody } from "../protocol/messages.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import { ButtplugReadingEvent, type ClientInputReading } from "./events.ts";
import { isRecord } from "./_device_info.ts";

/**
 * Sends messages for a device in one frame and resolves with the replies, in the same order.
 * The client assigns the `Id`s (the `Id` given here is ignored).
 */
export type DeviceMessageSender = (messages: ClientMessageV4[]) => Promise<ServerMessageV4[]>;

/** Events of a {@linkcode ButtplugClientDevice}. */
export interface ButtplugClientDeviceEventMap {
  /** Subscription data from one of the device's inputs. */
  reading: ButtplugReadingEvent;
  /** The device left (server removed it, or the client disconnected). */
  removed: Event;
}

/** An output amount: integer steps, or a fraction of the range (−1..1, §9 rounding). */
export type OutputAmount = { readonly steps: number } | { readonly percent: number };

/** What {@linkcode ButtplugClientDevice.output} sends: an amount, plus a duration for moves. */
export type OutputRequest = OutputAmount & {
  /** Milliseconds; required for `HwPositionWithDuration`, refused for other types. */
  readonly durationMs?: number;
};

/** Scope of {@linkcode ButtplugClientDevice.stop}. */
export interface DeviceStopOptions {
  /** Only this feature (default: the whole device). */
  readonly featureIndex?: number;
  /** End input subscriptions in scope (default true). */
  readonly inputs?: boolean;
  /** Stop outputs in scope (default true). */
  readonly outputs?: boolean;
}

/** Receives readings of one subscribed input. */
export type InputListener = (reading: ClientInputReading) => void;

/** Internal hooks the client uses to drive a device. Not part of the public API. */
export interface DeviceControl {
  /** Delivers an `InputReading` event (Id 0) for this device. */
  deliverReading(featureIndex: number, reading: unknown): void;
  /** Marks the device removed and raises its `removed` event. */
  markRemoved(): void;
  /** Forgets subscriptions (the server ended them with a StopCmd). */
  clearSubscriptions(featureIndex?: number): void;
}

/**
 * Converts a fraction of a range to integer steps exactly as the reference Rust client does
 * (spec §9): `x = percent * max; x > 0.000001 ? ceil(x) : floor(x)`.
 *
 * @example
 * ```ts
 * import { percentToSteps } from "./device.ts";
 * console.assert(percentToSteps(0.5, [0, 20]) === 10);
 * console.assert(percentToSteps(0.55, [0, 100]) === 56); // 55.00000000000001 → ceil
 * console.assert(percentToSteps(-0.5, [-20, 20]) === -10);
 * ```
 */
export function percentToSteps(percent: number, range: Range): number {
  const x = percent * range[1];
  const steps = x > 0.000001 ? Math.ceil(x) : Math.floor(x);
  return steps === 0 ? 0 : steps; // no -0 on the wire
}

interface Subscription {
  ready: Promise<void>;
  readonly listeners: Map<InputListener, (event: ButtplugReadingEvent) => void>;
}

let controlOf: (device: ButtplugClientDevice) => DeviceControl;

/** Returns the internal hooks of a device (used by `ButtplugClient`). */
export function deviceControl(device: ButtplugClientDevice): DeviceControl {
  return controlOf(device);
}

/**
 * One device of a connected {@linkcode ButtplugClient}. Created by the client; get it from the
 * `deviceadded` event or `client.devices`.
 *
 * Intensities are fractions: `vibrate(0.5)` is half speed. They become integer steps with the
 * §9 rule and are checked against the advertised ranges before anything is sent; a value the
 * device cannot take rejects with a {@linkcode ButtplugDeviceError} and nothing is sent.
 *
 * @example
 * ```ts ignore
 * client.addEventListener("deviceadded", async ({ device }) => {
 *   if (device.hasOutput("Vibrate")) await device.vibrate(0.5);
 *   if (device.hasInput("Battery")) console.log(`battery ${await device.battery() * 100}%`);
 *   await device.stop();
 * });
 * ```
 */
export class ButtplugClientDevice extends TypedEventTarget<ButtplugClientDeviceEventMap> {
  static {
    controlOf = (device) => ({
      deliverReading: (featureIndex, reading) => device.#deliver(featureIndex, reading),
      markRemoved: () => device.#markRemoved(),
      clearSubscriptions: (featureIndex) => device.#clearSubscriptions(featureIndex),
    });
  }

  readonly #info: DeviceInfo;
  readonly #features: readonly DeviceFeature[];
  readonly #send: DeviceMessageSender;
  readonly #subscriptions = new Map<string, Subscription>();
  /** {@linkcode ButtplugClientDevice.outputFeatures} per type, computed once (features are frozen). */
  readonly #outputs = new Map<OutputType, readonly DeviceFeature[]>();
  #removed = false;

  /** Wraps a (normalized) device entry; `send` is the client's request function. */
  constructor(info: DeviceInfo, send: DeviceMessageSender) {
    super();
    this.#info = info;
    this.#features = Object.freeze(
      Object.values(info.DeviceFeatures).sort((a, b) => a.FeatureIndex - b.FeatureIndex),
    );
    this.#send = send;
  }

  /** Server-assigned device index. */
  get index(): number {
    return this.#info.DeviceIndex;
  }

  /** Name from the device configuration. */
  get name(): string {
    return this.#info.DeviceName;
  }

  /** User-assigned display name, if the server has one. */
  get displayName(): string | undefined {
    return this.#info.DeviceDisplayName;
  }

  /** Minimum gap between commands in ms (the server coalesces faster commands). */
  get messageTimingGap(): number {
    return this.#info.DeviceMessageTimingGap;
  }

  /** The v4 features, in ascending `FeatureIndex` order (unknown types left out). */
  get features(): readonly DeviceFeature[] {
    return this.#features;
  }

  /** The device entry as the server described it (normalized). */
  get info(): DeviceInfo {
    return this.#info;
  }

  /** False once the device was removed or the client disconnected. */
  get connected(): boolean {
    return !this.#removed;
  }

  /** True once the device was removed or the client disconnected. */
  get removed(): boolean {
    return this.#removed;
  }

  /** The feature with this index, if any. */
  feature(featureIndex: number): DeviceFeature | undefined {
    return this.#info.DeviceFeatures[String(featureIndex)];
  }

  /** Whether any feature has this output type. */
  hasOutput(type: OutputType): boolean {
    return this.#outputFeatures(type).length > 0;
  }

  /** Whether any feature has this input type (and, if given, supports this command). */
  hasInput(type: InputType, command?: InputCommandType): boolean {
    return this.inputFeatures(type, command).length > 0;
  }

  /** Features having this output type, in feature order. */
  outputFeatures(type: OutputType): DeviceFeature[] {
    return [...this.#outputFeatures(type)];
  }

  /** Features having this input type (and, if given, supporting this command). */
  inputFeatures(type: InputType, command?: InputCommandType): DeviceFeature[] {
    return this.#features.filter((f) => {
      const input = f.Input?.[type];
      return input !== undefined && (command === undefined || input.Command.includes(command));
    });
  }

  /**
   * Vibrates: one speed (0..1) for every vibrator, or one speed per vibrator in feature order
   * (fewer speeds than vibrators leave the rest alone).
   */
  vibrate(speed: number | readonly number[]): Promise<void> {
    return this.#scalar("Vibrate", speed, 1);
  }

  /**
   * Rotates every rotator at `speed` (0..1); `clockwise = false` uses the negative half of a
   * bidirectional (`[-max, max]`) range. Unidirectional rotators refuse counter-clockwise.
   */
  rotate(speed: number | readonly number[], clockwise = true): Promise<void> {
    return this.#scalar("Rotate", speed, clockwise ? 1 : -1);
  }

  /** Oscillates: one speed (0..1) for all oscillators, or one per oscillator. */
  oscillate(speed: number | readonly number[]): Promise<void> {
    return this.#scalar("Oscillate", speed, 1);
  }

  /** Constricts: one level (0..1) for all constrictors, or one per constrictor. */
  constrict(level: number | readonly number[]): Promise<void> {
    return this.#scalar("Constrict", level, 1);
  }

  /**
   * Moves every `HwPositionWithDuration` actuator to `position` (0..1) over `durationMs`
   * (rounded to whole ms, checked against the advertised Duration range).
   */
  async linear(position: number, durationMs: number): Promise<void> {
    const features = this.#requireOutputs("HwPositionWithDuration");
    const messages = features.map((f) =>
      this.#outputMessage(f, "HwPositionWithDuration", { percent: position, durationMs }, [0, 1])
    );
    await this.#send(messages);
  }

  /** Moves every `Position` actuator to `position` (0..1) as fast as it can. */
  async position(position: number): Promise<void> {
    const features = this.#requireOutputs("Position");
    const messages = features.map((f) =>
      this.#outputMessage(f, "Position", { percent: position }, [0, 1])
    );
    await this.#send(messages);
  }

  /**
   * Drives one output of one feature: `{ steps }` (integer, inside the advertised range) or
   * `{ percent }` (−1..1, §9 rounding); `durationMs` is required for `HwPositionWithDuration`.
   *
   * @example
   * ```ts ignore
   * await device.output(0, "Vibrate", { steps: 10 });
   * await device.output(2, "Rotate", { percent: -0.25 });
   * await device.output(3, "HwPositionWithDuration", { percent: 0.9, durationMs: 500 });
   * ```
   */
  async output(featureIndex: number, type: OutputType, request: OutputRequest): Promise<void> {
    const feature = this.#requireFeature(featureIndex);
    await this.#send([this.#outputMessage(feature, type, request, [-1, 1])]);
  }

  /** Stops the device (or one feature): outputs to their stop value, subscriptions ended. */
  async stop(options: DeviceStopOptions = {}): Promise<void> {
    this.#requireConnected();
    const body: {
      Id: number;
      DeviceIndex: number;
      FeatureIndex?: number;
      Inputs?: boolean;
      Outputs?: boolean;
    } = { Id: 0, DeviceIndex: this.index };
    if (options.featureIndex !== undefined) {
      body.FeatureIndex = this.#requireFeature(options.featureIndex).FeatureIndex;
    }
    if (options.inputs !== undefined) body.Inputs = options.inputs;
    if (options.outputs !== undefined) body.Outputs = options.outputs;
    await this.#send([{ StopCmd: body }]);
    if (options.inputs !== false) this.#clearSubscriptions(options.featureIndex);
  }

  /** Reads the battery level as a fraction 0..1 (first Battery input that can be read). */
  async battery(): Promise<number> {
    this.#requireConnected();
    const feature = this.inputFeatures("Battery", "Read")[0];
    if (!feature) throw new ButtplugDeviceError(`${this.#label} has no readable Battery input`);
    const value = await this.readInput(feature.FeatureIndex, "Battery");
    const max = feature.Input?.Battery?.Value[0]?.[1] ?? 100;
    return Math.min(1, Math.max(0, value / (max > 0 ? max : 100)));
  }

  /** Reads one input once; resolves with the raw value (battery: 0..100). */
  async readInput(featureIndex: number, type: InputType): Promise<number> {
    this.#requireInput(featureIndex, type, "Read");
    const [reply] = await this.#send([this.#inputMessage(featureIndex, type, "Read")]);
    const body = messageBody<Record<string, unknown>>(reply);
    const value = readingValue(body.Reading, type);
    if (value === undefined) {
      throw new ButtplugMessageError(
        `${this.#label}: InputReading for feature ${featureIndex} has no ${type} value`,
      );
    }
    return value;
  }

  /**
   * Subscribes to one input (only if the feature lists `Subscribe`). Readings arrive as
   * `reading` events and, if given, to `listener`. Subscribing again only adds the listener.
   */
  async subscribeInput(
    featureIndex: number,
    type: InputType,
    listener?: InputListener,
  ): Promise<void> {
    this.#requireInput(featureIndex, type, "Subscribe");
    const key = subscriptionKey(featureIndex, type);
    let sub = this.#subscriptions.get(key);
    if (!sub) {
      const created: Subscription = {
        ready: this.#send([this.#inputMessage(featureIndex, type, "Subscribe")]).then(() => {}),
        listeners: new Map(),
      };
      this.#subscriptions.set(key, created);
      created.ready.catch(() => {
        if (this.#subscriptions.get(key) === created) this.#forget(key, created);
      });
      sub = created;
    }
    await sub.ready;
    if (listener && !sub.listeners.has(listener) && this.#subscriptions.get(key) === sub) {
      const wrapped = (event: ButtplugReadingEvent): void => {
        if (event.reading.featureIndex === featureIndex && event.reading.type === type) {
          listener(event.reading);
        }
      };
      sub.listeners.set(listener, wrapped);
      this.addEventListener("reading", wrapped);
    }
  }

  /**
   * Removes `listener` (or every listener when omitted) from a subscription; once none is left,
   * sends `Unsubscribe`.
   */
  async unsubscribeInput(
    featureIndex: number,
    type: InputType,
    listener?: InputListener,
  ): Promise<void> {
    this.#requireInput(featureIndex, type, "Subscribe");
    const key = subscriptionKey(featureIndex, type);
    const sub = this.#subscriptions.get(key);
    if (sub && listener) {
      const wrapped = sub.listeners.get(listener);
      if (wrapped) this.removeEventListener("reading", wrapped);
      sub.listeners.delete(listener);
      if (sub.listeners.size > 0) return;
    }
    if (sub) this.#forget(key, sub);
    await this.#send([this.#inputMessage(featureIndex, type, "Unsubscribe")]);
  }

  /** Whether the client holds a subscription for this input. */
  isSubscribed(featureIndex: number, type: InputType): boolean {
    return this.#subscriptions.has(subscriptionKey(featureIndex, type));
  }

  get #label(): string {
    return `device ${this.index} (${this.name})`;
  }

  async #scalar(
    type: OutputType,
    values: number | readonly number[],
    sign: 1 | -1,
  ): Promise<void> {
    const features = this.#requireOutputs(type);
    const list = typeof values === "number" ? features.map(() => values) : [...values];
    if (list.length === 0 || list.length > features.length) {
      throw new ButtplugDeviceError(
        `${this.#label} has ${features.length} ${type} output(s) but got ${list.length} value(s)`,
      );
    }
    const messages = list.map((value, i) => {
      checkFraction(value, 0, 1, type);
      return this.#outputMessage(features[i], type, { percent: sign * value }, [-1, 1]);
    });
    await this.#send(messages);
  }

  #outputMessage(
    feature: DeviceFeature,
    type: OutputType,
    request: OutputRequest,
    fractionRange: Range,
  ): ClientMessageV4 {
    this.#requireConnected();
    const props: OutputProperties | undefined = feature.Output?.[type];
    if (!props) {
      throw new ButtplugDeviceError(
        `${this.#label}: feature ${feature.FeatureIndex} has no ${type} output`,
      );
    }
    let value: number;
    if ("steps" in request) {
      value = request.steps;
      if (!Number.isInteger(value)) {
        throw new ButtplugDeviceError(`${type} steps must be an integer, got ${value}`);
      }
    } else {
      checkFraction(request.percent, fractionRange[0], fractionRange[1], type);
      value = percentToSteps(request.percent, props.Value);
    }
    const [min, max] = props.Value;
    if (value < min || value > max) {
      throw new ButtplugDeviceError(
        `${this.#label}: ${type} value ${value} is outside feature ${feature.FeatureIndex}'s range [${min}, ${max}]`,
      );
    }
    const command: { Value: number; Duration?: number } = { Value: value };
    if (type === "HwPositionWithDuration") {
      command.Duration = this.#duration(feature, props, request.durationMs);
    } else if (request.durationMs !== undefined) {
      throw new ButtplugDeviceError(
        `a duration only applies to HwPositionWithDuration outputs, not ${type}`,
      );
    }
    return {
      OutputCmd: {
        Id: 0,
        DeviceIndex: this.index,
        FeatureIndex: feature.FeatureIndex,
        Command: { [type]: command },
      },
    };
  }

  #duration(feature: DeviceFeature, props: OutputProperties, durationMs?: number): number {
    if (durationMs === undefined || !Number.isFinite(durationMs) || durationMs < 0) {
      throw new ButtplugDeviceError(
        `HwPositionWithDuration needs a duration in ms (a finite number ≥ 0), got ${durationMs}`,
      );
    }
    const duration = Math.round(durationMs);
    const range = props.Duration;
    if (range && (duration < range[0] || duration > range[1])) {
      throw new ButtplugDeviceError(
        `${this.#label}: duration ${duration} ms is outside feature ${feature.FeatureIndex}'s range [${
          range[0]
        }, ${range[1]}]`,
      );
    }
    if (duration > 0xFFFF_FFFF) {
      throw new ButtplugDeviceError(`duration ${duration} ms is too long`);
    }
    return duration;
  }

  #inputMessage(featureIndex: number, type: InputType, command: InputCommandType): ClientMessageV4 {
    return {
      InputCmd: {
        Id: 0,
        DeviceIndex: this.index,
        FeatureIndex: featureIndex,
        Type: type,
        Command: command,
      },
    };
  }

  #requireConnected(): void {
    if (this.#removed) {
      throw new ButtplugDeviceError(`${this.#label} is no longer connected`);
    }
  }

  #requireFeature(featureIndex: number): DeviceFeature {
    this.#requireConnected();
    const feature = this.feature(featureIndex);
    if (!feature) {
      throw new ButtplugDeviceError(`${this.#label} has no feature ${featureIndex}`);
    }
    return feature;
  }

  #outputFeatures(type: OutputType): readonly DeviceFeature[] {
    let features = this.#outputs.get(type);
    if (features === undefined) {
      features = Object.freeze(this.#features.filter((f) => f.Output?.[type] !== undefined));
      this.#outputs.set(type, features);
    }
    return features;
  }

  #requireOutputs(type: OutputType): readonly DeviceFeature[] {
    this.#requireConnected();
    const features = this.#outputFeatures(type);
    if (features.length === 0) {
      throw new ButtplugDeviceError(`${this.#label} has no ${type} output`);
    }
    return features;
  }

  #requireInput(featureIndex: number, type: InputType, command: InputCommandType): InputProperties {
    const feature = this.#requireFeature(featureIndex);
    const input = feature.Input?.[type];
    if (!input) {
      throw new ButtplugDeviceError(
        `${this.#label}: feature ${featureIndex} has no ${type} input`,
      );
    }
    if (!input.Command.includes(command)) {
      throw new ButtplugDeviceError(
        `${this.#label}: ${type} input of feature ${featureIndex} does not support ${command}`,
      );
    }
    return input;
  }

  #deliver(featureIndex: number, reading: unknown): void {
    if (this.#removed || !isRecord(reading)) return;
    for (const type of INPUT_TYPES) {
      const value = readingValue(reading, type);
      if (value !== undefined) {
        this.dispatchEvent(new ButtplugReadingEvent({ featureIndex, type, value }));
        return;
      }
    }
  }

  #forget(key: string, sub: Subscription): void {
    for (const wrapped of sub.listeners.values()) this.removeEventListener("reading", wrapped);
    sub.listeners.clear();
    this.#subscriptions.delete(key);
  }

  #clearSubscriptions(featureIndex?: number): void {
    for (const [key, sub] of [...this.#subscriptions]) {
      if (featureIndex === undefined || key.startsWith(`${featureIndex}:`)) this.#forget(key, sub);
    }
  }

  #markRemoved(): void {
    if (this.#removed) return;
    this.#removed = true;
    this.#clearSubscriptions();
    this.dispatchEvent(new Event("removed"));
  }
}

function subscriptionKey(featureIndex: number, type: InputType): string {
  return `${featureIndex}:${type}`;
}

/** Throws unless `value` is a finite number in `min..max` (the message names the output type). */
function checkFraction(value: number, min: number, max: number, type: OutputType): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new ButtplugDeviceError(`${type} value must be a number in ${min}..${max}, got ${value}`);
  }
}

function readingValue(reading: unknown, type: InputType): number | undefined {
  if (!isRecord(reading)) return undefined;
  const entry = reading[type] ?? (type === "Rssi" ? reading.RSSI : undefined);
  if (!isRecord(entry) || typeof entry.Value !== "number" || !Number.isFinite(entry.Value)) {
    return undefined;
  }
  return entry.Value;
}
