/**
 * Spec v1 messages (2017): adds the handshake `MessageVersion` and the generic VibrateCmd,
 * RotateCmd and LinearCmd; device descriptions become objects with `FeatureCount`
 * (PROTOCOL.md §5.6, §6.5). Every v0 message is still present.
 *
 * @module
 */
import type * as v0 from "./v0.ts";

export type {
  DeviceIndexMessage,
  DeviceRemoved,
  ErrorMessage,
  FleshlightLaunchFW12Cmd,
  IdMessage,
  KiirooCmd,
  Log,
  LogLevel,
  LovenseCmd,
  Ok,
  Ping,
  RequestDeviceList,
  RequestLog,
  ScanningFinished,
  ServerInfo,
  SingleMotorVibrateCmd,
  StartScanning,
  StopAllDevices,
  StopDeviceCmd,
  StopScanning,
  Test,
  VorzeA10CycloneCmd,
} from "./v0.ts";

/** Handshake request of spec v1..v3. */
export interface RequestServerInfo {
  /** Request id (1..2^32-1). */
  Id: number;
  /** Name of the client software (may be empty). */
  ClientName: string;
  /** The client's spec version (1..3). */
  MessageVersion: number;
}

/** One vibrator speed of a VibrateCmd. */
export interface VibrateSubcommand {
  /** Vibrator number (counts vibrators only). */
  Index: number;
  /** Speed 0.0..1.0. */
  Speed: number;
}

/** Set vibrator speeds. */
export interface VibrateCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** At least one subcommand. */
  Speeds: VibrateSubcommand[];
}

/** One rotator of a RotateCmd. */
export interface RotateSubcommand {
  /** Rotator number (counts bidirectional rotators only). */
  Index: number;
  /** Speed 0.0..1.0. */
  Speed: number;
  /** Direction. */
  Clockwise: boolean;
}

/** Set rotation speeds and directions. */
export interface RotateCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** At least one subcommand. */
  Rotations: RotateSubcommand[];
}

/** One linear move of a LinearCmd. */
export interface LinearSubcommand {
  /** Linear actuator number. */
  Index: number;
  /** Movement time in ms. */
  Duration: number;
  /** Target position 0.0..1.0. */
  Position: number;
}

/** Move linear actuators. */
export interface LinearCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** Moves (may be empty). */
  Vectors: LinearSubcommand[];
}

/** v1 attributes of a generic command. */
export interface GenericMessageAttributes {
  /** Number of features driven by the command (≥ 1). */
  FeatureCount: number;
}

/** Attributes of a command without parameters: `{}`. */
export type NullMessageAttributes = Record<string, never>;

/** v1 `DeviceMessages` object (keys in reference order). */
export interface DeviceMessages {
  /** Vibrators. */
  VibrateCmd?: GenericMessageAttributes;
  /** Bidirectional rotators. */
  RotateCmd?: GenericMessageAttributes;
  /** Linear actuators. */
  LinearCmd?: GenericMessageAttributes;
  /** Always present. */
  StopDeviceCmd?: NullMessageAttributes;
  /** Present whenever VibrateCmd is. */
  SingleMotorVibrateCmd?: NullMessageAttributes;
  /** Never advertised by this server. */
  FleshlightLaunchFW12Cmd?: NullMessageAttributes;
  /** Never advertised by this server. */
  VorzeA10CycloneCmd?: NullMessageAttributes;
  /** Never advertised by this server. */
  LovenseCmd?: NullMessageAttributes;
  /** Never advertised by this server. */
  KiirooCmd?: NullMessageAttributes;
}

/** One device of a v1 `DeviceList` / `DeviceAdded`. */
export interface DeviceInfo {
  /** Server-assigned index. */
  DeviceIndex: number;
  /** Name from the device configuration. */
  DeviceName: string;
  /** Supported messages. */
  DeviceMessages: DeviceMessages;
}

/** Reply to RequestDeviceList. */
export interface DeviceList {
  /** Id of the request. */
  Id: number;
  /** Devices sorted by index. */
  Devices: DeviceInfo[];
}

/** A device connected (event, `Id` 0). */
export interface DeviceAdded extends DeviceInfo {
  /** Always 0. */
  Id: number;
}

/** Every client → server message of spec v1. */
export type ClientMessage =
  | Exclude<v0.ClientMessage, { RequestServerInfo: v0.RequestServerInfo }>
  | { RequestServerInfo: RequestServerInfo }
  | { VibrateCmd: VibrateCmd }
  | { RotateCmd: RotateCmd }
  | { LinearCmd: LinearCmd };

/** Every server → client message of spec v1. */
export type ServerMessage =
  | Exclude<v0.ServerMessage, { DeviceList: v0.DeviceList } | { DeviceAdded: v0.DeviceAdded }>
  | { DeviceList: DeviceList }
  | { DeviceAdded: DeviceAdded };
