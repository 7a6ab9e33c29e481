/**
 * {@linkcode ProtocolDevice}: a configured, identified and initialized piece of hardware driven
 * by a protocol handler, as a {@linkcode DeviceBackend} for the server session.
 *
 * Command path (DEVICES.md §3.2–§3.5): client steps → device value (user ranges, reverse) →
 * per-feature de-dup (same value: Ok, no write) → protocol encoder → {@linkcode DeviceTask}
 * (batching window with CID-overlap de-dup, keepalive) → hardware. A protocol that changes an
 * output on its own (timed auto-off) corrects the de-dup cache through
 * `ctx.noteOutput` / `ctx.forgetOutput`.
 *
 * @module
 */
import { ButtplugDeviceError, ButtplugError } from "../../protocol/errors.ts";
import type { DeviceFeature, InputType, OutputType, OutputValue } from "../../protocol/messages.ts";
import { TypedEventTarget } from "../../protocol/typed_event_target.ts";
import type {
  DeviceBackend,
  DeviceBackendEventMap,
  Hardware,
  StopScope,
} from "../../hardware/mod.ts";
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import type { DeviceContext } from "./context.ts";
import { DeviceTask, type TaskKeepalive } from "./device_task.ts";
import { clientFeatures, stepsToDeviceValue } from "./features.ts";
import type {
  DeviceDefinition,
  FeatureDefinition,
  HardwareCommand,
  ProtocolHandler,
} from "./protocol.ts";

/** Output types a Stop sets to 0, in the order the first present one is chosen per feature. */
export const STOP_ORDER: readonly OutputType[] = [
  "Vibrate",
  "Rotate",
  "Oscillate",
  "Constrict",
  "Temperature",
  "Led",
  "Spray",
];

/** Interval of hardware-required keepalives (DEVICES.md §3.3). */
export const HARDWARE_KEEPALIVE_MS = 5000;

/** Time a disconnect waits for pending writes (the final stop) before closing the link. */
const DISCONNECT_FLUSH_MS = 1000;

type ValueEncoderName =
  | "vibrate"
  | "rotate"
  | "oscillate"
  | "constrict"
  | "spray"
  | "temperature"
  | "led"
  | "position";

const ENCODER: Record<Exclude<OutputType, "HwPositionWithDuration">, ValueEncoderName> = {
  Vibrate: "vibrate",
  Rotate: "rotate",
  Oscillate: "oscillate",
  Constrict: "constrict",
  Spray: "spray",
  Temperature: "temperature",
  Led: "led",
  Position: "position",
};

/** Options of a {@linkcode ProtocolDevice}. */
export interface ProtocolDeviceOptions {
  /** Resolved per-device definition. */
  readonly definition: DeviceDefinition;
  /** Encoder from `initialize`. */
  readonly handler: ProtocolHandler;
  /** Context created for identify/initialize; the device owns it from now on. */
  readonly context: DeviceContext;
  /** Stable identity (protocol + identifier + address). */
  readonly identity: string;
  /** Log sink. */
  readonly logger?: Logger;
}

interface LastOutput {
  readonly type: OutputType;
  readonly value: number;
  readonly duration?: number;
}

/**
 * A protocol-driven device. Construction starts it: the device task, the stop-on-connect for
 * devices that need keepalive, and the handler's background `start(ctx)`.
 *
 * @example
 * ```ts ignore
 * await using device = new ProtocolDevice({ definition, handler, context, identity });
 * await device.output(0, "Vibrate", { Value: 10 }); // e.g. "Vibrate:10;" on a Lovense Hush
 * await device.stop({ outputs: true, inputs: true });
 * ```
 */
export class ProtocolDevice extends TypedEventTarget<DeviceBackendEventMap>
  implements DeviceBackend, AsyncDisposable {
  /** Name from the device configuration. */
  readonly name: string;
  /** User display name, if any. */
  readonly displayName?: string;
  /** Effective batching window (definition gap, else the hardware's). */
  readonly messageTimingGap: number;
  /** Stable identity for the device manager. */
  readonly identity: string;
  /** v4 features as advertised to clients. */
  readonly features: readonly DeviceFeature[];
  /** The resolved definition. */
  readonly definition: DeviceDefinition;
  readonly #handler: ProtocolHandler;
  readonly #context: DeviceContext;
  readonly #logger: Logger;
  readonly #task: DeviceTask;
  readonly #byIndex = new Map<number, FeatureDefinition>();
  readonly #stopTypes = new Map<number, OutputType>();
  readonly #last = new Map<string, LastOutput>();
  readonly #subscribed = new Set<string>();
  /** Per input: bumped by every unsubscribe or stop, so a subscribe in flight can tell. */
  readonly #inputEpoch = new Map<string, number>();
  #gone = false;
  readonly #onHardwareGone = (): void => this.#markGone();

  /** Builds and starts the device (see class docs). */
  constructor(options: ProtocolDeviceOptions) {
    super();
    const { definition, handler, context } = options;
    this.definition = definition;
    this.name = definition.name;
    if (definition.displayName !== undefined) this.displayName = definition.displayName;
    this.identity = options.identity;
    this.features = clientFeatures(definition);
    this.#handler = handler;
    this.#context = context;
    this.#logger = options.logger ?? silentLogger;
    for (const f of definition.features) {
      this.#byIndex.set(f.index, f);
      const stopType = STOP_ORDER.find((t) => f.output?.[t] !== undefined);
      if (stopType) this.#stopTypes.set(f.index, stopType);
    }
    const hardware = context.hardware;
    this.messageTimingGap = definition.messageGapMs ?? hardware.messageGapMs;
    const keepalive = keepaliveFor(handler, hardware);
    this.#task = new DeviceTask({
      hardware,
      gapMs: this.messageTimingGap,
      clock: context.clock,
      logger: this.#logger,
      ...(keepalive ? { keepalive } : {}),
      onFatal: () => {
        this.#markGone();
        hardware.disconnect().catch(() => {});
      },
      // A lost write leaves the toy at an unknown value: the next command (a stop above all)
      // must not be de-duplicated against what was never applied.
      onCommandError: (command) => {
        if (command.kind === "write") this.#last.clear();
      },
    });
    context.setReadingSink((featureIndex, type, value) => {
      if (!this.#subscribed.has(inputKey(featureIndex, type))) return;
      this.dispatchEvent(new CustomEvent("reading", { detail: { featureIndex, type, value } }));
    });
    context.setOutputCacheSink({
      forget: (featureIndex, type) => {
        const feature = this.#feature(featureIndex);
        const last = this.#last.get(feature.id);
        if (last && (type === undefined || last.type === type)) this.#last.delete(feature.id);
      },
      note: (featureIndex, type, value) => {
        const feature = this.#feature(featureIndex);
        if (!feature.output?.[type]) {
          throw new ButtplugDeviceError(
            `Feature ${featureIndex} of ${this.name} has no ${type} output`,
          );
        }
        this.#last.set(feature.id, { type, value });
      },
    });
    hardware.addEventListener("disconnected", this.#onHardwareGone);
    if (keepalive) {
      // DEVICES.md §1.6 step 10: give the keepalive a "last packet" (all outputs at 0).
      const failed = this.#stopOutputs(undefined);
      if (failed !== undefined) {
        this.#logger.warn(
          `device ${this.name}: stop on connect failed: ${(failed.error as Error).message}`,
        );
      }
    }
    try {
      handler.start?.(context);
    } catch (err) {
      this.#logger.warn(`device ${this.name}: background task failed: ${(err as Error).message}`);
    }
  }

  /** The connected hardware. */
  get hardware(): Hardware {
    return this.#context.hardware;
  }

  /** Whether the device disconnected or was closed. */
  get disconnected(): boolean {
    return this.#gone;
  }

  /** Resolves when no command is pending or in flight (tests, benchmarks). */
  idle(): Promise<void> {
    return this.#task.idle();
  }

  /** Sets one output; resolves once the command is queued (or de-duplicated away). */
  output(featureIndex: number, type: OutputType, value: OutputValue): Promise<void> {
    try {
      this.#output(featureIndex, type, value, false);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #output(featureIndex: number, type: OutputType, value: OutputValue, isStop: boolean): void {
    this.#assertConnected();
    const feature = this.#feature(featureIndex);
    const out = feature.output?.[type];
    if (!out) {
      throw new ButtplugDeviceError(
        `Feature ${featureIndex} of ${this.name} has no ${type} output`,
      );
    }
    if (out.disabled && !isStop) {
      throw new ButtplugDeviceError(
        `${type} on feature ${featureIndex} of ${this.name} is disabled`,
      );
    }
    const s = isStop ? 0 : stepsToDeviceValue(type, out, value.Value);
    let duration: number | undefined;
    if (type === "HwPositionWithDuration") {
      duration = value.Duration ?? 0;
      if (!Number.isInteger(duration) || duration < 0) {
        throw new ButtplugDeviceError(`Duration ${duration} must be a non-negative integer`);
      }
    }
    const last = this.#last.get(feature.id);
    if (last && last.type === type && last.value === s && last.duration === duration) return;
    const commands = this.#encode(feature, type, s, duration);
    this.#last.set(feature.id, { type, value: s, ...(duration !== undefined ? { duration } : {}) });
    this.#task.enqueue(commands);
  }

  #encode(
    feature: FeatureDefinition,
    type: OutputType,
    s: number,
    duration: number | undefined,
  ): HardwareCommand[] {
    const handler = this.#handler;
    try {
      if (type === "HwPositionWithDuration") {
        if (!handler.hwPositionWithDuration) throw this.#unsupported(type);
        return handler.hwPositionWithDuration(feature, s, duration ?? 0);
      }
      const fn = handler[ENCODER[type]];
      if (!fn) throw this.#unsupported(type);
      return fn.call(handler, feature, s);
    } catch (err) {
      if (err instanceof ButtplugError) throw err;
      throw new ButtplugDeviceError(
        `${this.definition.protocol}: cannot encode ${type} ${s}: ${(err as Error).message}`,
        0,
        { cause: err },
      );
    }
  }

  #unsupported(what: string): ButtplugDeviceError {
    return new ButtplugDeviceError(
      `Protocol ${this.definition.protocol} does not implement ${what} (device ${this.name})`,
    );
  }

  /** Stops outputs (value 0 of each feature's first stop type) and/or subscriptions. */
  async stop(scope: StopScope): Promise<void> {
    this.#assertConnected();
    if (scope.featureIndex !== undefined) this.#feature(scope.featureIndex);
    const errors: unknown[] = [];
    if (scope.outputs) {
      const failed = this.#stopOutputs(scope.featureIndex);
      if (failed !== undefined) errors.push(failed.error);
    }
    if (scope.inputs) {
      for (const f of this.#byIndex.values()) {
        if (scope.featureIndex !== undefined && f.index !== scope.featureIndex) continue;
        for (const type in f.input ?? {}) {
          this.#cancelSubscribe(inputKey(f.index, type as InputType));
        }
      }
      for (const key of [...this.#subscribed]) {
        const [fi, type] = parseInputKey(key);
        if (scope.featureIndex !== undefined && fi !== scope.featureIndex) continue;
        await this.unsubscribeInput(fi, type).catch((e) => errors.push(e));
      }
    }
    if (errors.length > 0) throw errors[0];
  }

  /**
   * Queues value 0 on every stoppable output (of one feature, when given), synchronously.
   * Returns the first failure, if any (the other outputs are still stopped).
   */
  #stopOutputs(featureIndex: number | undefined): { error: unknown } | undefined {
    let failed: { error: unknown } | undefined;
    for (const [fi, type] of this.#stopTypes) {
      if (featureIndex !== undefined && fi !== featureIndex) continue;
      try {
        this.#output(fi, type, { Value: 0 }, true);
      } catch (error) {
        failed ??= { error };
      }
    }
    return failed;
  }

  /** Reads an input once (protocol hook, else battery from `rxblebattery`). */
  async readInput(featureIndex: number, type: InputType): Promise<number> {
    this.#assertConnected();
    const feature = this.#feature(featureIndex);
    const input = feature.input?.[type];
    if (!input || !input.command.includes("Read")) {
      throw new ButtplugDeviceError(`Feature ${featureIndex} of ${this.name} cannot read ${type}`);
    }
    try {
      if (this.#handler.readInput) {
        return await this.#handler.readInput(feature, type, this.#context);
      }
      const hardware = this.#context.hardware;
      if (type === "Battery" && hardware.endpoints.includes("rxblebattery")) {
        const data = await hardware.read("rxblebattery", 1, 1000);
        if (data.length < 1) throw new ButtplugDeviceError("empty battery reading");
        return data[0];
      }
    } catch (err) {
      throw asDeviceError(err, `Reading ${type} from ${this.name} failed`);
    }
    throw this.#unsupported(`reading ${type}`);
  }

  /** Starts `reading` events for an input. Idempotent. */
  async subscribeInput(featureIndex: number, type: InputType): Promise<void> {
    this.#assertConnected();
    const feature = this.#feature(featureIndex);
    const input = feature.input?.[type];
    if (!input || !input.command.includes("Subscribe")) {
      throw new ButtplugDeviceError(
        `Feature ${featureIndex} of ${this.name} cannot subscribe to ${type}`,
      );
    }
    const key = inputKey(featureIndex, type);
    if (this.#subscribed.has(key)) return;
    if (!this.#handler.subscribeInput) throw this.#unsupported(`subscribing to ${type}`);
    const epoch = this.#inputEpoch.get(key);
    try {
      await this.#handler.subscribeInput(feature, type, this.#context);
    } catch (err) {
      throw asDeviceError(err, `Subscribing to ${type} on ${this.name} failed`);
    }
    if (this.#inputEpoch.get(key) !== epoch) {
      // Unsubscribed or stopped (e.g. the client left) while this was being set up: end it.
      try {
        await this.#handler.unsubscribeInput?.(feature, type, this.#context);
      } catch (err) {
        throw asDeviceError(err, `Unsubscribing from ${type} on ${this.name} failed`);
      }
      return;
    }
    this.#subscribed.add(key);
  }

  /** Ends `reading` events for an input. Idempotent. */
  async unsubscribeInput(featureIndex: number, type: InputType): Promise<void> {
    this.#assertConnected();
    const feature = this.#feature(featureIndex);
    const key = inputKey(featureIndex, type);
    this.#cancelSubscribe(key);
    if (!this.#subscribed.has(key)) return;
    this.#subscribed.delete(key);
    try {
      await this.#handler.unsubscribeInput?.(feature, type, this.#context);
    } catch (err) {
      throw asDeviceError(err, `Unsubscribing from ${type} on ${this.name} failed`);
    }
  }

  /** Makes a subscribe of `key` still in flight end its subscription once it is set up. */
  #cancelSubscribe(key: string): void {
    this.#inputEpoch.set(key, (this.#inputEpoch.get(key) ?? 0) + 1);
  }

  /** Stops the device, sends what is pending, then closes the hardware link. Idempotent. */
  async disconnect(): Promise<void> {
    if (this.#gone) return;
    await this.stop({ outputs: true, inputs: true }).catch(() => {});
    let timer: unknown;
    await Promise.race([
      this.#task.flush(),
      new Promise<void>((resolve) => {
        timer = this.#context.clock.setTimeout(resolve, DISCONNECT_FLUSH_MS);
      }),
    ]);
    this.#context.clock.clearTimeout(timer);
    const hardware = this.#context.hardware;
    this.#markGone();
    await hardware.disconnect().catch((err) =>
      this.#logger.debug(`device ${this.name}: disconnect failed: ${err.message}`)
    );
  }

  /** Same as {@linkcode ProtocolDevice.disconnect}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.disconnect();
  }

  #markGone(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#task.close();
    this.#context.hardware.removeEventListener("disconnected", this.#onHardwareGone);
    this.#context[Symbol.dispose]();
    this.dispatchEvent(new Event("disconnected"));
  }

  #assertConnected(): void {
    if (this.#gone) throw new ButtplugDeviceError(`Device ${this.name} is disconnected`);
  }

  #feature(featureIndex: number): FeatureDefinition {
    const feature = this.#byIndex.get(featureIndex);
    if (!feature) {
      throw new ButtplugDeviceError(`Device ${this.name} has no feature ${featureIndex}`);
    }
    return feature;
  }
}

function keepaliveFor(handler: ProtocolHandler, hardware: Hardware): TaskKeepalive | undefined {
  const strategy = handler.keepalive ?? { kind: "hardware-required-repeat-last" };
  switch (strategy.kind) {
    case "repeat-last-with-timing":
      return { intervalMs: strategy.ms };
    case "hardware-required-packet":
      return hardware.requiresKeepalive
        ? { intervalMs: HARDWARE_KEEPALIVE_MS, packet: strategy.command }
        : undefined;
    case "hardware-required-repeat-last":
      return hardware.requiresKeepalive ? { intervalMs: HARDWARE_KEEPALIVE_MS } : undefined;
  }
}

function inputKey(featureIndex: number, type: InputType): string {
  return `${featureIndex}/${type}`;
}

function parseInputKey(key: string): [number, InputType] {
  const [fi, type] = key.split("/");
  return [Number(fi), type as InputType];
}

function asDeviceError(err: unknown, context: string): ButtplugError {
  if (err instanceof ButtplugError) return err;
  return new ButtplugDeviceError(`${context}: ${(err as Error)?.message ?? String(err)}`, 0, {
    cause: err,
  });
}
