/**
 * The protocol framework contract: what one toy family's implementation (one file under
 * `server/devices/protocols/`) provides, and what the device layer gives it.
 *
 * Life cycle (DEVICES.md §3.1): **identify** (may talk to the device; yields the config
 * identifier) → **initialize** (handshake; yields a handler) → **handler** (a stateful encoder
 * from output values to endpoint commands, plus optional input hooks, keepalive and background
 * loops).
 *
 * Handlers never see JSON, sockets or client step values: they get device values `s` already
 * scaled into the feature's configured range (DEVICES.md §1.5).
 *
 * @module
 */
import type { Clock } from "../../protocol/clock.ts";
import type { InputType, OutputType } from "../../protocol/messages.ts";
import type { Advertisement, Hardware } from "../../hardware/mod.ts";
import { allocBytes, copyBytes } from "../../hardware/_byte_slab.ts";

// ---------------------------------------------------------------------------------------------
// Hardware commands produced by encoders
// ---------------------------------------------------------------------------------------------

/** Write bytes to an endpoint. `cids` drive batching de-duplication (DEVICES.md §3.3). */
export interface WriteCommand {
  /** Command kind. */
  readonly kind: "write";
  /** Endpoint name (`tx`, `rx`, ...). */
  readonly endpoint: string;
  /** Bytes to write. */
  readonly data: Uint8Array;
  /** Whether the write waits for the device's acknowledgement (BLE). */
  readonly withResponse: boolean;
  /** Command ids: the feature id (F) or a protocol-wide constant (P). */
  readonly cids: readonly string[];
}

/** Subscribe to notifications of an endpoint. */
export interface SubscribeCommand {
  /** Command kind. */
  readonly kind: "subscribe";
  /** Endpoint name (`tx`, `rx`, ...). */
  readonly endpoint: string;
  /** Command id used to de-duplicate inside the batching window. */
  readonly cid: string;
}

/** Unsubscribe from notifications of an endpoint. */
export interface UnsubscribeCommand {
  /** Command kind. */
  readonly kind: "unsubscribe";
  /** Endpoint name (`tx`, `rx`, ...). */
  readonly endpoint: string;
  /** Command id used to de-duplicate inside the batching window. */
  readonly cid: string;
}

/** One command for the device task. */
export type HardwareCommand = WriteCommand | SubscribeCommand | UnsubscribeCommand;

/**
 * Builds a write command.
 *
 * @example
 * ```ts
 * import { write } from "./protocol.ts";
 * const cmd = write("tx", [0xa0, 0x01, 10], false, "feature-uuid");
 * console.assert(cmd.data.length === 3);
 * ```
 */
export function write(
  endpoint: string,
  data: ArrayLike<number>,
  withResponse: boolean,
  cids: string | readonly string[],
): WriteCommand {
  return {
    kind: "write",
    endpoint,
    data: data instanceof Uint8Array ? data : copyBytes(data),
    withResponse,
    cids: typeof cids === "string" ? [cids] : cids,
  };
}

const textEncoder = new TextEncoder();

/** UTF-8 bytes of `text`; plain ASCII (every text protocol) is copied without an encoder. */
function textBytes(text: string): Uint8Array {
  const bytes = allocBytes(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return textEncoder.encode(text);
    bytes[i] = code;
  }
  return bytes;
}

/** Builds a write command carrying text (Lovense, TCode, ...), UTF-8 encoded. */
export function writeText(
  endpoint: string,
  text: string,
  withResponse: boolean,
  cids: string | readonly string[],
): WriteCommand {
  return write(endpoint, textBytes(text), withResponse, cids);
}

// ---------------------------------------------------------------------------------------------
// Resolved device definition handed to protocols
// ---------------------------------------------------------------------------------------------

/** One output type of a configured feature (after user overrides). */
export interface OutputDefinition {
  /** Configured device range `[lo, hi]` (lo < 0 only for bidirectional outputs). */
  readonly value: readonly [number, number];
  /** Duration range in ms (`hw_position_with_duration` only). */
  readonly duration?: readonly [number, number];
  /** User sub-range `[ulo, uhi]` within `[0, hi]`. */
  readonly userValue?: readonly [number, number];
  /** Reverse positions (`position` / `hw_position_with_duration`). */
  readonly reverse?: boolean;
  /** Disabled by the user: hidden from clients, commands refused. */
  readonly disabled?: boolean;
}

/** One input type of a configured feature. */
export interface InputDefinition {
  /** Value ranges, one per reported value. */
  readonly value: readonly (readonly [number, number])[];
  /** Supported commands. */
  readonly command: readonly ("Read" | "Subscribe")[];
}

/** A configured feature (config `features[]` entry). */
export interface FeatureDefinition {
  /** Config feature index (`fi`); not necessarily contiguous. */
  readonly index: number;
  /** Feature id (uuid): the de-dup key and default CID. */
  readonly id: string;
  /** Description shown to clients. */
  readonly description: string;
  /** Outputs by v4 type. */
  readonly output?: Readonly<Partial<Record<OutputType, OutputDefinition>>>;
  /** Inputs by v4 type. */
  readonly input?: Readonly<Partial<Record<InputType, InputDefinition>>>;
}

/** A fully resolved device definition (base + user overrides) for one physical device. */
export interface DeviceDefinition {
  /** Device name reported to clients. */
  readonly name: string;
  /** Definition id (uuid). */
  readonly id: string;
  /** Protocol id (config key). */
  readonly protocol: string;
  /** Config identifier this definition was found under (absent: protocol defaults). */
  readonly identifier?: string;
  /** Sub-implementation selector (vorze-sa). */
  readonly protocolVariant?: string;
  /** Batching window override in ms. */
  readonly messageGapMs?: number;
  /** User display name. */
  readonly displayName?: string;
  /** Features in ascending config index. */
  readonly features: readonly FeatureDefinition[];
}

// ---------------------------------------------------------------------------------------------
// Protocol implementation contract
// ---------------------------------------------------------------------------------------------

/** Services the device layer offers a protocol during identify/initialize and to handlers. */
export interface ProtocolContext {
  /** The connected hardware. */
  readonly hardware: Hardware;
  /** Clock for waits and background loops (fake in tests). */
  readonly clock: Clock;
  /** Aborted when the device disconnects or the server shuts down. */
  readonly signal: AbortSignal;
  /** Sleeps `ms` on the context clock (rejects when `signal` aborts). */
  sleep(ms: number): Promise<void>;
  /**
   * Waits for the next notification on `endpoint` (any endpoint when omitted) up to `timeoutMs`;
   * resolves `undefined` on timeout, rejects if the device disconnects.
   */
  nextNotification(
    timeoutMs: number,
    endpoint?: string,
  ): Promise<{ endpoint: string; data: Uint8Array } | undefined>;
  /** Reports an input reading (for subscribed inputs; becomes an InputReading event). */
  emitReading(featureIndex: number, type: InputType, value: number): void;
  /**
   * Starts buffering notifications (on `endpoint`, or any endpoint when omitted) from now on,
   * so a reply cannot be missed between a write and the wait for it. Dispose it when done.
   *
   * @example
   * ```ts ignore
   * using replies = ctx.listenNotifications("rx");
   * await ctx.hardware.write("tx", new TextEncoder().encode("DeviceType;"), false);
   * const reply = await replies.next(500); // undefined on timeout
   * ```
   */
  listenNotifications(endpoint?: string): NotificationListener;
  /**
   * Drops the device layer's de-dup cache entry of a feature (only if it holds `type`, when
   * given), so the next command for that feature reaches the encoder even if it repeats the last
   * value. For outputs the protocol changes on its own (timed auto-off, device-side timeouts).
   * Throws a `ButtplugDeviceError` for an unknown feature index. No-op before the device exists
   * (identify/initialize).
   */
  forgetOutput(featureIndex: number, type?: OutputType): void;
  /**
   * Tells the device layer that a feature's `type` output is now at device value `value` without
   * a client command (JoyHub's spray auto-off → 0): the de-dup cache then holds that value, so a
   * later command with the same value is dropped and any other value is sent. Throws a
   * `ButtplugDeviceError` for an unknown feature index or an output the feature lacks. No-op
   * before the device exists.
   *
   * @example
   * ```ts ignore
   * await ctx.hardware.write("tx", SPRAY_OFF, false); // written straight to the hardware
   * ctx.noteOutput(feature.index, "Spray", 0); // a new Spray 1 is sent again
   * ```
   */
  noteOutput(featureIndex: number, type: OutputType, value: number): void;
}

/** A buffered view of a device's notifications, from {@linkcode ProtocolContext.listenNotifications}. */
export interface NotificationListener extends Disposable {
  /**
   * The oldest buffered notification, or the next one to arrive within `timeoutMs`; `undefined`
   * on timeout. Rejects if the device disconnects.
   */
  next(timeoutMs: number): Promise<{ endpoint: string; data: Uint8Array } | undefined>;
  /** Stops buffering. */
  close(): void;
}

/** Result of the identify step. */
export interface Identification {
  /** Config identifier (generic: the hardware name). `undefined` = protocol defaults. */
  readonly identifier?: string;
  /** A different protocol id to look the definition up under (hismith → hismith-mini). */
  readonly protocol?: string;
  /** Initializer to use instead of the protocol's own (when `protocol` changed). */
  readonly initialize?: ProtocolImplementation["initialize"];
}

/** How a device is kept alive (DEVICES.md §3.3). */
export type KeepaliveStrategy =
  /** Default: only when the hardware requires keepalive, resend the last packet every 5 s. */
  | { readonly kind: "hardware-required-repeat-last" }
  /** Only when the hardware requires keepalive, send this packet every 5 s. */
  | { readonly kind: "hardware-required-packet"; readonly command: HardwareCommand }
  /** Always: after `ms` of idleness, rewrite the last packet that went through the task. */
  | { readonly kind: "repeat-last-with-timing"; readonly ms: number };

/** The stateful encoder produced by `initialize`. Unimplemented output types are refused. */
export interface ProtocolHandler {
  /** Vibration speed `s` in 0..hi. */
  vibrate?(feature: FeatureDefinition, s: number): HardwareCommand[];
  /** `s` signed for bidirectional rotators (negative = counter-clockwise). */
  rotate?(feature: FeatureDefinition, s: number): HardwareCommand[];
  /** Oscillation (thrust, swing) speed `s` in 0..hi. */
  oscillate?(feature: FeatureDefinition, s: number): HardwareCommand[];
  /** Squeeze / air pump level `s` in 0..hi (0 = release). */
  constrict?(feature: FeatureDefinition, s: number): HardwareCommand[];
  /** Spray / lube level `s` in 0..hi. */
  spray?(feature: FeatureDefinition, s: number): HardwareCommand[];
  /** `s` signed (heat +, cool −). */
  temperature?(feature: FeatureDefinition, s: number): HardwareCommand[];
  /** Light brightness `s` in 0..hi. */
  led?(feature: FeatureDefinition, s: number): HardwareCommand[];
  /** Move to position `s` as fast as possible. */
  position?(feature: FeatureDefinition, s: number): HardwareCommand[];
  /** Move to position `s` over `durationMs` milliseconds. */
  hwPositionWithDuration?(
    feature: FeatureDefinition,
    s: number,
    durationMs: number,
  ): HardwareCommand[];
  /**
   * Reads an input. Default (when absent): battery from endpoint `rxblebattery`, byte 0.
   * Returns the value in the input's range.
   */
  readInput?(feature: FeatureDefinition, type: InputType, ctx: ProtocolContext): Promise<number>;
  /** Starts subscription data for an input (readings via `ctx.emitReading`). */
  subscribeInput?(feature: FeatureDefinition, type: InputType, ctx: ProtocolContext): Promise<void>;
  /** Ends subscription data for an input. */
  unsubscribeInput?(
    feature: FeatureDefinition,
    type: InputType,
    ctx: ProtocolContext,
  ): Promise<void>;
  /** Keepalive strategy; default `hardware-required-repeat-last`. */
  readonly keepalive?: KeepaliveStrategy;
  /**
   * Background work (write loops, timed auto-off). Called once after initialize; must stop when
   * `ctx.signal` aborts. Writes made here go straight to the hardware (not de-duplicated, not
   * recorded as the keepalive "last packet").
   */
  start?(ctx: ProtocolContext): void;
}

/** One protocol (toy family), registered under its config id. */
export interface ProtocolImplementation {
  /** Protocol id as in the device config (`lovense`, `wevibe-8bit`, ...). */
  readonly id: string;
  /**
   * Identify step. Default (absent): identifier = hardware name, no I/O.
   */
  identify?(ctx: ProtocolContext, advertisement: Advertisement): Promise<Identification>;
  /** Initialize step: handshake (if any) and the handler for this definition. */
  initialize(
    ctx: ProtocolContext,
    definition: DeviceDefinition,
  ): ProtocolHandler | Promise<ProtocolHandler>;
}

/** Features of a definition that have `type` among their outputs, in ascending index. */
export function featuresWithOutput(
  definition: DeviceDefinition,
  type: OutputType,
): FeatureDefinition[] {
  return definition.features.filter((f) => f.output?.[type] !== undefined);
}

/** Features of a definition that have any output, in ascending index. */
export function outputFeatures(definition: DeviceDefinition): FeatureDefinition[] {
  return definition.features.filter((f) => f.output && Object.keys(f.output).length > 0);
}
