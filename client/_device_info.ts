/**
 * Reading `DeviceList` entries from a server defensively: unknown fields and unknown
 * Output/Input types are dropped (forward compatibility, spec §2.7), malformed parts are
 * skipped, and the result is a frozen, normalized {@linkcode DeviceInfo}.
 *
 * @module
 */
import { ButtplugMessageError } from "../protocol/errors.ts";
import {
  type DeviceFeature,
  type DeviceInfo,
  INPUT_TYPES,
  type InputCommandType,
  type InputProperties,
  type InputType,
  OUTPUT_TYPES,
  type OutputProperties,
  type OutputType,
  type Range,
} from "../protocol/messages.ts";

const INPUT_COMMANDS: readonly InputCommandType[] = ["Read", "Subscribe", "Unsubscribe"];

/** A normalized device entry and a string that changes whenever anything in it changes. */
export interface ParsedDeviceInfo {
  /** The normalized, frozen entry. */
  readonly info: DeviceInfo;
  /** Canonical JSON of `info`, to tell whether an index now holds a different device. */
  readonly signature: string;
}

/** Whether `value` is a non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isUint(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 &&
    value <= 0xFFFF_FFFF;
}

function indexFromKey(key: string): number | undefined {
  return /^(0|[1-9][0-9]*)$/.test(key) && isUint(Number(key)) ? Number(key) : undefined;
}

function parseRange(value: unknown): Range | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [min, max] = value;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min > max) return undefined;
  return Object.freeze([min, max] as const);
}

function parseOutput(raw: unknown): OutputProperties | undefined {
  if (!isRecord(raw)) return undefined;
  const value = parseRange(raw.Value);
  if (!value) return undefined;
  const duration = parseRange(raw.Duration);
  return Object.freeze(duration ? { Value: value, Duration: duration } : { Value: value });
}

function parseInput(raw: unknown): InputProperties | undefined {
  if (!isRecord(raw) || !Array.isArray(raw.Value) || !Array.isArray(raw.Command)) {
    return undefined;
  }
  // The nested form `[[0,100]]` is the spec; a flat pair `[0,100]` is tolerated.
  const rawRanges = raw.Value.length === 2 && raw.Value.every((v) => typeof v === "number")
    ? [raw.Value]
    : raw.Value;
  const ranges: Range[] = [];
  for (const r of rawRanges) {
    const range = parseRange(r);
    if (range) ranges.push(range);
  }
  const commands = INPUT_COMMANDS.filter((c) => (raw.Command as unknown[]).includes(c));
  return Object.freeze({ Value: Object.freeze(ranges), Command: Object.freeze(commands) });
}

function parseFeature(key: string, raw: unknown): DeviceFeature | undefined {
  if (!isRecord(raw)) return undefined;
  const index = isUint(raw.FeatureIndex) ? raw.FeatureIndex : indexFromKey(key);
  if (index === undefined) return undefined;
  const outputs: Partial<Record<OutputType, OutputProperties>> = {};
  if (isRecord(raw.Output)) {
    for (const type of OUTPUT_TYPES) {
      const props = parseOutput(raw.Output[type]);
      if (props) outputs[type] = props;
    }
  }
  const inputs: Partial<Record<InputType, InputProperties>> = {};
  if (isRecord(raw.Input)) {
    for (const type of INPUT_TYPES) {
      // The docs and the npm client spell Rssi as RSSI; accept both.
      const props = parseInput(raw.Input[type] ?? (type === "Rssi" ? raw.Input.RSSI : undefined));
      if (props) inputs[type] = props;
    }
  }
  const feature: {
    FeatureIndex: number;
    FeatureDescription: string;
    Output?: Readonly<Partial<Record<OutputType, OutputProperties>>>;
    Input?: Readonly<Partial<Record<InputType, InputProperties>>>;
  } = {
    FeatureIndex: index,
    FeatureDescription: typeof raw.FeatureDescription === "string" ? raw.FeatureDescription : "",
  };
  if (Object.keys(outputs).length > 0) feature.Output = Object.freeze(outputs);
  if (Object.keys(inputs).length > 0) feature.Input = Object.freeze(inputs);
  return Object.freeze(feature);
}

/**
 * Normalizes one `DeviceList.Devices` entry (`key` is its map key). Throws a
 * {@linkcode ButtplugMessageError} when the entry has no usable device index.
 */
export function parseDeviceInfo(key: string, raw: unknown): ParsedDeviceInfo {
  if (!isRecord(raw)) {
    throw new ButtplugMessageError(`device list entry "${key}" from server is not an object`);
  }
  const index = isUint(raw.DeviceIndex) ? raw.DeviceIndex : indexFromKey(key);
  if (index === undefined) {
    throw new ButtplugMessageError(`device list entry "${key}" from server has no DeviceIndex`);
  }
  const features: Record<string, DeviceFeature> = {};
  if (isRecord(raw.DeviceFeatures)) {
    for (const [featureKey, value] of Object.entries(raw.DeviceFeatures)) {
      const feature = parseFeature(featureKey, value);
      if (feature) features[String(feature.FeatureIndex)] = feature;
    }
  }
  const info: {
    DeviceIndex: number;
    DeviceName: string;
    DeviceDisplayName?: string;
    DeviceMessageTimingGap: number;
    DeviceFeatures: Readonly<Record<string, DeviceFeature>>;
  } = {
    DeviceIndex: index,
    DeviceName: typeof raw.DeviceName === "string" ? raw.DeviceName : "",
    DeviceMessageTimingGap: isUint(raw.DeviceMessageTimingGap) ? raw.DeviceMessageTimingGap : 0,
    DeviceFeatures: Object.freeze(features),
  };
  if (typeof raw.DeviceDisplayName === "string" && raw.DeviceDisplayName !== "") {
    info.DeviceDisplayName = raw.DeviceDisplayName;
  }
  Object.freeze(info);
  return { info, signature: JSON.stringify(info) };
}
