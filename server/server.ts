/**
 * One Buttplug client session over any transport (PROTOCOL.md §2, §3, §5, §7, §8).
 *
 * The session parses each frame with the negotiated spec version's message set, runs the
 * handshake and the ping timer, validates every device command against the device's v4
 * features, translates v0..v3 commands to v4 operations, drives the `DeviceBackend`s of the
 * shared `DeviceManager`, and sends replies and events in the client's version. Value
 * de-duplication and pacing belong to the device layer, not here.
 *
 * Processing model: every element of a frame is handled on its own; replies go out as one frame
 * each, as soon as they are ready (device commands reply once the device has queued them).
 * Device calls are made synchronously inside {@linkcode ButtplugServer.receive}, so commands
 * reach a device in arrival order even though their replies are asynchronous. Ping and other
 * non-device messages never wait on device I/O.
 *
 * @module
 */
import {
  type AnyRequestServerInfo,
  type ClientMessageBodies,
  negotiateSpecVersion,
  type ParsedMessage,
  parseFrame,
  type ParseResult,
} from "../protocol/parse.ts";
import {
  batteryLevelReadingMessage,
  checkInput,
  checkOutput,
  deviceAddedMessage,
  deviceListMessage,
  deviceNotAvailable,
  deviceRemovedMessage,
  devicesPayload,
  errorMessage,
  inputReadingMessage,
  type LegacyOutputCommand,
  okMessage,
  resolveBattery,
  resolveSensorRead,
  scanningFinishedMessage,
  sensorReadingMessage,
  serverInfoMessage,
  testMessage,
  translateLegacyOutput,
} from "../protocol/convert.ts";
import { DeviceViews } from "../protocol/device_views.ts";
import {
  ButtplugDeviceError,
  ButtplugError,
  ButtplugInitError,
  ButtplugMessageError,
  ErrorCode,
} from "../protocol/errors.ts";
import type {
  InputCmd,
  InputType,
  OutputCmd,
  OutputType,
  RawMessage,
  SpecVersion,
  StopCmd,
} from "../protocol/messages.ts";
import { type Clock, systemClock, type TimerHandle } from "../protocol/clock.ts";
import { TypedEventTarget } from "../protocol/typed_event_target.ts";
import type { DeviceBackend, InputReadingDetail, StopScope } from "../hardware/mod.ts";
import type { DeviceManager } from "./devices/manager.ts";
import { type Logger, silentLogger } from "./log.ts";

/** What the transport gives a session to talk back to its client. */
export interface ServerOutput {
  /** Sends one frame; `messages` are already in the session's spec shape. */
  send(messages: RawMessage[]): void;
  /**
   * The server asks the transport to close (ping timeout, version mismatch, handshake timeout).
   * The session has already cleaned up (or is doing so); calling
   * {@linkcode ButtplugServer.close} afterwards is harmless.
   */
  close(reason: string): void;
}

/** Options of a {@linkcode ButtplugServer} session. */
export interface ButtplugServerOptions {
  /** Shared device registry. */
  deviceManager: DeviceManager;
  /** `ServerName` in ServerInfo (default `"deno-buttplug"`). */
  serverName?: string;
  /** `MaxPingTime` in ms (default 0 = no ping required; Ping is still answered Ok). */
  maxPingTime?: number;
  /** Close the connection if no valid handshake arrives within this many ms (default 0 = never). */
  handshakeTimeout?: number;
  /** Time source for the ping and handshake timers (default the system clock). */
  clock?: Clock;
  /** Where life-cycle and error lines go (default silent). */
  logger?: Logger;
}

/** States of a session (PROTOCOL.md §2.1). */
export type ServerSessionState = "awaiting-handshake" | "connected" | "disconnected" | "pinged-out";

/** Events of a {@linkcode ButtplugServer}. */
export interface ButtplugServerEventMap {
  /** The session ended (after every device was stopped); `detail.reason` says why. */
  close: CustomEvent<{ reason: string }>;
}

interface Subscription {
  readonly index: number;
  readonly keys: Set<string>;
  readonly listener: (event: CustomEvent<InputReadingDetail>) => void;
}

const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => {};

/** Device views are computed once per device (and index) and shared by every session. */
const viewCache = new WeakMap<DeviceBackend, DeviceViews>();
function viewsOf(index: number, device: DeviceBackend): DeviceViews {
  let views = viewCache.get(device);
  if (views === undefined || views.index !== index) {
    views = new DeviceViews(index, device);
    viewCache.set(device, views);
  }
  return views;
}

/** Calls a device method, turning a synchronous throw into a rejection. */
function settle<T>(call: () => Promise<T>): Promise<T> {
  try {
    return call();
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Validates a ms option (default 0). */
function milliseconds(what: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > 4294967295) {
    throw new RangeError(`${what} must be an integer number of ms in 0..4294967295, got ${value}`);
  }
  return value;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function subscriptionKey(featureIndex: number, type: InputType): string {
  return `${featureIndex}:${type}`;
}

/**
 * A Buttplug server session for one client connection. Transport-agnostic: feed it frames with
 * {@linkcode ButtplugServer.receive}, and it answers through the {@linkcode ServerOutput}.
 * Single-use: after {@linkcode ButtplugServer.close}, every message gets ERROR_INIT.
 *
 * @example
 * ```ts
 * import { ButtplugServer } from "./server.ts";
 * import { DeviceManager } from "./devices/manager.ts";
 * import { createTestDevice } from "../hardware/simulated.ts";
 *
 * await using deviceManager = new DeviceManager();
 * const device = createTestDevice();
 * deviceManager.add(device);
 * const frames: unknown[] = [];
 * await using server = new ButtplugServer(
 *   { send: (messages) => frames.push(messages), close: () => {} },
 *   { deviceManager, serverName: "demo" },
 * );
 * await server.receive(
 *   '[{"RequestServerInfo":{"Id":1,"ClientName":"app","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]',
 * );
 * await server.receive(
 *   '[{"OutputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]',
 * );
 * console.assert(device.outputValue(0, "Vibrate") === 10);
 * console.assert(JSON.stringify(frames[1]) === '[{"Ok":{"Id":2}}]');
 * ```
 */
export class ButtplugServer extends TypedEventTarget<ButtplugServerEventMap> {
  readonly #output: ServerOutput;
  readonly #manager: DeviceManager;
  readonly #serverName: string;
  readonly #maxPingTime: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  #state: ServerSessionState = "awaiting-handshake";
  #version: SpecVersion | undefined;
  #clientName: string | undefined;
  #closing: Promise<void> | undefined;
  #pingTimer: TimerHandle | undefined;
  #handshakeTimer: TimerHandle | undefined;
  #lastPing = 0;
  /** Devices the client knows about (index → device), for add/remove events. */
  #known: Map<number, DeviceBackend>;
  /** Cached `Devices` value of DeviceList replies; dropped on every device change. */
  #payload: unknown;
  readonly #subscriptions = new Map<DeviceBackend, Subscription>();

  /** Creates a session answering through `output`. */
  constructor(output: ServerOutput, options: ButtplugServerOptions) {
    super();
    const maxPingTime = milliseconds("maxPingTime", options.maxPingTime);
    const handshakeTimeout = milliseconds("handshakeTimeout", options.handshakeTimeout);
    this.#output = output;
    this.#manager = options.deviceManager;
    this.#serverName = options.serverName ?? "deno-buttplug";
    this.#maxPingTime = maxPingTime;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#known = new Map(this.#manager.devices);
    this.#manager.addEventListener("deviceadded", this.#onDevicesChanged);
    this.#manager.addEventListener("deviceremoved", this.#onDevicesChanged);
    this.#manager.addEventListener("scanningfinished", this.#onScanningFinished);
    if (handshakeTimeout > 0) {
      this.#handshakeTimer = this.#clock.setTimeout(this.#onHandshakeTimeout, handshakeTimeout);
    }
  }

  /** Factory for the client's InProcessConnector: `(output) => new ButtplugServer(output, options)`. */
  static factory(options: ButtplugServerOptions): (output: ServerOutput) => ButtplugServer {
    return (output) => new ButtplugServer(output, options);
  }

  /** Session state (PROTOCOL.md §2.1). */
  get state(): ServerSessionState {
    return this.#state;
  }

  /** Negotiated spec version, once the handshake succeeded. */
  get specVersion(): SpecVersion | undefined {
    return this.#version;
  }

  /** The client's name, once the handshake succeeded. */
  get clientName(): string | undefined {
    return this.#clientName;
  }

  /**
   * Handles one frame: a text frame (string) or an already-parsed JSON value (in-process).
   * Every element gets exactly one reply. Resolves when every reply to it was sent; never
   * rejects.
   */
  receive(frame: string | unknown): Promise<void> {
    let results: ParseResult[];
    try {
      const state = this.#state;
      if (state === "connected") results = parseFrame(frame, this.#version);
      else if (state === "awaiting-handshake") results = parseFrame(frame, undefined);
      else {
        this.#refuseAll(frame);
        return RESOLVED;
      }
    } catch (err) {
      this.#log.error(`internal error while parsing a frame: ${describe(err)}`);
      this.#send(errorMessage(0, ErrorCode.Unknown, `internal error: ${describe(err)}`));
      return RESOLVED;
    }
    if (results.length === 1) return this.#dispatch(results[0]);
    let pending: Promise<void>[] | undefined;
    for (let i = 0; i < results.length; i++) {
      const p = this.#dispatch(results[i]);
      if (p !== RESOLVED) (pending ??= []).push(p);
    }
    return pending === undefined ? RESOLVED : Promise.all(pending).then(noop);
  }

  /**
   * Ends the session: the transport went away or the server shuts down. Stops scanning, stops
   * every device (outputs and input subscriptions), detaches every listener and timer, discards
   * replies still pending, then dispatches `close`. Idempotent.
   */
  close(reason = "connection closed"): Promise<void> {
    return this.#closing ??= this.#shutdown(reason);
  }

  /** Same as {@linkcode ButtplugServer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close("disposed");
  }

  // -------------------------------------------------------------------------------------------
  // Dispatch
  // -------------------------------------------------------------------------------------------

  #dispatch(result: ParseResult): Promise<void> {
    if (result instanceof ButtplugError) {
      this.#sendError(result);
      return RESOLVED;
    }
    try {
      return this.#handle(result);
    } catch (err) {
      this.#log.error(`internal error handling ${result.name}: ${describe(err)}`);
      this.#send(
        errorMessage(result.body.Id, ErrorCode.Unknown, `internal error: ${describe(err)}`),
      );
      return RESOLVED;
    }
  }

  #handle(message: ParsedMessage): Promise<void> {
    switch (message.name) {
      case "Ping":
        this.#lastPing = this.#clock.now();
        this.#send(okMessage(message.body.Id));
        return RESOLVED;
      case "OutputCmd":
        return this.#outputCmd(message.body);
      case "InputCmd":
        return this.#inputCmd(message.body);
      case "StopCmd":
        return this.#stopCmd(message.body);
      case "RequestServerInfo":
        this.#handshake(message.body);
        return RESOLVED;
      case "RequestDeviceList":
        this.#send(deviceListMessage(message.body.Id, this.#devicesPayload()));
        return RESOLVED;
      case "StartScanning":
        return this.#reply(
          message.body.Id,
          settle(() => this.#manager.startScanning()),
          ErrorCode.Unknown,
        );
      case "StopScanning":
        return this.#reply(
          message.body.Id,
          settle(() => this.#manager.stopScanning()),
          ErrorCode.Unknown,
        );
      case "StopDeviceCmd": {
        const { Id, DeviceIndex } = message.body;
        const device = this.#manager.get(DeviceIndex);
        if (device === undefined) return this.#fail(deviceNotAvailable(DeviceIndex, Id));
        this.#dropSubscriptions(device);
        return this.#reply(Id, settle(() => device.stop({ outputs: true, inputs: true })));
      }
      case "StopAllDevices":
        return this.#stopAll(message.body.Id, { outputs: true, inputs: true });
      case "SingleMotorVibrateCmd":
      case "VibrateCmd":
      case "RotateCmd":
      case "LinearCmd":
      case "ScalarCmd":
        return this.#legacyOutput(message);
      case "BatteryLevelCmd":
        return this.#batteryLevelCmd(message.body.Id, message.body.DeviceIndex);
      case "SensorReadCmd":
        return this.#sensorReadCmd(message.body);
      case "SensorSubscribeCmd":
      case "SensorUnsubscribeCmd":
      case "RSSILevelCmd":
      case "RawWriteCmd":
      case "RawReadCmd":
      case "RawSubscribeCmd":
      case "RawUnsubscribeCmd": {
        const { Id, DeviceIndex } = message.body;
        if (this.#manager.get(DeviceIndex) === undefined) {
          return this.#fail(deviceNotAvailable(DeviceIndex, Id));
        }
        return this.#fail(
          new ButtplugDeviceError(
            `MessageNotSupported: no device offers ${message.name} on this server`,
            Id,
          ),
        );
      }
      case "FleshlightLaunchFW12Cmd":
      case "VorzeA10CycloneCmd":
      case "LovenseCmd":
      case "KiirooCmd":
        return this.#fail(
          new ButtplugMessageError(
            `MessageConversionError: ${message.name} is not supported any more; update the client to a newer spec version`,
            message.body.Id,
          ),
        );
      case "RequestLog":
        return this.#fail(
          new ButtplugMessageError(
            "RequestLog is no longer allowed: server logs are not streamed to clients",
            message.body.Id,
          ),
        );
      case "Test":
        if (message.body.TestString === "Error") {
          return this.#fail(new ButtplugMessageError("Test error requested", message.body.Id));
        }
        this.#send(testMessage(message.body.Id, message.body.TestString));
        return RESOLVED;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Handshake and ping
  // -------------------------------------------------------------------------------------------

  #handshake(request: AnyRequestServerInfo): void {
    if (this.#state === "connected") {
      this.#sendError(
        new ButtplugInitError(
          "HandshakeAlreadyHappened: this session already completed its handshake",
          request.Id,
        ),
      );
      return;
    }
    const negotiation = negotiateSpecVersion(request);
    if (!negotiation.ok) {
      this.#sendError(negotiation.error);
      if (negotiation.close) this.#requestClose(negotiation.error.message);
      return;
    }
    const version = negotiation.version;
    this.#version = version;
    this.#clientName = request.ClientName;
    this.#state = "connected";
    this.#payload = undefined;
    if (this.#handshakeTimer !== undefined) {
      this.#clock.clearTimeout(this.#handshakeTimer);
      this.#handshakeTimer = undefined;
    }
    this.#send(serverInfoMessage(version, request.Id, this.#serverName, this.#maxPingTime));
    this.#log.info(`client "${request.ClientName}" connected (spec v${version})`);
    if (this.#maxPingTime > 0) {
      this.#lastPing = this.#clock.now();
      this.#pingTimer = this.#clock.setTimeout(this.#onPingTimer, this.#maxPingTime);
    }
    // Device changes held back while awaiting the handshake go out now.
    this.#announceDeviceChanges();
  }

  readonly #onHandshakeTimeout = (): void => {
    this.#handshakeTimer = undefined;
    if (this.#state !== "awaiting-handshake") return;
    this.#log.info("no handshake in time; closing the connection");
    this.#requestClose("handshake timeout");
  };

  readonly #onPingTimer = (): void => {
    this.#pingTimer = undefined;
    if (this.#state !== "connected") return;
    const elapsed = this.#clock.now() - this.#lastPing;
    if (elapsed < this.#maxPingTime) {
      this.#pingTimer = this.#clock.setTimeout(this.#onPingTimer, this.#maxPingTime - elapsed);
      return;
    }
    // PROTOCOL.md §3: mark, stop everything, tell the client, close.
    this.#state = "pinged-out";
    this.#log.warn(`client "${this.#clientName}" pinged out (MaxPingTime ${this.#maxPingTime} ms)`);
    this.#dropSubscriptions();
    const stopped = settle(() => this.#manager.stopAll()).catch((err) =>
      this.#log.error(`stopping devices after ping timeout failed: ${describe(err)}`)
    );
    this.#send(
      errorMessage(
        0,
        ErrorCode.Ping,
        `PingedOut: no Ping within MaxPingTime (${this.#maxPingTime} ms); every device was stopped`,
      ),
    );
    stopped.then(() => this.#requestClose("ping timeout"));
  };

  /** Asks the transport to close and ends the session. */
  #requestClose(reason: string): void {
    try {
      this.#output.close(reason);
    } catch (err) {
      this.#log.warn(`transport close failed: ${describe(err)}`);
    }
    void this.close(reason);
  }

  async #shutdown(reason: string): Promise<void> {
    const wasConnected = this.#state === "connected";
    const handshaked = wasConnected || this.#state === "pinged-out";
    if (this.#state !== "pinged-out") this.#state = "disconnected";
    for (const timer of [this.#pingTimer, this.#handshakeTimer]) {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
    }
    this.#pingTimer = this.#handshakeTimer = undefined;
    this.#manager.removeEventListener("deviceadded", this.#onDevicesChanged);
    this.#manager.removeEventListener("deviceremoved", this.#onDevicesChanged);
    this.#manager.removeEventListener("scanningfinished", this.#onScanningFinished);
    this.#dropSubscriptions();
    // The scan stop is asked for first, but the devices do not wait for it: a slow or stuck
    // transport must not keep a toy running after its client is gone.
    const scanStopped = handshaked && this.#manager.scanning
      ? settle(() => this.#manager.stopScanning()).catch((err) =>
        this.#log.error(`stopping the scan failed: ${describe(err)}`)
      )
      : RESOLVED;
    const devicesStopped = wasConnected
      ? settle(() => this.#manager.stopAll()).catch((err) =>
        this.#log.error(`stopping devices on disconnect failed: ${describe(err)}`)
      )
      : RESOLVED;
    await Promise.all([scanStopped, devicesStopped]);
    if (handshaked) this.#log.info(`client "${this.#clientName}" left: ${reason}`);
    this.dispatchEvent(new CustomEvent("close", { detail: { reason } }));
  }

  /** After close or ping-out: every element gets ERROR_INIT (closed) or ERROR_PING (pinged out). */
  #refuseAll(frame: unknown): void {
    const pingedOut = this.#state === "pinged-out";
    for (const result of parseFrame(frame, this.#version)) {
      const id = result instanceof ButtplugError ? result.id : result.body.Id;
      this.#send(
        pingedOut
          ? errorMessage(id, ErrorCode.Ping, "PingedOut: this session timed out; reconnect")
          : errorMessage(id, ErrorCode.Init, "ReconnectDenied: this session is closed"),
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Devices: list and events
  // -------------------------------------------------------------------------------------------

  readonly #onDevicesChanged = (): void => {
    this.#payload = undefined;
    if (this.#state === "connected") this.#announceDeviceChanges();
  };

  readonly #onScanningFinished = (): void => {
    if (this.#state === "connected") this.#send(scanningFinishedMessage());
  };

  #devicesPayload(): unknown {
    if (this.#payload === undefined) {
      const views: DeviceViews[] = [];
      for (const [index, device] of this.#manager.devices) views.push(viewsOf(index, device));
      this.#payload = Object.freeze(devicesPayload(this.#version!, views));
    }
    return this.#payload;
  }

  /** Sends the events for every difference between the known and the current device set. */
  #announceDeviceChanges(): void {
    const current = this.#manager.devices;
    const known = this.#known;
    const version = this.#version!;
    if (version === 4) {
      let changed = current.size !== known.size;
      if (!changed) {
        for (const [index, device] of current) {
          if (known.get(index) !== device) {
            changed = true;
            break;
          }
        }
      }
      if (changed) {
        this.#known = new Map(current);
        this.#send(deviceListMessage(0, this.#devicesPayload()));
      }
    } else {
      for (const [index, device] of known) {
        if (current.get(index) !== device) {
          known.delete(index);
          this.#send(deviceRemovedMessage(index));
        }
      }
      for (const [index, device] of current) {
        if (known.get(index) !== device) {
          known.set(index, device);
          this.#send(deviceAddedMessage(version, viewsOf(index, device)));
        }
      }
    }
    for (const [device, sub] of this.#subscriptions) {
      if (current.get(sub.index) !== device) this.#dropSubscriptions(device);
    }
  }

  // -------------------------------------------------------------------------------------------
  // v4 device commands
  // -------------------------------------------------------------------------------------------

  #outputCmd(body: OutputCmd): Promise<void> {
    const device = this.#manager.get(body.DeviceIndex);
    if (device === undefined) return this.#fail(deviceNotAvailable(body.DeviceIndex, body.Id));
    const command = body.Command as Record<string, OutputCmd["Command"][OutputType]>;
    let type: OutputType | undefined;
    for (const key in command) {
      if (command[key] !== undefined) {
        type = key as OutputType;
        break;
      }
    }
    const value = command[type!]!;
    const problem = checkOutput(
      viewsOf(body.DeviceIndex, device),
      body.FeatureIndex,
      type!,
      value,
      body.Id,
    );
    if (problem !== null) return this.#fail(problem);
    return this.#reply(body.Id, settle(() => device.output(body.FeatureIndex, type!, value)));
  }

  #inputCmd(body: InputCmd): Promise<void> {
    const { Id, DeviceIndex, FeatureIndex, Type } = body;
    const device = this.#manager.get(DeviceIndex);
    if (device === undefined) return this.#fail(deviceNotAvailable(DeviceIndex, Id));
    const problem = checkInput(viewsOf(DeviceIndex, device), FeatureIndex, Type, body.Command, Id);
    if (problem !== null) return this.#fail(problem);
    switch (body.Command) {
      case "Read":
        return settle(() => device.readInput(FeatureIndex, Type)).then(
          (value) => {
            this.#sendIfOpen(inputReadingMessage(Id, DeviceIndex, FeatureIndex, Type, value));
          },
          (err) => this.#sendIfOpen(this.#errorFrom(err, Id, ErrorCode.Device)),
        );
      case "Subscribe": {
        const added = this.#addSubscription(device, DeviceIndex, FeatureIndex, Type);
        return this.#reply(
          Id,
          settle(() => device.subscribeInput(FeatureIndex, Type)).catch((err) => {
            if (added) this.#dropSubscriptions(device, FeatureIndex, Type);
            throw err;
          }),
        );
      }
      case "Unsubscribe":
        this.#dropSubscriptions(device, FeatureIndex, Type);
        return this.#reply(Id, settle(() => device.unsubscribeInput(FeatureIndex, Type)));
    }
  }

  #stopCmd(body: StopCmd): Promise<void> {
    const scope = { outputs: body.Outputs ?? true, inputs: body.Inputs ?? true };
    // FeatureIndex without DeviceIndex is ignored (PROTOCOL.md §5.4).
    if (body.DeviceIndex === undefined) return this.#stopAll(body.Id, scope);
    const device = this.#manager.get(body.DeviceIndex);
    if (device === undefined) return this.#fail(deviceNotAvailable(body.DeviceIndex, body.Id));
    const featureIndex = body.FeatureIndex;
    if (
      featureIndex !== undefined && !viewsOf(body.DeviceIndex, device).features.has(featureIndex)
    ) {
      return this.#fail(
        new ButtplugDeviceError(
          `DeviceFeatureIndexError: device ${body.DeviceIndex} has no feature ${featureIndex}`,
          body.Id,
        ),
      );
    }
    if (scope.inputs) this.#dropSubscriptions(device, featureIndex);
    if (!scope.inputs && !scope.outputs) {
      this.#send(okMessage(body.Id));
      return RESOLVED;
    }
    const scoped: StopScope = featureIndex === undefined ? scope : { ...scope, featureIndex };
    return this.#reply(body.Id, settle(() => device.stop(scoped)));
  }

  #stopAll(id: number, scope: StopScope): Promise<void> {
    if (scope.inputs) this.#dropSubscriptions();
    if (!scope.inputs && !scope.outputs) {
      this.#send(okMessage(id));
      return RESOLVED;
    }
    const stops: Promise<void>[] = [];
    for (const device of this.#manager.devices.values()) {
      stops.push(settle(() => device.stop(scope)));
    }
    return this.#reply(id, Promise.all(stops));
  }

  // -------------------------------------------------------------------------------------------
  // v0..v3 device commands
  // -------------------------------------------------------------------------------------------

  #legacyOutput(command: LegacyOutputCommand): Promise<void> {
    const { Id, DeviceIndex } = command.body;
    const device = this.#manager.get(DeviceIndex);
    if (device === undefined) return this.#fail(deviceNotAvailable(DeviceIndex, Id));
    const ops = translateLegacyOutput(command, viewsOf(DeviceIndex, device));
    if (ops instanceof ButtplugError) return this.#fail(ops);
    if (ops.length === 0) {
      this.#send(okMessage(Id));
      return RESOLVED;
    }
    if (ops.length === 1) {
      const op = ops[0];
      return this.#reply(Id, settle(() => device.output(op.featureIndex, op.type, op.value)));
    }
    // Every call is made now, in ascending feature order; the reply waits for all of them.
    const calls = ops.map((op) => settle(() => device.output(op.featureIndex, op.type, op.value)));
    return this.#reply(Id, Promise.all(calls));
  }

  #batteryLevelCmd(id: number, deviceIndex: number): Promise<void> {
    const device = this.#manager.get(deviceIndex);
    if (device === undefined) return this.#fail(deviceNotAvailable(deviceIndex, id));
    const sensor = resolveBattery(viewsOf(deviceIndex, device), id);
    if (sensor instanceof ButtplugError) return this.#fail(sensor);
    return settle(() => device.readInput(sensor.featureIndex, "Battery")).then(
      (value) => this.#sendIfOpen(batteryLevelReadingMessage(id, deviceIndex, value)),
      (err) => this.#sendIfOpen(this.#errorFrom(err, id, ErrorCode.Device)),
    );
  }

  #sensorReadCmd(body: ClientMessageBodies["SensorReadCmd"]): Promise<void> {
    const { Id, DeviceIndex } = body;
    const device = this.#manager.get(DeviceIndex);
    if (device === undefined) return this.#fail(deviceNotAvailable(DeviceIndex, Id));
    const sensor = resolveSensorRead(viewsOf(DeviceIndex, device), body);
    if (sensor instanceof ButtplugError) return this.#fail(sensor);
    return settle(() => device.readInput(sensor.featureIndex, sensor.type)).then(
      (value) =>
        this.#sendIfOpen(
          sensorReadingMessage(Id, DeviceIndex, body.SensorIndex, body.SensorType, value),
        ),
      (err) => this.#sendIfOpen(this.#errorFrom(err, Id, ErrorCode.Device)),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Input subscriptions (v4)
  // -------------------------------------------------------------------------------------------

  /** Records a subscription; returns false if it already existed. */
  #addSubscription(
    device: DeviceBackend,
    index: number,
    featureIndex: number,
    type: InputType,
  ): boolean {
    let sub = this.#subscriptions.get(device);
    if (sub === undefined) {
      const keys = new Set<string>();
      const listener = (event: CustomEvent<InputReadingDetail>): void => {
        const d = event.detail;
        if (this.#state === "connected" && keys.has(subscriptionKey(d.featureIndex, d.type))) {
          this.#send(inputReadingMessage(0, index, d.featureIndex, d.type, d.value));
        }
      };
      sub = { index, keys, listener };
      device.addEventListener("reading", listener);
      this.#subscriptions.set(device, sub);
    }
    const key = subscriptionKey(featureIndex, type);
    if (sub.keys.has(key)) return false;
    sub.keys.add(key);
    return true;
  }

  /** Forgets subscriptions: all, one device's, one feature's, or one input's. */
  #dropSubscriptions(device?: DeviceBackend, featureIndex?: number, type?: InputType): void {
    for (const [d, sub] of this.#subscriptions) {
      if (device !== undefined && d !== device) continue;
      if (featureIndex !== undefined) {
        for (const key of sub.keys) {
          const [f, t] = key.split(":");
          if (Number(f) === featureIndex && (type === undefined || t === type)) {
            sub.keys.delete(key);
          }
        }
        if (sub.keys.size > 0) continue;
      }
      d.removeEventListener("reading", sub.listener);
      this.#subscriptions.delete(d);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Replies
  // -------------------------------------------------------------------------------------------

  /** Replies Ok when `work` resolves, or the matching Error when it rejects. */
  #reply(
    id: number,
    work: Promise<unknown>,
    fallback: ErrorCode = ErrorCode.Device,
  ): Promise<void> {
    return work.then(
      () => this.#sendIfOpen(okMessage(id)),
      (err) => this.#sendIfOpen(this.#errorFrom(err, id, fallback)),
    );
  }

  #errorFrom(err: unknown, id: number, fallback: ErrorCode): RawMessage {
    if (err instanceof ButtplugError) return errorMessage(id, err.code, err.message);
    this.#log.debug(`request ${id} failed: ${describe(err)}`);
    return errorMessage(id, fallback, describe(err));
  }

  #fail(error: ButtplugError): Promise<void> {
    this.#sendError(error);
    return RESOLVED;
  }

  #sendError(error: ButtplugError): void {
    this.#send(errorMessage(error.id, error.code, error.message));
  }

  /** Sends unless the session was closed meanwhile (pending replies are discarded). */
  #sendIfOpen(message: RawMessage): void {
    if (this.#closing === undefined) this.#send(message);
  }

  #send(message: RawMessage): void {
    try {
      this.#output.send([message]);
    } catch (err) {
      this.#log.warn(`sending to the client failed: ${describe(err)}`);
    }
  }
}
