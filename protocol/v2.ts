/**
 * Spec v2 messages (2020): drops the v0 device-specific commands, SingleMotorVibrateCmd, Test
 * and logging; adds step counts, BatteryLevelCmd, RSSILevelCmd and raw endpoint access
 * (PROTOCOL.md §5.7, §6.4). ServerInfo loses Major/Minor/BuildVersion.
 *
 * @module
 */
import type * as v1 from "./v1.ts";

export type {
  DeviceIndexMessage,
  DeviceRemoved,
  ErrorMessage,
  IdMessage,
  LinearCmd,
  LinearSubcommand,
  NullMessageAttributes,
  Ok,
  Ping,
  RequestDeviceList,
  RequestServerInfo,
  RotateCmd,
  RotateSubcommand,
  ScanningFinished,
  StartScanning,
  StopAllDevices,
  StopDeviceCmd,
  StopScanning,
  VibrateCmd,
  VibrateSubcommand,
} from "./v1.ts";

/** Handshake reply of spec v2 and v3. */
export interface ServerInfo {
  /** Id of the RequestServerInfo. */
  Id: number;
  /** The client's spec version, echoed. */
  MessageVersion: number;
  /** Longest tolerated gap between Pings in ms; 0 = no ping required. */
  MaxPingTime: number;
  /** Server name (may be empty). */
  ServerName: string;
}

/** Read the battery level. */
export interface BatteryLevelCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
}

/** Reply to BatteryLevelCmd. */
export interface BatteryLevelReading {
  /** Id of the request. */
  Id: number;
  /** Device read. */
  DeviceIndex: number;
  /** 0.0..1.0 (percent / 100). */
  BatteryLevel: number;
}

/** Read the radio signal strength (no device offers it). */
export interface RSSILevelCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
}

/** Reply to RSSILevelCmd (never sent by this server). */
export interface RSSILevelReading {
  /** Id of the request. */
  Id: number;
  /** Device read. */
  DeviceIndex: number;
  /** dBm, usually −100..0. */
  RSSILevel: number;
}

/** Write raw bytes to an endpoint (refused by this server). */
export interface RawWriteCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** Endpoint name, e.g. `"tx"`. */
  Endpoint: string;
  /** Bytes 0..255, at least one. */
  Data: number[];
  /** Use a BLE write with response. */
  WriteWithResponse: boolean;
}

/**
 * Read raw bytes from an endpoint (refused by this server). Field names differ between the docs
 * (`ExpectedLength`), the schema (`Length`) and reference v9 (`Timeout`); all are accepted.
 */
export interface RawReadCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** Endpoint name. */
  Endpoint: string;
  /** Schema spelling of the length. */
  Length?: number;
  /** Docs spelling of the length. */
  ExpectedLength?: number;
  /** Wait until the length is available. */
  WaitForData?: boolean;
  /** Reference v9 timeout in ms. */
  Timeout?: number;
}

/** Subscribe to an endpoint (refused by this server). */
export interface RawSubscribeCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** Endpoint name. */
  Endpoint: string;
}

/** Unsubscribe from an endpoint (refused by this server). */
export type RawUnsubscribeCmd = RawSubscribeCmd;

/** Raw data from a device (never sent by this server). */
export interface RawReading {
  /** Request id, or 0 for subscription data. */
  Id: number;
  /** Device. */
  DeviceIndex: number;
  /** Endpoint name. */
  Endpoint: string;
  /** Bytes. */
  Data: number[];
}

/** v2 attributes of a generic command. */
export interface GenericMessageAttributes {
  /** Number of features (≥ 1). */
  FeatureCount: number;
  /** Steps of each feature, in index order. */
  StepCount: number[];
}

/** Attributes of raw commands. */
export interface RawMessageAttributes {
  /** Endpoint names. */
  Endpoints?: string[];
}

/** v2 `DeviceMessages` object (keys in reference order). */
export interface DeviceMessages {
  /** Vibrators. */
  VibrateCmd?: GenericMessageAttributes;
  /** Bidirectional rotators. */
  RotateCmd?: GenericMessageAttributes;
  /** Linear actuators. */
  LinearCmd?: GenericMessageAttributes;
  /** A readable battery. */
  BatteryLevelCmd?: v1.NullMessageAttributes;
  /** Never advertised by this server. */
  RSSILevelCmd?: v1.NullMessageAttributes;
  /** Always present. */
  StopDeviceCmd?: v1.NullMessageAttributes;
  /** Never advertised by this server. */
  RawReadCmd?: RawMessageAttributes;
  /** Never advertised by this server. */
  RawWriteCmd?: RawMessageAttributes;
  /** Never advertised by this server. */
  RawSubscribeCmd?: RawMessageAttributes;
  /** Never advertised by this server. */
  RawUnsubscribeCmd?: RawMessageAttributes;
}

/** One device of a v2 `DeviceList` / `DeviceAdded`. */
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

/** The members of a message union `U` whose name is not in `K`. */
type WithoutNames<U, K extends string> = U extends unknown
  ? (Extract<keyof U, K> extends never ? U : never)
  : never;

type RemovedInV2 =
  | "Test"
  | "RequestLog"
  | "SingleMotorVibrateCmd"
  | "FleshlightLaunchFW12Cmd"
  | "VorzeA10CycloneCmd"
  | "LovenseCmd"
  | "KiirooCmd";

/** Every client → server message of spec v2. */
export type ClientMessage =
  | WithoutNames<v1.ClientMessage, RemovedInV2>
  | { BatteryLevelCmd: BatteryLevelCmd }
  | { RSSILevelCmd: RSSILevelCmd }
  | { RawWriteCmd: RawWriteCmd }
  | { RawReadCmd: RawReadCmd }
  | { RawSubscribeCmd: RawSubscribeCmd }
  | { RawUnsubscribeCmd: RawUnsubscribeCmd };

/** Every server → client message of spec v2. */
export type ServerMessage =
  | { Ok: v1.Ok }
  | { Error: v1.ErrorMessage }
  | { ServerInfo: ServerInfo }
  | { ScanningFinished: v1.ScanningFinished }
  | { DeviceList: DeviceList }
  | { DeviceAdded: DeviceAdded }
  | { DeviceRemoved: v1.DeviceRemoved }
  | { BatteryLevelReading: BatteryLevelReading }
  | { RSSILevelReading: RSSILevelReading }
  | { RawReading: RawReading };
