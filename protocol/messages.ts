/**
 * Spec v4 messages: the native model of the Buttplug protocol used on both sides.
 *
 * Every message travels as a single-key object `{ "<Name>": { ...fields } }` inside a JSON array
 * (a frame). Older spec versions (0..3) are translated to and from this model by
 * `protocol/convert.ts`.
 *
 * @module
 */

/** The highest spec (major) version this implementation speaks. */
export const SPEC_VERSION_MAJOR = 4;
/** The spec minor version this implementation speaks. */
export const SPEC_VERSION_MINOR = 0;

/** Spec versions a server session can negotiate. */
export type SpecVersion = 0 | 1 | 2 | 3 | 4;

/** Output (actuator) types of spec v4, as used for `OutputCmd` command keys. */
export type OutputType =
  | "Vibrate"
  | "Rotate"
  | "Oscillate"
  | "Constrict"
  | "Temperature"
  | "Led"
  | "Position"
  | "HwPositionWithDuration"
  | "Spray";

/** Every output type, in the order used when several are listed. */
export const OUTPUT_TYPES: readonly OutputType[] = [
  "Vibrate",
  "Rotate",
  "Oscillate",
  "Constrict",
  "Temperature",
  "Led",
  "Position",
  "HwPositionWithDuration",
  "Spray",
];

/** Input (sensor) types of spec v4. `Rssi` is the reference spelling; `RSSI` is accepted on input. */
export type InputType = "Battery" | "Rssi" | "Button" | "Pressure" | "Depth" | "Position";

/** Every input type. */
export const INPUT_TYPES: readonly InputType[] = [
  "Battery",
  "Rssi",
  "Button",
  "Pressure",
  "Depth",
  "Position",
];

/** What a client may ask of an input. */
export type InputCommandType = "Read" | "Subscribe" | "Unsubscribe";

/** An inclusive integer range `[min, max]`. */
export type Range = readonly [number, number];

/** Properties of one output type on a feature, as advertised to v4 clients. */
export interface OutputProperties {
  /** Inclusive step range; `[-max, max]` for bidirectional outputs. */
  readonly Value: Range;
  /** Duration range in milliseconds (only `HwPositionWithDuration`). */
  readonly Duration?: Range;
}

/** Properties of one input type on a feature, as advertised to v4 clients. */
export interface InputProperties {
  /** One range per value the sensor reports (battery: `[[0, 100]]`). */
  readonly Value: readonly Range[];
  /** What the input supports: `Read`, `Subscribe` (and implicitly `Unsubscribe`). */
  readonly Command: readonly InputCommandType[];
}

/** One feature of a device (spec v4 `DeviceFeatures` entry). */
export interface DeviceFeature {
  /** Index to use in `OutputCmd`/`InputCmd`; repeats the map key. */
  readonly FeatureIndex: number;
  /** Free text describing the feature ("" allowed). */
  readonly FeatureDescription: string;
  /** Output types of the feature; omitted when none. */
  readonly Output?: Readonly<Partial<Record<OutputType, OutputProperties>>>;
  /** Input types of the feature; omitted when none. */
  readonly Input?: Readonly<Partial<Record<InputType, InputProperties>>>;
}

/** One device entry of a v4 `DeviceList`. */
export interface DeviceInfo {
  /** Server-assigned device index. */
  readonly DeviceIndex: number;
  /** Name from the device configuration. */
  readonly DeviceName: string;
  /** User-assigned display name; omitted when unset. */
  readonly DeviceDisplayName?: string;
  /** Minimum gap between commands, in milliseconds. */
  readonly DeviceMessageTimingGap: number;
  /** Features keyed by decimal feature index. */
  readonly DeviceFeatures: Readonly<Record<string, DeviceFeature>>;
}

/** The parameters of one output command (`OutputCmd.Command` value). */
export interface OutputValue {
  /** Integer step value inside the feature's advertised range. */
  readonly Value: number;
  /** Milliseconds, only for `HwPositionWithDuration`. */
  readonly Duration?: number;
}

/** `OutputCmd.Command`: exactly one key, the output type. */
export type OutputCommand = { readonly [K in OutputType]?: OutputValue };

/** An input reading value keyed by its type (`InputReading.Reading`). */
export type InputReadingValue = { readonly [K in InputType]?: { readonly Value: number } };

// ---------------------------------------------------------------------------------------------
// Client → server messages (spec v4)
// ---------------------------------------------------------------------------------------------

/** Handshake request. */
export interface RequestServerInfo {
  /** Request id (1..2^32-1), echoed by the reply. */
  Id: number;
  /** Name of the client application. */
  ClientName: string;
  /** Spec major version (4). */
  ProtocolVersionMajor: number;
  /** Spec minor version. */
  ProtocolVersionMinor: number;
}
/** Keep-alive. */
export interface Ping {
  /** Request id (1..2^32-1), echoed by the reply. */
  Id: number;
}
/** Start looking for devices on every transport. */
export interface StartScanning {
  /** Request id (1..2^32-1), echoed by the reply. */
  Id: number;
}
/** Stop looking for devices. */
export interface StopScanning {
  /** Request id (1..2^32-1), echoed by the reply. */
  Id: number;
}
/** Ask for the full device list. */
export interface RequestDeviceList {
  /** Request id (1..2^32-1), echoed by the reply. */
  Id: number;
}
/** Drive one output of one feature. */
export interface OutputCmd {
  /** Request id (1..2^32-1), echoed by the reply. */
  Id: number;
  /** Index of the device (from the device list). */
  DeviceIndex: number;
  /** Index of the feature (`FeatureIndex` in the device's features). */
  FeatureIndex: number;
  /** The output type and its parameters (exactly one key). */
  Command: OutputCommand;
}
/** Read, subscribe to or unsubscribe from one input. */
export interface InputCmd {
  /** Request id (1..2^32-1), echoed by the reply. */
  Id: number;
  /** Index of the device (from the device list). */
  DeviceIndex: number;
  /** Index of the feature (`FeatureIndex` in the device's features). */
  FeatureIndex: number;
  /** Input type to act on. */
  Type: InputType;
  /** What to do: `Read`, `Subscribe` or `Unsubscribe`. */
  Command: InputCommandType;
}
/** Stop outputs and/or input subscriptions, for all devices, one device or one feature. */
export interface StopCmd {
  /** Request id (1..2^32-1), echoed by the reply. */
  Id: number;
  /** Only this device; all devices when omitted. */
  DeviceIndex?: number;
  /** Only this feature of `DeviceIndex`. */
  FeatureIndex?: number;
  /** End input subscriptions in scope (default true). */
  Inputs?: boolean;
  /** Stop outputs in scope (default true). */
  Outputs?: boolean;
}

/** Every client → server message of spec v4, as a single-key object. */
export type ClientMessageV4 =
  | { RequestServerInfo: RequestServerInfo }
  | { Ping: Ping }
  | { StartScanning: StartScanning }
  | { StopScanning: StopScanning }
  | { RequestDeviceList: RequestDeviceList }
  | { OutputCmd: OutputCmd }
  | { InputCmd: InputCmd }
  | { StopCmd: StopCmd };

// ---------------------------------------------------------------------------------------------
// Server → client messages (spec v4)
// ---------------------------------------------------------------------------------------------

/** Generic success reply. */
export interface Ok {
  /** Message id: the request's id in a reply, 0 for events. */
  Id: number;
}
/** Error reply or event. */
export interface ErrorMessage {
  /** Message id: the request's id in a reply, 0 for events. */
  Id: number;
  /** Wire error code (see `ErrorCode`). */
  ErrorCode: number;
  /** Human-readable description; opaque to programs. */
  ErrorMessage: string;
}
/** Handshake reply. */
export interface ServerInfo {
  /** Message id: the request's id in a reply, 0 for events. */
  Id: number;
  /** Spec major version (4). */
  ProtocolVersionMajor: number;
  /** Spec minor version. */
  ProtocolVersionMinor: number;
  /** Longest gap between Pings the server tolerates, in ms (0 = none). */
  MaxPingTime: number;
  /** Name of the server. */
  ServerName: string;
}
/** Device list reply (`Id` = request) or event (`Id` 0). */
export interface DeviceList {
  /** Message id: the request's id in a reply, 0 for events. */
  Id: number;
  /** Connected devices keyed by decimal device index. */
  Devices: Record<string, DeviceInfo>;
}
/** Sent when every transport finished scanning by itself. */
export interface ScanningFinished {
  /** Message id: the request's id in a reply, 0 for events. */
  Id: number;
}
/** An input reading: reply to a Read (`Id` = request) or subscription data (`Id` 0). */
export interface InputReading {
  /** Message id: the request's id in a reply, 0 for events. */
  Id: number;
  /** Index of the device (from the device list). */
  DeviceIndex: number;
  /** Index of the feature (`FeatureIndex` in the device's features). */
  FeatureIndex: number;
  /** The reading, keyed by its input type. */
  Reading: InputReadingValue;
}

/** Every server → client message of spec v4, as a single-key object. */
export type ServerMessageV4 =
  | { Ok: Ok }
  | { Error: ErrorMessage }
  | { ServerInfo: ServerInfo }
  | { DeviceList: DeviceList }
  | { ScanningFinished: ScanningFinished }
  | { InputReading: InputReading };

/** Name of a v4 client message. */
export type ClientMessageName =
  | "RequestServerInfo"
  | "Ping"
  | "StartScanning"
  | "StopScanning"
  | "RequestDeviceList"
  | "OutputCmd"
  | "InputCmd"
  | "StopCmd";
/** Name of a v4 server message. */
export type ServerMessageName =
  | "Ok"
  | "Error"
  | "ServerInfo"
  | "DeviceList"
  | "ScanningFinished"
  | "InputReading";

/** A message of any version as plain JSON: `{ Name: { ...fields } }`. */
export type RawMessage = Record<string, Record<string, unknown>>;

/** Returns the single key (message name) of a message object. */
export function messageName(message: object): string {
  for (const key in message) return key;
  return "";
}

/** Returns the fields object of a message. */
export function messageBody<T = Record<string, unknown>>(message: object): T {
  for (const key in message) return (message as Record<string, T>)[key];
  throw new TypeError("empty message");
}
