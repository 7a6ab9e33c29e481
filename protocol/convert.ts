/**
 * Translation between the native v4 model and spec v0..v3 (PROTOCOL.md §2.4, §7):
 * outgoing messages in each version's shape, validation of v4 device commands against a
 * device's features, and old device commands → v4 output operations with the exact rounding
 * rules.
 *
 * Pure functions, no I/O.
 *
 * @module
 */
import { ButtplugDeviceError, type ButtplugError } from "./errors.ts";
import type {
  DeviceInfo,
  InputCommandType,
  InputType,
  OutputType,
  OutputValue,
  RawMessage,
  SpecVersion,
} from "./messages.ts";
import { SPEC_VERSION_MAJOR, SPEC_VERSION_MINOR } from "./messages.ts";
import type { DeviceViews, LegacyActuator, LegacySensor } from "./device_views.ts";
import type { ClientMessageBodies } from "./parse.ts";
import { isUnitInterval, scaleLinear, scalePosition, scaleSpeed } from "./scaling.ts";
import type * as v3 from "./v3.ts";

// ---------------------------------------------------------------------------------------------
// Outgoing messages
// ---------------------------------------------------------------------------------------------

/** `Ok` reply. */
export function okMessage(id: number): RawMessage {
  return { Ok: { Id: id } };
}

/** `Error` reply or event (same shape in every version). */
export function errorMessage(id: number, code: number, message: string): RawMessage {
  return { Error: { Id: id, ErrorCode: code, ErrorMessage: message } };
}

/**
 * `ServerInfo` in the shape of the client's spec version (PROTOCOL.md §2.4): v0/v1 carry
 * Major/Minor/BuildVersion 0 and echo the client's version; v2/v3 echo it without them; v4
 * reports the server's own major and minor.
 *
 * @example
 * ```ts
 * import { serverInfoMessage } from "./convert.ts";
 * const msg = serverInfoMessage(3, 1, "test", 0);
 * console.assert(JSON.stringify(msg) ===
 *   '{"ServerInfo":{"Id":1,"MessageVersion":3,"MaxPingTime":0,"ServerName":"test"}}');
 * ```
 */
export function serverInfoMessage(
  version: SpecVersion,
  id: number,
  serverName: string,
  maxPingTime: number,
): RawMessage {
  if (version >= 4) {
    return {
      ServerInfo: {
        Id: id,
        ProtocolVersionMajor: SPEC_VERSION_MAJOR,
        ProtocolVersionMinor: SPEC_VERSION_MINOR,
        MaxPingTime: maxPingTime,
        ServerName: serverName,
      },
    };
  }
  if (version >= 2) {
    return {
      ServerInfo: {
        Id: id,
        MessageVersion: version,
        MaxPingTime: maxPingTime,
        ServerName: serverName,
      },
    };
  }
  return {
    ServerInfo: {
      Id: id,
      MajorVersion: 0,
      MinorVersion: 0,
      BuildVersion: 0,
      MessageVersion: version,
      MaxPingTime: maxPingTime,
      ServerName: serverName,
    },
  };
}

/**
 * The `Devices` value of a DeviceList for spec `version`: an object keyed by decimal index (v4)
 * or an array sorted by index (v0..v3). `devices` must be sorted by index.
 */
export function devicesPayload(
  version: SpecVersion,
  devices: Iterable<DeviceViews>,
): Record<string, DeviceInfo> | unknown[] {
  if (version >= 4) {
    const map: Record<string, DeviceInfo> = {};
    for (const d of devices) map[String(d.index)] = d.info;
    return map;
  }
  const list: unknown[] = [];
  for (const d of devices) list.push(d.view(version));
  return list;
}

/** `DeviceList` reply (`id` = request) or v4 event (`id` 0) around a {@linkcode devicesPayload}. */
export function deviceListMessage(id: number, devices: unknown): RawMessage {
  return { DeviceList: { Id: id, Devices: devices } };
}

/** v0..v3 `DeviceAdded` event: `Id` 0 followed by the device entry of that version. */
export function deviceAddedMessage(version: 0 | 1 | 2 | 3, device: DeviceViews): RawMessage {
  return { DeviceAdded: { Id: 0, ...device.view(version) } };
}

/** v0..v3 `DeviceRemoved` event. */
export function deviceRemovedMessage(deviceIndex: number): RawMessage {
  return { DeviceRemoved: { Id: 0, DeviceIndex: deviceIndex } };
}

/** `ScanningFinished` event. */
export function scanningFinishedMessage(): RawMessage {
  return { ScanningFinished: { Id: 0 } };
}

/** v4 `InputReading`: reply to a Read (`id` = request) or subscription data (`id` 0). */
export function inputReadingMessage(
  id: number,
  deviceIndex: number,
  featureIndex: number,
  type: InputType,
  value: number,
): RawMessage {
  return {
    InputReading: {
      Id: id,
      DeviceIndex: deviceIndex,
      FeatureIndex: featureIndex,
      Reading: { [type]: { Value: value } },
    },
  };
}

/** v3 `SensorReading` (reply to SensorReadCmd): `Data` holds the one value. */
export function sensorReadingMessage(
  id: number,
  deviceIndex: number,
  sensorIndex: number,
  sensorType: v3.SensorType,
  value: number,
): RawMessage {
  return {
    SensorReading: {
      Id: id,
      DeviceIndex: deviceIndex,
      SensorIndex: sensorIndex,
      SensorType: sensorType,
      Data: [value],
    },
  };
}

/** v2 `BatteryLevelReading`: percent / 100. */
export function batteryLevelReadingMessage(
  id: number,
  deviceIndex: number,
  percent: number,
): RawMessage {
  return { BatteryLevelReading: { Id: id, DeviceIndex: deviceIndex, BatteryLevel: percent / 100 } };
}

/** v0/v1 `Test` echo. */
export function testMessage(id: number, testString: string): RawMessage {
  return { Test: { Id: id, TestString: testString } };
}

// ---------------------------------------------------------------------------------------------
// Validation of device commands
// ---------------------------------------------------------------------------------------------

/** ERROR_DEVICE for a device index that is not connected. */
export function deviceNotAvailable(deviceIndex: number, id: number): ButtplugDeviceError {
  return new ButtplugDeviceError(
    `DeviceNotAvailable: no device is connected at index ${deviceIndex}`,
    id,
  );
}

/**
 * Checks a v4 output command against the device's advertised features (PROTOCOL.md §5.9):
 * feature exists, has outputs, has that output type, `Value` inside its range, and for
 * `HwPositionWithDuration` the `Duration` inside its range. Returns the ERROR_DEVICE to send, or
 * null when the command is valid.
 *
 * @example
 * ```ts
 * import { checkOutput } from "./convert.ts";
 * import { DeviceViews } from "./device_views.ts";
 * const views = new DeviceViews(0, {
 *   name: "Toy",
 *   messageTimingGap: 0,
 *   features: [{ FeatureIndex: 0, FeatureDescription: "", Output: { Vibrate: { Value: [0, 20] } } }],
 * });
 * console.assert(checkOutput(views, 0, "Vibrate", { Value: 20 }, 1) === null);
 * console.assert(checkOutput(views, 0, "Vibrate", { Value: 21 }, 1)?.code === 4);
 * ```
 */
export function checkOutput(
  views: DeviceViews,
  featureIndex: number,
  type: OutputType,
  value: OutputValue,
  id: number,
): ButtplugDeviceError | null {
  const feature = views.features.get(featureIndex);
  if (feature === undefined) {
    return new ButtplugDeviceError(
      `DeviceFeatureIndexError: device ${views.index} has no feature ${featureIndex}`,
      id,
    );
  }
  const outputs = feature.Output;
  if (outputs === undefined) {
    return new ButtplugDeviceError(
      `MessageNotSupported: feature ${featureIndex} of device ${views.index} has no outputs`,
      id,
    );
  }
  const props = outputs[type];
  if (props === undefined) {
    return new ButtplugDeviceError(
      `DeviceStepRangeError: feature ${featureIndex} of device ${views.index} has no ${type} output (it has ${
        Object.keys(outputs).join(", ")
      })`,
      id,
    );
  }
  const v = value.Value;
  const r = props.Value;
  if (v < r[0] || v > r[1]) {
    return new ButtplugDeviceError(
      `DeviceStepRangeError: ${type} value ${v} is outside ${r[0]}..${
        r[1]
      } on feature ${featureIndex} of device ${views.index}`,
      id,
    );
  }
  if (type === "HwPositionWithDuration" && props.Duration !== undefined) {
    const d = value.Duration ?? 0;
    const dr = props.Duration;
    if (d < dr[0] || d > dr[1]) {
      return new ButtplugDeviceError(
        `DeviceStepRangeError: Duration ${d} ms is outside ${dr[0]}..${
          dr[1]
        } on feature ${featureIndex} of device ${views.index}`,
        id,
      );
    }
  }
  return null;
}

/**
 * Checks a v4 input command against the device's features (PROTOCOL.md §5.9): feature exists,
 * has that input type, and the command is offered (`Unsubscribe` exactly when `Subscribe` is).
 * Returns the ERROR_DEVICE to send, or null.
 */
export function checkInput(
  views: DeviceViews,
  featureIndex: number,
  type: InputType,
  command: InputCommandType,
  id: number,
): ButtplugDeviceError | null {
  const feature = views.features.get(featureIndex);
  if (feature === undefined) {
    return new ButtplugDeviceError(
      `DeviceFeatureIndexError: device ${views.index} has no feature ${featureIndex}`,
      id,
    );
  }
  const props = feature.Input?.[type];
  if (props === undefined) {
    return new ButtplugDeviceError(
      `MessageNotSupported: feature ${featureIndex} of device ${views.index} has no ${type} input`,
      id,
    );
  }
  const needed = command === "Unsubscribe" ? "Subscribe" : command;
  if (!props.Command.includes(needed)) {
    return new ButtplugDeviceError(
      `MessageNotSupported: the ${type} input of feature ${featureIndex} does not offer ${command} (it offers ${
        props.Command.join(", ")
      })`,
      id,
    );
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Old device commands → v4 operations
// ---------------------------------------------------------------------------------------------

/** One v4 output operation produced by translating an old command. */
export interface OutputOperation {
  /** Target feature. */
  readonly featureIndex: number;
  /** Output type on that feature. */
  readonly type: OutputType;
  /** Step value (and duration). */
  readonly value: OutputValue;
}

/** Old output commands {@linkcode translateLegacyOutput} handles. */
export type LegacyOutputCommand =
  | {
    readonly name: "SingleMotorVibrateCmd";
    readonly body: ClientMessageBodies["SingleMotorVibrateCmd"];
  }
  | { readonly name: "VibrateCmd"; readonly body: ClientMessageBodies["VibrateCmd"] }
  | { readonly name: "RotateCmd"; readonly body: ClientMessageBodies["RotateCmd"] }
  | { readonly name: "LinearCmd"; readonly body: ClientMessageBodies["LinearCmd"] }
  | { readonly name: "ScalarCmd"; readonly body: ClientMessageBodies["ScalarCmd"] };

const byFeature = (a: OutputOperation, b: OutputOperation): number =>
  a.featureIndex - b.featureIndex;

/**
 * Translates an old output command into v4 operations on `views`' device, using the device as
 * that client version sees it (PROTOCOL.md §7.3). Every subcommand is translated and checked
 * before anything runs: one bad subcommand fails the whole message (all-or-nothing). The
 * operations come sorted by feature index (stable, so a repeated index keeps request order).
 *
 * @example
 * ```ts
 * import { translateLegacyOutput } from "./convert.ts";
 * import { DeviceViews } from "./device_views.ts";
 * const views = new DeviceViews(0, {
 *   name: "Toy",
 *   messageTimingGap: 0,
 *   features: [
 *     { FeatureIndex: 0, FeatureDescription: "", Output: { Vibrate: { Value: [0, 20] } } },
 *     { FeatureIndex: 1, FeatureDescription: "", Output: { Vibrate: { Value: [0, 10] } } },
 *   ],
 * });
 * const ops = translateLegacyOutput(
 *   { name: "SingleMotorVibrateCmd", body: { Id: 1, DeviceIndex: 0, Speed: 0.25 } },
 *   views,
 * );
 * console.assert(Array.isArray(ops) && ops[0].value.Value === 5 && ops[1].value.Value === 3);
 * ```
 */
export function translateLegacyOutput(
  command: LegacyOutputCommand,
  views: DeviceViews,
): OutputOperation[] | ButtplugError {
  const id = command.body.Id;
  const legacy = views.legacy;
  let ops: OutputOperation[];
  switch (command.name) {
    case "SingleMotorVibrateCmd": {
      const speed = command.body.Speed;
      if (legacy.vibrate.length === 0) {
        return new ButtplugDeviceError(
          `DeviceFeatureMismatch: device ${views.index} has no vibrators`,
          id,
        );
      }
      if (!isUnitInterval(speed)) return unitError(speed, id);
      ops = legacy.vibrate.map((a) => output(a, scaleSpeed(speed, a.stepCount)));
      break;
    }
    case "VibrateCmd": {
      const list = legacy.vibrate;
      const speeds = command.body.Speeds;
      if (list.length === 0) {
        return new ButtplugDeviceError(
          `DeviceFeatureCountMismatch(0, ${speeds.length}): device ${views.index} has no vibrators`,
          id,
        );
      }
      ops = [];
      for (const s of speeds) {
        const a = list[s.Index];
        if (a === undefined) return indexError("vibrator", s.Index, list.length, views, id);
        if (!isUnitInterval(s.Speed)) return unitError(s.Speed, id);
        ops.push(output(a, scaleSpeed(s.Speed, a.stepCount)));
      }
      break;
    }
    case "RotateCmd": {
      const list = legacy.rotate;
      if (list.length === 0) {
        return new ButtplugDeviceError(
          `MessageNotSupported: device ${views.index} has no bidirectional rotator (RotateCmd)`,
          id,
        );
      }
      ops = [];
      for (const r of command.body.Rotations) {
        const a = list[r.Index];
        if (a === undefined) return indexError("rotator", r.Index, list.length, views, id);
        if (!isUnitInterval(r.Speed)) return unitError(r.Speed, id);
        const steps = scaleSpeed(r.Speed, a.stepCount);
        ops.push(output(a, r.Clockwise || steps === 0 ? steps : -steps));
      }
      break;
    }
    case "LinearCmd": {
      const list = legacy.linear;
      if (list.length === 0) {
        return new ButtplugDeviceError(
          `DeviceFeatureMismatch: device ${views.index} has no linear actuator (LinearCmd)`,
          id,
        );
      }
      ops = [];
      for (const v of command.body.Vectors) {
        const a = list[v.Index];
        if (a === undefined) return indexError("linear actuator", v.Index, list.length, views, id);
        if (!isUnitInterval(v.Position)) return unitError(v.Position, id);
        ops.push({
          featureIndex: a.featureIndex,
          type: "HwPositionWithDuration",
          value: { Value: scaleLinear(v.Position, a.stepCount), Duration: v.Duration },
        });
      }
      break;
    }
    case "ScalarCmd": {
      const list = legacy.scalar;
      if (list.length === 0) {
        return new ButtplugDeviceError(
          `MessageNotSupported: device ${views.index} has no scalar outputs (ScalarCmd)`,
          id,
        );
      }
      ops = [];
      for (const s of command.body.Scalars) {
        const a = list[s.Index];
        if (a === undefined) return indexError("ScalarCmd entry", s.Index, list.length, views, id);
        const type = s.ActuatorType;
        const props = type === "HwPositionWithDuration"
          ? undefined
          : views.features.get(a.featureIndex)?.Output?.[type];
        if (props === undefined) {
          return new ButtplugDeviceError(
            `MessageNotSupported: ScalarCmd entry ${s.Index} (feature ${a.featureIndex}) cannot be driven as ${type}`,
            id,
          );
        }
        if (!isUnitInterval(s.Scalar)) {
          return new ButtplugDeviceError(
            `MessageNotSupported: Scalar ${s.Scalar} is outside 0.0..1.0`,
            id,
          );
        }
        const max = props.Value[1];
        const steps = type === "Position"
          ? scalePosition(s.Scalar, max)
          : scaleSpeed(s.Scalar, max);
        ops.push({ featureIndex: a.featureIndex, type, value: { Value: steps } });
      }
      break;
    }
  }
  for (const op of ops) {
    const problem = checkOutput(views, op.featureIndex, op.type, op.value, id);
    if (problem !== null) return problem;
  }
  return ops.length > 1 ? ops.sort(byFeature) : ops;
}

function output(a: LegacyActuator, steps: number): OutputOperation {
  return { featureIndex: a.featureIndex, type: a.type, value: { Value: steps } };
}

function indexError(
  what: string,
  index: number,
  count: number,
  views: DeviceViews,
  id: number,
): ButtplugDeviceError {
  return new ButtplugDeviceError(
    `DeviceFeatureIndexError(${count}, ${index}): device ${views.index} has ${count} ${what}(s), index ${index} does not exist`,
    id,
  );
}

function unitError(value: number, id: number): ButtplugDeviceError {
  return new ButtplugDeviceError(`value ${value} is outside 0.0..1.0`, id);
}

/**
 * The battery a v2 BatteryLevelCmd reads: the first readable Battery input (PROTOCOL.md §7.3),
 * or the ERROR_DEVICE to send.
 */
export function resolveBattery(views: DeviceViews, id: number): LegacySensor | ButtplugError {
  const sensor = views.legacy.sensorRead.find((s) => s.type === "Battery");
  return sensor ?? new ButtplugDeviceError(
    `MessageNotSupported: device ${views.index} has no readable battery (BatteryLevelCmd)`,
    id,
  );
}

/**
 * The sensor a v3 SensorReadCmd reads: entry `SensorIndex` of the SensorReadCmd list, which must
 * be of the requested type (only Battery is ever offered), or the ERROR_DEVICE to send.
 */
export function resolveSensorRead(
  views: DeviceViews,
  body: ClientMessageBodies["SensorReadCmd"],
): LegacySensor | ButtplugError {
  const list = views.legacy.sensorRead;
  if (body.SensorType !== "Battery") {
    return new ButtplugDeviceError(
      `MessageNotSupported: ${body.SensorType} sensors are not available to spec v3 clients`,
      body.Id,
    );
  }
  const sensor = list[body.SensorIndex];
  if (sensor === undefined) {
    return indexError("readable sensor", body.SensorIndex, list.length, views, body.Id);
  }
  return sensor;
}
