/**
 * Spec v3 messages (2022): per-feature attribute arrays, ScalarCmd and the Sensor* commands;
 * BatteryLevel and RSSILevel messages removed (PROTOCOL.md §5.8, §6.3). VibrateCmd is deprecated but
 * still accepted.
 *
 * @module
 */
import type { OutputType } from "./messages.ts";
import type * as v2 from "./v2.ts";

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
  RawMessageAttributes,
  RawReadCmd,
  RawReading,
  RawSubscribeCmd,
  RawUnsubscribeCmd,
  RawWriteCmd,
  RequestDeviceList,
  RequestServerInfo,
  RotateCmd,
  RotateSubcommand,
  ScanningFinished,
  ServerInfo,
  StartScanning,
  StopAllDevices,
  StopDeviceCmd,
  StopScanning,
  VibrateCmd,
  VibrateSubcommand,
} from "./v2.ts";

/**
 * v3 actuator types. This server emits and accepts the v4 OutputType names (like the v10
 * reference), plus their snake_case aliases on input.
 */
export type ActuatorType = OutputType;

/** v3 sensor types (original spelling). Only `Battery` is ever offered. */
export type SensorType = "Unknown" | "Battery" | "RSSI" | "Button" | "Pressure";

/** One scalar of a ScalarCmd. */
export interface ScalarSubcommand {
  /** Position in the device's `ScalarCmd` attribute array. */
  Index: number;
  /** 0.0..1.0. */
  Scalar: number;
  /** Output type to drive on that entry's feature. */
  ActuatorType: ActuatorType;
}

/** Set scalar outputs. */
export interface ScalarCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** At least one subcommand. */
  Scalars: ScalarSubcommand[];
}

/** Read, subscribe or unsubscribe a sensor. */
export interface SensorCmd {
  /** Request id. */
  Id: number;
  /** Target device. */
  DeviceIndex: number;
  /** Position in the device's `SensorReadCmd` attribute array. */
  SensorIndex: number;
  /** Sensor type. */
  SensorType: SensorType;
}

/** Read a sensor once. */
export type SensorReadCmd = SensorCmd;
/** Subscribe to a sensor (always refused, like the reference). */
export type SensorSubscribeCmd = SensorCmd;
/** Unsubscribe from a sensor (always refused, like the reference). */
export type SensorUnsubscribeCmd = SensorCmd;

/** Reply to SensorReadCmd. */
export interface SensorReading {
  /** Id of the request (0 for subscription data). */
  Id: number;
  /** Device read. */
  DeviceIndex: number;
  /** From the request. */
  SensorIndex: number;
  /** From the request. */
  SensorType: SensorType;
  /** One integer per sensor range (battery: `[percent]`). */
  Data: number[];
}

/** v3 attributes of an actuator command entry. */
export interface GenericMessageAttributes {
  /** The feature's description. */
  FeatureDescriptor: string;
  /** Output type of the entry. */
  ActuatorType: ActuatorType;
  /** Number of steps (≥ 1). */
  StepCount: number;
}

/** v3 attributes of a sensor entry. */
export interface SensorMessageAttributes {
  /** The feature's description. */
  FeatureDescriptor: string;
  /** Sensor type. */
  SensorType: SensorType;
  /** One inclusive range per value the sensor returns. */
  SensorRange: [number, number][];
}

/** v3 `DeviceMessages` object (keys in reference order). */
export interface DeviceMessages {
  /** Scalar outputs, one entry per (feature, output type). */
  ScalarCmd?: GenericMessageAttributes[];
  /** Bidirectional rotators. */
  RotateCmd?: GenericMessageAttributes[];
  /** HwPositionWithDuration features. */
  LinearCmd?: GenericMessageAttributes[];
  /** Readable batteries. */
  SensorReadCmd?: SensorMessageAttributes[];
  /** Never emitted. */
  SensorSubscribeCmd?: SensorMessageAttributes[];
  /** Always present. */
  StopDeviceCmd?: v2.NullMessageAttributes;
  /** Never emitted. */
  RawReadCmd?: v2.RawMessageAttributes;
  /** Never emitted. */
  RawWriteCmd?: v2.RawMessageAttributes;
  /** Never emitted. */
  RawSubscribeCmd?: v2.RawMessageAttributes;
}

/** One device of a v3 `DeviceList` / `DeviceAdded`. */
export interface DeviceInfo {
  /** Server-assigned index. */
  DeviceIndex: number;
  /** Name from the device configuration. */
  DeviceName: string;
  /** User-assigned name; omitted when unset. */
  DeviceDisplayName?: string;
  /** Minimum gap between commands in ms. */
  DeviceMessageTimingGap: number;
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

/** Every client → server message of spec v3. */
export type ClientMessage =
  | Exclude<
    v2.ClientMessage,
    { BatteryLevelCmd: v2.BatteryLevelCmd } | { RSSILevelCmd: v2.RSSILevelCmd }
  >
  | { ScalarCmd: ScalarCmd }
  | { SensorReadCmd: SensorReadCmd }
  | { SensorSubscribeCmd: SensorSubscribeCmd }
  | { SensorUnsubscribeCmd: SensorUnsubscribeCmd };

/** Every server → client message of spec v3. */
export type ServerMessage =
  | { Ok: v2.Ok }
  | { Error: v2.ErrorMessage }
  | { ServerInfo: v2.ServerInfo }
  | { ScanningFinished: v2.ScanningFinished }
  | { DeviceList: DeviceList }
  | { DeviceAdded: DeviceAdded }
  | { DeviceRemoved: v2.DeviceRemoved }
  | { SensorReading: SensorReading }
  | { RawReading: v2.RawReading };
