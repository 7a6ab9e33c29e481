/**
 * Device descriptions per spec version (PROTOCOL.md §6): the v4 `DeviceInfo` built from a
 * device's features, and the v3/v2/v1/v0 shapes derived from it, with the exact key order the
 * reference emits. Also the index tables old commands use to find their target features
 * (v3 `ScalarCmd`/`RotateCmd`/`LinearCmd`/`SensorReadCmd` arrays, v1/v2 vibrators).
 *
 * Everything returned is deep-frozen, so views can be cached and shared by every session.
 *
 * @module
 */
import {
  type DeviceFeature,
  type DeviceInfo,
  INPUT_TYPES,
  type InputProperties,
  type InputType,
  OUTPUT_TYPES,
  type OutputProperties,
  type OutputType,
  type Range,
  type SpecVersion,
} from "./messages.ts";
import type * as v0 from "./v0.ts";
import type * as v1 from "./v1.ts";
import type * as v2 from "./v2.ts";
import type * as v3 from "./v3.ts";

/** What a device description is built from (a `DeviceBackend` has these fields). */
export interface DeviceDescription {
  /** `DeviceName`. */
  readonly name: string;
  /** `DeviceDisplayName`, omitted when undefined. */
  readonly displayName?: string;
  /** `DeviceMessageTimingGap` in ms. */
  readonly messageTimingGap: number;
  /** v4 features. */
  readonly features: readonly DeviceFeature[];
}

/** One actuator as old clients address it. */
export interface LegacyActuator {
  /** The v4 feature it drives. */
  readonly featureIndex: number;
  /** The feature's description (`FeatureDescriptor`). */
  readonly description: string;
  /** The output type of this entry. */
  readonly type: OutputType;
  /** Steps advertised to old clients: the upper bound of the v4 `Value` range. */
  readonly stepCount: number;
}

/** One readable sensor as v2/v3 clients address it. */
export interface LegacySensor {
  /** The v4 feature holding the input. */
  readonly featureIndex: number;
  /** The feature's description. */
  readonly description: string;
  /** The v4 input type (only `Battery` is exposed to old clients). */
  readonly type: InputType;
  /** The input's `Value` ranges (`SensorRange`). */
  readonly range: readonly Range[];
}

/** Index spaces of old commands (PROTOCOL.md §6.3, §7.3). */
export interface LegacyIndex {
  /** v3 `ScalarCmd` entries: one per (feature, output type other than HwPositionWithDuration). */
  readonly scalar: readonly LegacyActuator[];
  /** v3 `RotateCmd` entries / v1–v2 `RotateCmd` indexes: bidirectional rotators only. */
  readonly rotate: readonly LegacyActuator[];
  /** v3 `LinearCmd` entries / v1–v2 `LinearCmd` indexes: HwPositionWithDuration features. */
  readonly linear: readonly LegacyActuator[];
  /** v1–v3 `VibrateCmd` indexes and SingleMotorVibrateCmd targets: the Vibrate scalar entries. */
  readonly vibrate: readonly LegacyActuator[];
  /** v3 `SensorReadCmd` entries / v2 battery: readable Battery inputs. */
  readonly sensorRead: readonly LegacySensor[];
}

/** Device description type of each spec version. */
export interface DeviceInfoByVersion {
  /** v0: `DeviceMessages` is an array of names. */
  0: v0.DeviceInfo;
  /** v1: `FeatureCount` per generic command. */
  1: v1.DeviceInfo;
  /** v2: `FeatureCount` and `StepCount`. */
  2: v2.DeviceInfo;
  /** v3: per-feature attribute arrays. */
  3: v3.DeviceInfo;
  /** v4: the native `DeviceFeatures` map. */
  4: DeviceInfo;
}

/** Order of several scalar types on one feature in the v3 ScalarCmd list (PROTOCOL.md §6.3). */
const SCALAR_ORDER: readonly OutputType[] = [
  "Constrict",
  "Temperature",
  "Led",
  "Oscillate",
  "Position",
  "Rotate",
  "Spray",
  "Vibrate",
];

const KNOWN_OUTPUTS: ReadonlySet<string> = new Set(OUTPUT_TYPES);
const KNOWN_INPUTS: ReadonlySet<string> = new Set(INPUT_TYPES);

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

function range(r: Range): [number, number] {
  return [r[0], r[1]];
}

function copyFeature(feature: DeviceFeature): DeviceFeature | undefined {
  let output: Partial<Record<OutputType, OutputProperties>> | undefined;
  for (const key in feature.Output ?? {}) {
    const props = feature.Output![key as OutputType];
    if (!KNOWN_OUTPUTS.has(key) || !props) continue;
    const copy: { Value: Range; Duration?: Range } = { Value: range(props.Value) };
    if (key === "HwPositionWithDuration" && props.Duration) copy.Duration = range(props.Duration);
    (output ??= {})[key as OutputType] = copy;
  }
  let input: Partial<Record<InputType, InputProperties>> | undefined;
  for (const key in feature.Input ?? {}) {
    const props = feature.Input![key as InputType];
    if (!KNOWN_INPUTS.has(key) || !props) continue;
    (input ??= {})[key as InputType] = {
      Value: props.Value.map(range),
      Command: [...props.Command],
    };
  }
  if (!output && !input) return undefined;
  const copy: {
    FeatureIndex: number;
    FeatureDescription: string;
    Output?: DeviceFeature["Output"];
    Input?: DeviceFeature["Input"];
  } = { FeatureIndex: feature.FeatureIndex, FeatureDescription: feature.FeatureDescription };
  if (output) copy.Output = output;
  if (input) copy.Input = input;
  return copy;
}

/**
 * Builds the v4 device entry (PROTOCOL.md §6.1): keys `DeviceIndex`, `DeviceName`,
 * `DeviceDisplayName` (only when set), `DeviceMessageTimingGap`, `DeviceFeatures`; features in
 * ascending index, those with neither Output nor Input omitted, unknown output/input types
 * dropped. The result is deep-frozen.
 *
 * @example
 * ```ts
 * import { buildDeviceInfo } from "./device_views.ts";
 * const info = buildDeviceInfo(3, {
 *   name: "Toy",
 *   messageTimingGap: 100,
 *   features: [{ FeatureIndex: 0, FeatureDescription: "", Output: { Vibrate: { Value: [0, 20] } } }],
 * });
 * console.assert(info.DeviceFeatures["0"].Output?.Vibrate?.Value[1] === 20);
 * ```
 */
export function buildDeviceInfo(index: number, device: DeviceDescription): DeviceInfo {
  const features: Record<string, DeviceFeature> = {};
  const sorted = [...device.features].sort((a, b) => a.FeatureIndex - b.FeatureIndex);
  for (const feature of sorted) {
    const copy = copyFeature(feature);
    if (copy) features[String(feature.FeatureIndex)] = copy;
  }
  const info: DeviceInfo = device.displayName !== undefined
    ? {
      DeviceIndex: index,
      DeviceName: device.name,
      DeviceDisplayName: device.displayName,
      DeviceMessageTimingGap: device.messageTimingGap,
      DeviceFeatures: features,
    }
    : {
      DeviceIndex: index,
      DeviceName: device.name,
      DeviceMessageTimingGap: device.messageTimingGap,
      DeviceFeatures: features,
    };
  return deepFreeze(info);
}

/**
 * Derives the index spaces old clients use from a v4 device entry (PROTOCOL.md §6.3). Entries
 * whose step count would be below 1 are left out (the schema cannot express them).
 */
export function buildLegacyIndex(info: DeviceInfo): LegacyIndex {
  const scalar: LegacyActuator[] = [];
  const rotate: LegacyActuator[] = [];
  const linear: LegacyActuator[] = [];
  const sensorRead: LegacySensor[] = [];
  for (const key in info.DeviceFeatures) {
    const feature = info.DeviceFeatures[key];
    const description = feature.FeatureDescription;
    const featureIndex = feature.FeatureIndex;
    const outputs = feature.Output;
    if (outputs) {
      for (const type of SCALAR_ORDER) {
        const props = outputs[type];
        if (props && props.Value[1] >= 1) {
          scalar.push({ featureIndex, description, type, stepCount: props.Value[1] });
        }
      }
      const rot = outputs.Rotate;
      if (rot && rot.Value[0] < 0 && rot.Value[1] >= 1) {
        rotate.push({ featureIndex, description, type: "Rotate", stepCount: rot.Value[1] });
      }
      const hw = outputs.HwPositionWithDuration;
      if (hw && hw.Value[1] >= 1) {
        linear.push({
          featureIndex,
          description,
          type: "HwPositionWithDuration",
          stepCount: hw.Value[1],
        });
      }
    }
    const battery = feature.Input?.Battery;
    if (battery && battery.Command.includes("Read")) {
      sensorRead.push({ featureIndex, description, type: "Battery", range: battery.Value });
    }
  }
  // Feature keys of DeviceFeatures are canonical decimal strings, so for-in visits them in
  // ascending numeric order already.
  return deepFreeze({
    scalar,
    rotate,
    linear,
    vibrate: scalar.filter((a) => a.type === "Vibrate"),
    sensorRead,
  });
}

/** v3 device entry (PROTOCOL.md §6.3). */
export function deviceInfoV3(info: DeviceInfo, legacy: LegacyIndex): v3.DeviceInfo {
  const messages: v3.DeviceMessages = {};
  if (legacy.scalar.length > 0) messages.ScalarCmd = legacy.scalar.map(actuatorV3);
  if (legacy.rotate.length > 0) messages.RotateCmd = legacy.rotate.map(actuatorV3);
  if (legacy.linear.length > 0) messages.LinearCmd = legacy.linear.map(actuatorV3);
  if (legacy.sensorRead.length > 0) {
    messages.SensorReadCmd = legacy.sensorRead.map((s) => ({
      FeatureDescriptor: s.description,
      SensorType: "Battery",
      SensorRange: s.range.map(range),
    }));
  }
  messages.StopDeviceCmd = {};
  return info.DeviceDisplayName !== undefined
    ? {
      DeviceIndex: info.DeviceIndex,
      DeviceName: info.DeviceName,
      DeviceDisplayName: info.DeviceDisplayName,
      DeviceMessageTimingGap: info.DeviceMessageTimingGap,
      DeviceMessages: messages,
    }
    : {
      DeviceIndex: info.DeviceIndex,
      DeviceName: info.DeviceName,
      DeviceMessageTimingGap: info.DeviceMessageTimingGap,
      DeviceMessages: messages,
    };
}

function actuatorV3(a: LegacyActuator): v3.GenericMessageAttributes {
  return {
    FeatureDescriptor: a.description,
    ActuatorType: a.type === "HwPositionWithDuration" ? "Position" : a.type,
    StepCount: a.stepCount,
  };
}

/** v2 device entry (PROTOCOL.md §6.4). */
export function deviceInfoV2(info: DeviceInfo, legacy: LegacyIndex): v2.DeviceInfo {
  const messages: v2.DeviceMessages = {};
  if (legacy.vibrate.length > 0) messages.VibrateCmd = genericV2(legacy.vibrate);
  if (legacy.rotate.length > 0) messages.RotateCmd = genericV2(legacy.rotate);
  if (legacy.linear.length > 0) messages.LinearCmd = genericV2(legacy.linear);
  if (legacy.sensorRead.some((s) => s.type === "Battery")) messages.BatteryLevelCmd = {};
  messages.StopDeviceCmd = {};
  return { DeviceIndex: info.DeviceIndex, DeviceName: info.DeviceName, DeviceMessages: messages };
}

function genericV2(list: readonly LegacyActuator[]): v2.GenericMessageAttributes {
  return { FeatureCount: list.length, StepCount: list.map((a) => a.stepCount) };
}

/** v1 device entry (PROTOCOL.md §6.5). */
export function deviceInfoV1(info: DeviceInfo, legacy: LegacyIndex): v1.DeviceInfo {
  const messages: v1.DeviceMessages = {};
  if (legacy.vibrate.length > 0) messages.VibrateCmd = { FeatureCount: legacy.vibrate.length };
  if (legacy.rotate.length > 0) messages.RotateCmd = { FeatureCount: legacy.rotate.length };
  if (legacy.linear.length > 0) messages.LinearCmd = { FeatureCount: legacy.linear.length };
  messages.StopDeviceCmd = {};
  if (legacy.vibrate.length > 0) messages.SingleMotorVibrateCmd = {};
  return { DeviceIndex: info.DeviceIndex, DeviceName: info.DeviceName, DeviceMessages: messages };
}

/** v0 device entry (PROTOCOL.md §6.6): message names sorted alphabetically. */
export function deviceInfoV0(info: DeviceInfo, legacy: LegacyIndex): v0.DeviceInfo {
  const names: v0.DeviceMessageName[] = legacy.vibrate.length > 0
    ? ["SingleMotorVibrateCmd", "StopDeviceCmd"]
    : ["StopDeviceCmd"];
  return { DeviceIndex: info.DeviceIndex, DeviceName: info.DeviceName, DeviceMessages: names };
}

/**
 * Everything the server needs about one connected device, computed once: the v4 entry, a
 * feature lookup, the old index spaces and (lazily) the entry in every spec version's shape.
 *
 * @example
 * ```ts
 * import { DeviceViews } from "./device_views.ts";
 * const views = new DeviceViews(0, {
 *   name: "Toy",
 *   messageTimingGap: 100,
 *   features: [
 *     { FeatureIndex: 0, FeatureDescription: "", Output: { Vibrate: { Value: [0, 20] } } },
 *   ],
 * });
 * console.assert(views.view(0).DeviceMessages.join() === "SingleMotorVibrateCmd,StopDeviceCmd");
 * console.assert(views.view(2).DeviceMessages.VibrateCmd?.StepCount[0] === 20);
 * ```
 */
export class DeviceViews {
  /** The device index. */
  readonly index: number;
  /** The v4 entry. */
  readonly info: DeviceInfo;
  /** Features by `FeatureIndex` (those advertised). */
  readonly features: ReadonlyMap<number, DeviceFeature>;
  /** Old index spaces. */
  readonly legacy: LegacyIndex;
  readonly #views: unknown[] = [];

  /** Builds the views of `device` at `index`. */
  constructor(index: number, device: DeviceDescription) {
    this.index = index;
    this.info = buildDeviceInfo(index, device);
    const features = new Map<number, DeviceFeature>();
    for (const key in this.info.DeviceFeatures) {
      const feature = this.info.DeviceFeatures[key];
      features.set(feature.FeatureIndex, feature);
    }
    this.features = features;
    this.legacy = buildLegacyIndex(this.info);
  }

  /** The device entry in the shape of spec `version` (cached, deep-frozen). */
  view<V extends SpecVersion>(version: V): DeviceInfoByVersion[V] {
    let view = this.#views[version];
    if (view === undefined) {
      switch (version) {
        case 0:
          view = deviceInfoV0(this.info, this.legacy);
          break;
        case 1:
          view = deviceInfoV1(this.info, this.legacy);
          break;
        case 2:
          view = deviceInfoV2(this.info, this.legacy);
          break;
        case 3:
          view = deviceInfoV3(this.info, this.legacy);
          break;
        default:
          view = this.info;
      }
      this.#views[version] = deepFreeze(view);
    }
    return view as DeviceInfoByVersion[V];
  }
}
