/**
 * Internal: structural validation and parsing of device config v4 pieces shared by the base and
 * user config loaders (DEVICES.md §1). Hand-written checks, no JSON-schema engine: every failure
 * is a {@linkcode DeviceConfigError} naming the file, the JSON location and the reason.
 *
 * @module
 */
import { ButtplugError, ErrorCode } from "../../protocol/errors.ts";
import type { InputType, OutputType } from "../../protocol/messages.ts";
import type { CommunicationSpecifier, ManufacturerData } from "../../hardware/mod.ts";
import type {
  DeviceDefinition,
  FeatureDefinition,
  InputDefinition,
  OutputDefinition,
} from "./protocol.ts";

/**
 * A device config file (base or user) is invalid. `source` is the file path (or a label for
 * embedded data), `location` the JSON path inside it (`protocols.lovense.defaults.features[0]`).
 *
 * @example
 * ```ts
 * import { DeviceConfigError } from "./_config_parse.ts";
 * const err = new DeviceConfigError("user.json", "version.major", "must be 4, got 3");
 * console.assert(err.message === "user.json: version.major: must be 4, got 3");
 * ```
 */
export class DeviceConfigError extends ButtplugError {
  /** File path (or label) of the offending document. */
  readonly source: string;
  /** JSON path of the offending value ("" for the whole document). */
  readonly location: string;
  /** What is wrong. */
  readonly reason: string;

  /** Creates the error; the message is `source: location: reason`. */
  constructor(source: string, location: string, reason: string, options?: ErrorOptions) {
    super(
      ErrorCode.Unknown,
      `${source}: ${location ? `${location}: ` : ""}${reason}`,
      0,
      options,
    );
    this.source = source;
    this.location = location;
    this.reason = reason;
  }
}

/** Config (snake_case) output type names → v4 output types. */
export const OUTPUT_TYPE_BY_CONFIG_NAME: Readonly<Record<string, OutputType>> = {
  vibrate: "Vibrate",
  rotate: "Rotate",
  oscillate: "Oscillate",
  constrict: "Constrict",
  spray: "Spray",
  position: "Position",
  temperature: "Temperature",
  led: "Led",
  hw_position_with_duration: "HwPositionWithDuration",
};

/** Config input type names → v4 input types. */
export const INPUT_TYPE_BY_CONFIG_NAME: Readonly<Record<string, InputType>> = {
  battery: "Battery",
  rssi: "Rssi",
  pressure: "Pressure",
  button: "Button",
  depth: "Depth",
  position: "Position",
};

/** v4 output type → config name. */
export const CONFIG_NAME_BY_OUTPUT_TYPE: Readonly<Record<OutputType, string>> = Object
  .fromEntries(
    Object.entries(OUTPUT_TYPE_BY_CONFIG_NAME).map(([k, v]) => [v, k]),
  ) as Record<OutputType, string>;

const ENDPOINT_NAMES = new Set([
  "command",
  "firmware",
  "rx",
  "rxaccel",
  "rxblebattery",
  "rxblemodel",
  "rxpressure",
  "rxtouch",
  "tx",
  "txmode",
  "txshock",
  "txvibrate",
  "txvendorcontrol",
  "whitelist",
  ...Array.from({ length: 32 }, (_, i) => `generic${i}`),
]);

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Parsing state: the file label and collected warnings (unknown keys etc.). */
export class ParseScope {
  /** File path or label. */
  readonly source: string;
  /** Non-fatal findings (ignored keys, dropped entries). */
  readonly warnings: string[] = [];

  /** Creates a scope for one document. */
  constructor(source: string) {
    this.source = source;
  }

  /** Throws a {@linkcode DeviceConfigError} at `location`. */
  fail(location: string, reason: string): never {
    throw new DeviceConfigError(this.source, location, reason);
  }

  /** Records a warning at `location`. */
  warn(location: string, message: string): void {
    this.warnings.push(`${this.source}: ${location ? `${location}: ` : ""}${message}`);
  }

  /** Requires a plain object and warns about keys outside `known`. */
  object(value: unknown, location: string, known?: readonly string[]): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(location, `must be an object, got ${describe(value)}`);
    }
    const obj = value as Record<string, unknown>;
    if (known) {
      for (const key of Object.keys(obj)) {
        if (!known.includes(key)) this.warn(join(location, key), "unknown key ignored");
      }
    }
    return obj;
  }

  /** Requires an array. */
  array(value: unknown, location: string): unknown[] {
    if (!Array.isArray(value)) this.fail(location, `must be an array, got ${describe(value)}`);
    return value;
  }

  /** Requires a string. */
  string(value: unknown, location: string): string {
    if (typeof value !== "string") this.fail(location, `must be a string, got ${describe(value)}`);
    return value;
  }

  /** Requires an integer (optionally within `[min, max]`). */
  integer(value: unknown, location: string, min?: number, max?: number): number {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      this.fail(location, `must be an integer, got ${describe(value)}`);
    }
    if (min !== undefined && value < min) this.fail(location, `must be >= ${min}, got ${value}`);
    if (max !== undefined && value > max) this.fail(location, `must be <= ${max}, got ${value}`);
    return value;
  }

  /** Requires a boolean. */
  boolean(value: unknown, location: string): boolean {
    if (typeof value !== "boolean") {
      this.fail(location, `must be true or false, got ${describe(value)}`);
    }
    return value;
  }

  /** Requires a UUID string (normalised to lowercase). */
  uuid(value: unknown, location: string): string {
    const s = this.string(value, location).toLowerCase();
    if (!UUID_RE.test(s)) this.fail(location, `must be a UUID, got ${JSON.stringify(value)}`);
    return s;
  }

  /** Requires `[lo, hi]` integers with lo <= hi. */
  range(value: unknown, location: string): [number, number] {
    const arr = this.array(value, location);
    if (arr.length !== 2) this.fail(location, `must be [low, high], got ${arr.length} values`);
    const lo = this.integer(arr[0], `${location}[0]`);
    const hi = this.integer(arr[1], `${location}[1]`);
    if (lo > hi) this.fail(location, `low end ${lo} is above high end ${hi}`);
    return [lo, hi];
  }

  /** Requires an array of strings. */
  strings(value: unknown, location: string, minItems = 0): string[] {
    const arr = this.array(value, location);
    if (arr.length < minItems) this.fail(location, `must have at least ${minItems} entries`);
    return arr.map((v, i) => this.string(v, `${location}[${i}]`));
  }
}

/** Joins a JSON path and a key. */
export function join(location: string, key: string | number): string {
  if (typeof key === "number") return `${location}[${key}]`;
  const part = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return location ? `${location}.${part}` : part;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  }
  return `${typeof value} ${String(value)}`;
}

/** Parses `version: {major, minor}` and checks the major version. */
export function parseVersion(
  scope: ParseScope,
  root: Record<string, unknown>,
  skipVersionCheck: boolean,
): { major: number; minor: number } {
  if (!("version" in root)) scope.fail("version", "is required");
  const v = scope.object(root.version, "version", ["major", "minor"]);
  const major = scope.integer(v.major, "version.major", 1);
  const minor = v.minor === undefined ? 0 : scope.integer(v.minor, "version.minor", 0);
  if (!skipVersionCheck && major !== 4) {
    scope.fail("version.major", `must be 4 (device config v4), got ${major}`);
  }
  return { major, minor };
}

/** Parses one `communication` element (exactly one key). */
export function parseSpecifier(
  scope: ParseScope,
  value: unknown,
  location: string,
): CommunicationSpecifier {
  const obj = scope.object(value, location);
  const keys = Object.keys(obj);
  if (keys.length !== 1) {
    scope.fail(location, `must have exactly one transport key, got ${keys.length}`);
  }
  const kind = keys[0];
  const at = join(location, kind);
  switch (kind) {
    case "btle": {
      const b = scope.object(obj.btle, at, [
        "names",
        "manufacturer_data",
        "advertised_services",
        "services",
      ]);
      const names = scope.strings(b.names, join(at, "names"), 1);
      const manufacturer_data = b.manufacturer_data === undefined
        ? undefined
        : scope.array(b.manufacturer_data, join(at, "manufacturer_data")).map((m, i) =>
          parseManufacturerData(scope, m, `${join(at, "manufacturer_data")}[${i}]`)
        );
      const advertised_services = b.advertised_services === undefined
        ? undefined
        : scope.array(b.advertised_services, join(at, "advertised_services")).map((s, i) =>
          scope.uuid(s, `${join(at, "advertised_services")}[${i}]`)
        );
      if (b.services === undefined) scope.fail(join(at, "services"), "is required");
      const servicesObj = scope.object(b.services, join(at, "services"));
      const services: Record<string, Record<string, string>> = {};
      for (const [uuid, endpoints] of Object.entries(servicesObj)) {
        const sAt = join(join(at, "services"), uuid);
        const serviceId = scope.uuid(uuid, sAt);
        const eps = scope.object(endpoints, sAt);
        const bound: Record<string, string> = {};
        for (const [name, chr] of Object.entries(eps)) {
          if (!ENDPOINT_NAMES.has(name)) scope.fail(join(sAt, name), "unknown endpoint name");
          bound[name] = scope.uuid(chr, join(sAt, name));
        }
        services[serviceId] = bound;
      }
      return {
        btle: {
          names,
          services,
          ...(manufacturer_data ? { manufacturer_data } : {}),
          ...(advertised_services ? { advertised_services } : {}),
        },
      };
    }
    case "serial": {
      const s = scope.object(obj.serial, at, [
        "port",
        "baud_rate",
        "data_bits",
        "parity",
        "stop_bits",
      ]);
      for (const key of ["port", "baud_rate", "data_bits", "parity", "stop_bits"]) {
        if (s[key] === undefined) scope.fail(join(at, key), "is required");
      }
      return {
        serial: {
          port: scope.string(s.port, join(at, "port")),
          baud_rate: scope.integer(s.baud_rate, join(at, "baud_rate"), 1),
          data_bits: scope.integer(s.data_bits, join(at, "data_bits"), 5, 8),
          parity: scope.string(s.parity, join(at, "parity")),
          stop_bits: scope.integer(s.stop_bits, join(at, "stop_bits"), 1, 2),
        },
      };
    }
    case "hid":
    case "usb": {
      const h = scope.object(obj[kind], at, ["pairs"]);
      const pairs = scope.array(h.pairs, join(at, "pairs")).map((p, i) => {
        const pAt = `${join(at, "pairs")}[${i}]`;
        const o = scope.object(p, pAt, ["vendor_id", "product_id"]);
        return {
          vendor_id: scope.integer(o.vendor_id, join(pAt, "vendor_id"), 0, 65535),
          product_id: scope.integer(o.product_id, join(pAt, "product_id"), 0, 65535),
        };
      });
      if (pairs.length === 0) scope.fail(join(at, "pairs"), "must have at least 1 entry");
      return kind === "hid" ? { hid: { pairs } } : { usb: { pairs } };
    }
    case "websocket": {
      const w = scope.object(obj.websocket, at, ["name"]);
      return { websocket: { name: scope.string(w.name, join(at, "name")) } };
    }
    case "xinput":
    case "lovense_connect_service": {
      const x = scope.object(obj[kind], at, ["exists"]);
      const exists = x.exists === undefined ? true : scope.boolean(x.exists, join(at, "exists"));
      return kind === "xinput" ? { xinput: { exists } } : { lovense_connect_service: { exists } };
    }
    default:
      return scope.fail(at, "unknown transport (expected btle, serial, hid, usb, websocket, ...)");
  }
}

function parseManufacturerData(scope: ParseScope, value: unknown, at: string): ManufacturerData {
  const m = scope.object(value, at, ["company", "data", "expected_length"]);
  const company = scope.integer(m.company, join(at, "company"), 0, 65535);
  if (m.expected_length !== undefined) {
    scope.integer(m.expected_length, join(at, "expected_length"));
  }
  if (m.data === undefined) return { company };
  const data = scope.array(m.data, join(at, "data")).map((b, i) =>
    scope.integer(b, `${join(at, "data")}[${i}]`, 0, 255)
  );
  return { company, data };
}

/** Parses one feature of a base/user *configuration* (not a user device override). */
export function parseFeature(scope: ParseScope, value: unknown, at: string): FeatureDefinition {
  const f = scope.object(value, at, [
    "index",
    "id",
    "description",
    "output",
    "input",
    "feature_settings",
  ]);
  if (f.index === undefined) scope.fail(join(at, "index"), "is required");
  if (f.id === undefined) scope.fail(join(at, "id"), "is required");
  const index = scope.integer(f.index, join(at, "index"), 0);
  const id = scope.uuid(f.id, join(at, "id"));
  const description = f.description === undefined
    ? ""
    : scope.string(f.description, join(at, "description"));
  let output: Partial<Record<OutputType, OutputDefinition>> | undefined;
  if (f.output !== undefined) {
    output = {};
    const o = scope.object(f.output, join(at, "output"));
    for (const [name, body] of Object.entries(o)) {
      const oAt = join(join(at, "output"), name);
      const type = OUTPUT_TYPE_BY_CONFIG_NAME[name];
      if (!type) scope.fail(oAt, "unknown output type");
      const isHw = type === "HwPositionWithDuration";
      const b = scope.object(body, oAt, isHw ? ["value", "duration"] : ["value"]);
      if (b.value === undefined) scope.fail(join(oAt, "value"), "is required");
      const range = scope.range(b.value, join(oAt, "value"));
      if (range[0] < 0 && range[1] <= 0) {
        scope.fail(join(oAt, "value"), "a bidirectional range must have a positive high end");
      }
      let duration: [number, number] | undefined;
      if (isHw) {
        duration = b.duration === undefined
          ? [0, 100000]
          : scope.range(b.duration, join(oAt, "duration"));
        if (duration[0] < 0) scope.fail(join(oAt, "duration"), "must not be negative");
      }
      output[type] = duration ? { value: range, duration } : { value: range };
    }
  }
  let input: Partial<Record<InputType, InputDefinition>> | undefined;
  if (f.input !== undefined) {
    input = {};
    const o = scope.object(f.input, join(at, "input"));
    for (const [name, body] of Object.entries(o)) {
      const iAt = join(join(at, "input"), name);
      const type = INPUT_TYPE_BY_CONFIG_NAME[name];
      if (!type) scope.fail(iAt, "unknown input type");
      const b = scope.object(body, iAt, ["value", "command"]);
      if (b.value === undefined) scope.fail(join(iAt, "value"), "is required");
      if (b.command === undefined) scope.fail(join(iAt, "command"), "is required");
      const ranges = scope.array(b.value, join(iAt, "value")).map((r, i) =>
        scope.range(r, `${join(iAt, "value")}[${i}]`)
      );
      if (ranges.length === 0) scope.fail(join(iAt, "value"), "must have at least 1 range");
      const command = scope.strings(b.command, join(iAt, "command")).map((c, i) => {
        if (c !== "Read" && c !== "Subscribe") {
          scope.fail(`${join(iAt, "command")}[${i}]`, `must be "Read" or "Subscribe"`);
        }
        return c as "Read" | "Subscribe";
      });
      input[type] = { value: ranges, command };
    }
  }
  if (f.feature_settings !== undefined) {
    scope.object(f.feature_settings, join(at, "feature_settings"));
  }
  return {
    index,
    id,
    description,
    ...(output ? { output } : {}),
    ...(input ? { input } : {}),
  };
}

/** Parses a features list and checks that indexes are unique; result sorted by index. */
export function parseFeatures(scope: ParseScope, value: unknown, at: string): FeatureDefinition[] {
  const features = scope.array(value, at).map((f, i) => parseFeature(scope, f, `${at}[${i}]`));
  const seen = new Set<number>();
  features.forEach((f, i) => {
    if (seen.has(f.index)) scope.fail(`${at}[${i}].index`, `duplicate feature index ${f.index}`);
    seen.add(f.index);
  });
  return features.sort((a, b) => a.index - b.index);
}

/** A definition as written in the file, before defaults are applied. */
export interface RawDefinition {
  readonly name: string;
  readonly id: string;
  readonly identifier?: readonly string[];
  readonly protocolVariant?: string;
  readonly messageGapMs?: number;
  readonly features?: readonly FeatureDefinition[];
}

/** Parses a `defaults` or `configurations[]` entry. */
export function parseRawDefinition(
  scope: ParseScope,
  value: unknown,
  at: string,
  requireIdentifier: boolean,
): RawDefinition {
  const d = scope.object(value, at, [
    "name",
    "id",
    "identifier",
    "protocol_variant",
    "message_gap_ms",
    "features",
  ]);
  if (d.name === undefined) scope.fail(join(at, "name"), "is required");
  if (d.id === undefined) scope.fail(join(at, "id"), "is required");
  if (requireIdentifier && d.identifier === undefined) {
    scope.fail(join(at, "identifier"), "is required in a configuration");
  }
  return {
    name: scope.string(d.name, join(at, "name")),
    id: scope.uuid(d.id, join(at, "id")),
    ...(d.identifier !== undefined
      ? { identifier: scope.strings(d.identifier, join(at, "identifier"), 1) }
      : {}),
    ...(d.protocol_variant !== undefined
      ? { protocolVariant: scope.string(d.protocol_variant, join(at, "protocol_variant")) }
      : {}),
    ...(d.message_gap_ms !== undefined
      ? { messageGapMs: scope.integer(d.message_gap_ms, join(at, "message_gap_ms"), 0) }
      : {}),
    ...(d.features !== undefined
      ? { features: parseFeatures(scope, d.features, join(at, "features")) }
      : {}),
  };
}

/**
 * Builds a stored definition for `(protocol, identifier)` from a raw configuration, filling
 * absent parts from `defaults` when given (DEVICES.md §1.2; user configurations pass none).
 */
export function toDefinition(
  protocol: string,
  raw: RawDefinition,
  identifier: string | undefined,
  defaults?: DeviceDefinition,
): DeviceDefinition {
  const protocolVariant = raw.protocolVariant ?? defaults?.protocolVariant;
  const messageGapMs = raw.messageGapMs ?? defaults?.messageGapMs;
  return {
    name: raw.name,
    id: raw.id,
    protocol,
    ...(identifier !== undefined ? { identifier } : {}),
    ...(protocolVariant !== undefined ? { protocolVariant } : {}),
    ...(messageGapMs !== undefined ? { messageGapMs } : {}),
    features: raw.features ?? defaults?.features ?? [],
  };
}
