/**
 * The client-visible feature model of a configured device (DEVICES.md §1.4–§1.5): step ranges
 * advertised to v4 clients, and the mapping from client steps to device values handed to
 * protocol encoders.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../protocol/errors.ts";
import type {
  DeviceFeature,
  InputProperties,
  InputType,
  OutputProperties,
  OutputType,
} from "../../protocol/messages.ts";
import type { DeviceDefinition, FeatureDefinition, OutputDefinition } from "./protocol.ts";

/** Number of client steps of an output: `uhi - ulo` with a user range, else the base high end. */
export function stepCount(output: OutputDefinition): number {
  return output.userValue ? output.userValue[1] - output.userValue[0] : output.value[1];
}

/** Client step range: `[-n, n]` for bidirectional outputs (base low end < 0), else `[0, n]`. */
export function stepRange(output: OutputDefinition): [number, number] {
  const n = stepCount(output);
  return output.value[0] < 0 ? [-n, n] : [0, n];
}

/**
 * The v4 features a client sees for a definition: disabled output types are hidden, and
 * features left with neither outputs nor inputs are omitted (indexes are the config indexes,
 * so they need not be contiguous).
 *
 * @example
 * ```ts
 * import { clientFeatures } from "./features.ts";
 * const features = clientFeatures({
 *   name: "Demo", id: "x", protocol: "demo",
 *   features: [{ index: 0, id: "f0", description: "", output: {
 *     Vibrate: { value: [0, 20], userValue: [5, 15] } } }],
 * });
 * console.assert(features[0].Output?.Vibrate?.Value[1] === 10);
 * ```
 */
export function clientFeatures(definition: DeviceDefinition): DeviceFeature[] {
  const result: DeviceFeature[] = [];
  for (const feature of definition.features) {
    const output: Partial<Record<OutputType, OutputProperties>> = {};
    for (const [type, out] of outputEntries(feature)) {
      if (out.disabled) continue;
      const props: OutputProperties = type === "HwPositionWithDuration"
        ? { Value: stepRange(out), Duration: [0, (out.duration ?? [0, 100000])[1]] }
        : { Value: stepRange(out) };
      output[type] = props;
    }
    const input: Partial<Record<InputType, InputProperties>> = {};
    for (const [type, inp] of Object.entries(feature.input ?? {})) {
      if (!inp) continue;
      input[type as InputType] = {
        Value: inp.value.map((r) => [r[0], r[1]] as const),
        Command: [...inp.command],
      };
    }
    const hasOutput = Object.keys(output).length > 0;
    const hasInput = Object.keys(input).length > 0;
    if (!hasOutput && !hasInput) continue;
    result.push({
      FeatureIndex: feature.index,
      FeatureDescription: feature.description,
      ...(hasOutput ? { Output: output } : {}),
      ...(hasInput ? { Input: input } : {}),
    });
  }
  return result;
}

/** Output types of a feature with their definitions, in config order. */
export function outputEntries(feature: FeatureDefinition): [OutputType, OutputDefinition][] {
  return Object.entries(feature.output ?? {}).filter((e): e is [OutputType, OutputDefinition] =>
    e[1] !== undefined
  );
}

/**
 * Maps a client step value to the device value `s` given to the encoder (DEVICES.md §1.5).
 *
 * - value outputs: `0 → 0`, otherwise `sign(v) * (start + |v|)` with `start` the user range low
 *   end (or 0); out of range → error.
 * - `Position` and `HwPositionWithDuration`: `start + v`, or `end - v` when reversed.
 *   Deliberate deviation: upstream maps hw-position step 0 to device 0 even when reversed or
 *   user-limited (PROTOCOL.md §7.2 ⚠); we treat both position types alike so a user range
 *   and `reverse` always hold.
 *
 * @throws {ButtplugDeviceError} when `v` is not an integer inside the advertised step range.
 */
export function stepsToDeviceValue(type: OutputType, output: OutputDefinition, v: number): number {
  if (!Number.isInteger(v)) {
    throw new ButtplugDeviceError(`${type} value ${v} is not an integer step`);
  }
  const [lo, hi] = stepRange(output);
  if (v < lo || v > hi) {
    throw new ButtplugDeviceError(`${type} value ${v} is outside the step range [${lo}, ${hi}]`);
  }
  const range = output.userValue ?? [0, output.value[1]];
  if (type === "Position" || type === "HwPositionWithDuration") {
    return output.reverse ? range[1] - v : range[0] + v;
  }
  if (v === 0) return 0;
  const magnitude = range[0] + Math.abs(v);
  if (magnitude > range[1]) {
    throw new ButtplugDeviceError(`${type} value ${v} maps outside the device range`);
  }
  return Math.sign(v) * magnitude;
}
