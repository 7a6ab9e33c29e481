/**
 * Spec v0 messages (2017): the original message set with device-specific commands.
 *
 * Used by the server to serve v0 clients (PROTOCOL.md §5, §6.6). Messages that did not change
 * in later versions are defined here once and re-exported by `v1.ts`..`v3.ts`.
 *
 * @module
 */
import type { ErrorMessage, Ok } from "./messages.ts";

export type { ErrorMessage, Ok };

/** Handshake request of spec v0: no version field at all. */
export interface RequestServerInfo {
  /** Request id (1..2^32-1). */
  Id: number;
  /** Name of the client software (may be empty). */
  ClientName: string;
}

/** Handshake reply of spec v0 and v1. */
export interface ServerInfo {
  /** Id of the RequestServerInfo. */
  Id: number;
  /** Always 0 in the reference. */
  MajorVersion: number;
  /** Always 0 in the reference. */
  MinorVersion: number;
  /** Always 0 in the reference. */
  BuildVersion: number;
  /** The client's spec version, echoed (0 or 1). */
  MessageVersion: number;
  /** Longest tolerated gap between Pings in ms; 0 = no ping required. */
  MaxPingTime: number;
  /** Server name (may be empty). */
  ServerName: string;
}

/** A message carrying only an `Id`. */
export interface IdMessage {
  /** Request id, or 0 for events. */
  Id: number;
}

/** Keep-alive (client → server). */
export type Ping = IdMessage;
/** Start device discovery. */
export type StartScanning = IdMessage;
/** Stop device discovery. */
export type StopScanning = IdMessage;
/** Every transport finished scanning by itself (event, `Id` 0). */
export type ScanningFinished = IdMessage;
/** Ask for the device list. */
export type RequestDeviceList = IdMessage;
/** Stop every device. */
export type StopAllDevices = IdMessage;

/** Echo test (v0/v1 only, both directions). */
export interface Test {
  /** Request id. */
  Id: number;
  /** String echoed back; `"Error"` makes the server answer with an Error. */
  TestString: string;
}

/** Log levels of v0/v1 `RequestLog` / `Log`. */
export type LogLevel = "Off" | "Fatal" | "Error" | "Warn" | "Info" | "Debug" | "Trace";

/** Every v0/v1 log level. */
export const LOG_LEVELS: readonly LogLevel[] = [
  "Off",
  "Fatal",
  "Error",
  "Warn",
  "Info",
  "Debug",
  "Trace",
];

/** Ask the server to stream log messages (refused by this server). */
export interface RequestLog {
  /** Request id. */
  Id: number;
  /** Lowest level to stream. */
  LogLevel: LogLevel;
}

/** A log line from the server (never sent by this server). */
export interface Log {
  /** Always 0. */
  Id: number;
  /** Level of the line. */
  LogLevel: LogLevel;
  /** The text. */
  LogMessage: string;
}

/** Names a v0 device can advertise in `DeviceMessages`. */
export type DeviceMessageName =
  | "FleshlightLaunchFW12Cmd"
  | "SingleMotorVibrateCmd"
  | "StopDeviceCmd"
  | "KiirooCmd"
  | "LovenseCmd"
  | "VorzeA10CycloneCmd";

/** One device of a v0 `DeviceList` / `DeviceAdded`. */
export interface DeviceInfo {
  /** Server-assigned index. */
  DeviceIndex: number;
  /** Name from the device configuration. */
  DeviceName: string;
  /** Supported messages, sorted by name. */
  DeviceMessages: DeviceMessageName[];
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

/** A device disconnected (event, `Id` 0). */
export interface DeviceRemoved {
  /** Always 0. */
  Id: number;
  /** Index of the device that left. */
  DeviceIndex: number;
}

/** A message addressed to one device and carrying nothing else. */
export interface DeviceIndexMessage {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
}

/** Stop everything one device is doing. */
export type StopDeviceCmd = DeviceIndexMessage;

/** Run every vibrator of a device at one speed (deprecated in v1, removed in v2). */
export interface SingleMotorVibrateCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** Speed 0.0..1.0. */
  Speed: number;
}

/** Fleshlight Launch firmware 1.2 move (always refused by this server). */
export interface FleshlightLaunchFW12Cmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** Target position 0..99. */
  Position: number;
  /** Speed 0..99. */
  Speed: number;
}

/** Vorze A10 Cyclone rotation (always refused by this server). */
export interface VorzeA10CycloneCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** Speed 0..100. */
  Speed: number;
  /** Direction. */
  Clockwise: boolean;
}

/** Raw Lovense command string (never supported). */
export interface LovenseCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** e.g. `"Vibrate:20;"`. */
  Command: string;
}

/** Kiiroo command string (never supported). */
export interface KiirooCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** A string holding an integer 0..4. */
  Command: string;
}

/** Every client → server message of spec v0. */
export type ClientMessage =
  | { RequestServerInfo: RequestServerInfo }
  | { Ping: Ping }
  | { Test: Test }
  | { RequestLog: RequestLog }
  | { StartScanning: StartScanning }
  | { StopScanning: StopScanning }
  | { RequestDeviceList: RequestDeviceList }
  | { StopDeviceCmd: StopDeviceCmd }
  | { StopAllDevices: StopAllDevices }
  | { SingleMotorVibrateCmd: SingleMotorVibrateCmd }
  | { FleshlightLaunchFW12Cmd: FleshlightLaunchFW12Cmd }
  | { VorzeA10CycloneCmd: VorzeA10CycloneCmd }
  | { LovenseCmd: LovenseCmd }
  | { KiirooCmd: KiirooCmd };

/** Every server → client message of spec v0. */
export type ServerMessage =
  | { Ok: Ok }
  | { Error: ErrorMessage }
  | { ServerInfo: ServerInfo }
  | { Test: Test }
  | { Log: Log }
  | { ScanningFinished: ScanningFinished }
  | { DeviceList: DeviceList }
  | { DeviceAdded: DeviceAdded }
  | { DeviceRemoved: DeviceRemoved };
