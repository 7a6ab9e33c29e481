/**
 * The device test-case model (DEVICES.md §2) and its loader: YAML text → a validated
 * {@linkcode DeviceCase}, with the file and step named in every error.
 *
 * @module
 */
import { INPUT_TYPES, type InputType } from "../../protocol/messages.ts";
import { parseYaml, Tagged, type YamlValue } from "./yaml.ts";

/** A fake device of a case. */
export interface CaseDevice {
  /** Advertised BLE name. */
  readonly name: string;
  /** Address (default: random). */
  readonly address?: string;
  /** Expected `DeviceName`. */
  readonly expectedName?: string;
  /** Expected `DeviceDisplayName`. */
  readonly expectedDisplayName?: string;
}

/**
 * A command the server must send to a fake device. A write's bytes are either exact (`data`)
 * or, for random content (nonces), a pattern: `data: !Any` and/or `data_prefix` /
 * `data_length` (own extension; `data` is then absent).
 */
export type ExpectedCommand =
  | {
    readonly kind: "write";
    readonly endpoint: string;
    /** Exact bytes; absent when the case gave a pattern. */
    readonly data?: readonly number[];
    /** Required leading bytes (pattern). */
    readonly dataPrefix?: readonly number[];
    /** Required length (pattern). */
    readonly dataLength?: number;
    readonly writeWithResponse: boolean;
  }
  | { readonly kind: "subscribe"; readonly endpoint: string }
  | { readonly kind: "unsubscribe"; readonly endpoint: string };

/** Endpoint + bytes of an injected notification or read answer. */
export interface EndpointData {
  /** Endpoint name. */
  readonly endpoint: string;
  /** Bytes. */
  readonly data: readonly number[];
}

/** What a fake device does. */
export type DeviceEvent =
  | { readonly kind: "notifications"; readonly items: readonly EndpointData[] }
  | { readonly kind: "reads"; readonly items: readonly EndpointData[] }
  | { readonly kind: "disconnect" };

/** A client intent (legacy style), mapped per spec version by the runner. */
export type CaseMessage =
  | { readonly kind: "vibrate"; readonly items: readonly { index: number; speed: number }[] }
  | {
    readonly kind: "rotate";
    readonly items: readonly { index: number; speed: number; clockwise: boolean }[];
  }
  | {
    readonly kind: "linear";
    readonly items: readonly { index: number; duration: number; position: number }[];
  }
  | {
    readonly kind: "scalar";
    readonly items: readonly { index: number; scalar: number; actuatorType: string }[];
  }
  | { readonly kind: "battery"; readonly expectedPower: number; readonly runAsync: boolean }
  | {
    /** Own extension: v4 `InputCmd Subscribe`; readings checked in order when given. */
    readonly kind: "subscribe";
    readonly featureIndex: number;
    readonly inputType: InputType;
    readonly expectedReadings?: readonly number[];
  }
  | {
    /** Own extension: v4 `InputCmd Unsubscribe` (first completes the subscription's check). */
    readonly kind: "unsubscribe";
    readonly featureIndex: number;
    readonly inputType: InputType;
  }
  | { readonly kind: "stop" }
  | { readonly kind: "rssi" };

/** One step of `device_init` / `device_commands`. */
export type CaseStep =
  | {
    readonly kind: "commands";
    readonly deviceIndex: number;
    readonly commands: readonly ExpectedCommand[];
    /** Own extension: wait per command in ms (default: the runner's, 500 as upstream). */
    readonly timeoutMs?: number;
  }
  | {
    readonly kind: "events";
    readonly deviceIndex: number;
    readonly events: readonly DeviceEvent[];
  }
  | {
    readonly kind: "messages";
    readonly deviceIndex: number;
    readonly messages: readonly CaseMessage[];
  }
  | {
    readonly kind: "versionGated";
    /** Lowest spec version the steps run under (0 when only a maximum was given). */
    readonly minSpecVersion: number;
    /** Own extension: highest spec version the steps run under. */
    readonly maxSpecVersion?: number;
    readonly steps: readonly CaseStep[];
  };

/** A parsed test case file. */
export interface DeviceCase {
  /** File path. */
  readonly path: string;
  /** File name. */
  readonly file: string;
  /** Base config replacement (file name under `config/`). */
  readonly deviceConfigFile?: string;
  /** User config (file name under `config/`). */
  readonly userDeviceConfigFile?: string;
  /** Fake devices. */
  readonly devices: readonly CaseDevice[];
  /** Steps run right after scanning starts. */
  readonly deviceInit: readonly CaseStep[];
  /** Steps run once every device was announced. */
  readonly deviceCommands: readonly CaseStep[];
}

/** A malformed test case. */
export class CaseError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "CaseError";
  }
}

class Reader {
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
  }

  fail(at: string, reason: string): never {
    throw new CaseError(`${this.#file}: ${at}: ${reason}`);
  }

  map(v: YamlValue, at: string): { [key: string]: YamlValue } {
    if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Tagged) {
      this.fail(at, "expected a mapping");
    }
    return v;
  }

  list(v: YamlValue, at: string): YamlValue[] {
    if (!Array.isArray(v)) this.fail(at, "expected a list");
    return v;
  }

  str(v: YamlValue, at: string): string {
    if (typeof v !== "string") this.fail(at, "expected a string");
    return v;
  }

  num(v: YamlValue, at: string): number {
    if (typeof v !== "number") this.fail(at, "expected a number");
    return v;
  }

  int(v: YamlValue, at: string): number {
    const n = this.num(v, at);
    if (!Number.isInteger(n)) this.fail(at, "expected an integer");
    return n;
  }

  bool(v: YamlValue, at: string): boolean {
    if (typeof v !== "boolean") this.fail(at, "expected true or false");
    return v;
  }

  tagged(v: YamlValue, at: string): Tagged {
    if (!(v instanceof Tagged)) this.fail(at, "expected a tagged value (!Name)");
    return v;
  }

  bytes(v: YamlValue, at: string): number[] {
    return this.list(v, at).map((b, i) => {
      const n = this.int(b, `${at}[${i}]`);
      if (n < 0 || n > 255) this.fail(`${at}[${i}]`, `byte out of range: ${n}`);
      return n;
    });
  }
}

/**
 * Parses a test case document.
 *
 * @throws {CaseError} or a YAML error naming the file and location.
 */
export function parseCase(text: string, path: string): DeviceCase {
  const file = path.split(/[\\/]/).pop() ?? path;
  const r = new Reader(file);
  let doc: YamlValue;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new CaseError(`${file}: ${(err as Error).message}`);
  }
  const root = r.map(doc, "document");
  const known = [
    "devices",
    "device_config_file",
    "user_device_config_file",
    "device_init",
    "device_commands",
  ];
  for (const key of Object.keys(root)) if (!known.includes(key)) r.fail(key, "unknown key");
  if (root.devices === undefined) r.fail("devices", "is required");
  const devices = r.list(root.devices, "devices").map((d, i): CaseDevice => {
    const at = `devices[${i}]`;
    const m = r.map(d, at);
    const ident = r.map(m.identifier ?? null, `${at}.identifier`);
    return {
      name: r.str(ident.name ?? null, `${at}.identifier.name`),
      ...(ident.address != null
        ? { address: r.str(ident.address, `${at}.identifier.address`) }
        : {}),
      ...(m.expected_name != null
        ? { expectedName: r.str(m.expected_name, `${at}.expected_name`) }
        : {}),
      ...(m.expected_display_name != null
        ? { expectedDisplayName: r.str(m.expected_display_name, `${at}.expected_display_name`) }
        : {}),
    };
  });
  const steps = (v: YamlValue | undefined, at: string, inInit: boolean): CaseStep[] =>
    v === undefined || v === null
      ? []
      : r.list(v, at).map((s, i) => step(r, s, `${at}[${i}]`, inInit));
  if (root.device_commands === undefined) r.fail("device_commands", "is required");
  return {
    path,
    file,
    ...(root.device_config_file != null
      ? { deviceConfigFile: r.str(root.device_config_file, "device_config_file") }
      : {}),
    ...(root.user_device_config_file != null
      ? { userDeviceConfigFile: r.str(root.user_device_config_file, "user_device_config_file") }
      : {}),
    devices,
    deviceInit: steps(root.device_init, "device_init", true),
    deviceCommands: steps(root.device_commands, "device_commands", false),
  };
}

function step(r: Reader, v: YamlValue, at: string, inInit: boolean): CaseStep {
  const t = r.tagged(v, at);
  const at2 = `${at} (!${t.tag})`;
  switch (t.tag) {
    case "Commands": {
      const m = r.map(t.value, at2);
      const timeoutMs = m.timeout_ms == null ? undefined : r.int(m.timeout_ms, `${at2}.timeout_ms`);
      if (timeoutMs !== undefined && timeoutMs < 1) r.fail(`${at2}.timeout_ms`, "must be ≥ 1");
      return {
        kind: "commands",
        deviceIndex: r.int(m.device_index ?? null, `${at2}.device_index`),
        commands: r.list(m.commands ?? null, `${at2}.commands`).map((c, i) =>
          expected(r, c, `${at2}.commands[${i}]`)
        ),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      };
    }
    case "Events": {
      const m = r.map(t.value, at2);
      return {
        kind: "events",
        deviceIndex: r.int(m.device_index ?? null, `${at2}.device_index`),
        events: r.list(m.events ?? null, `${at2}.events`).map((e, i) =>
          event(r, e, `${at2}.events[${i}]`)
        ),
      };
    }
    case "Messages": {
      if (inInit) r.fail(at2, "!Messages is not allowed in device_init");
      const m = r.map(t.value, at2);
      return {
        kind: "messages",
        deviceIndex: r.int(m.device_index ?? null, `${at2}.device_index`),
        messages: r.list(m.messages ?? null, `${at2}.messages`).map((x, i) =>
          message(r, x, `${at2}.messages[${i}]`)
        ),
      };
    }
    case "VersionGated": {
      const m = r.map(t.value, at2);
      const max = m.max_spec_version == null
        ? undefined
        : r.int(m.max_spec_version, `${at2}.max_spec_version`);
      const min = m.min_spec_version == null && max !== undefined
        ? 0
        : r.int(m.min_spec_version ?? null, `${at2}.min_spec_version`);
      if (max !== undefined && max < min) {
        r.fail(at2, `max_spec_version ${max} is below min_spec_version ${min}`);
      }
      return {
        kind: "versionGated",
        minSpecVersion: min,
        ...(max !== undefined ? { maxSpecVersion: max } : {}),
        steps: r.list(m.commands ?? null, `${at2}.commands`).map((s, i) =>
          step(r, s, `${at2}.commands[${i}]`, inInit)
        ),
      };
    }
    default:
      return r.fail(at2, "unknown step tag");
  }
}

function expected(r: Reader, v: YamlValue, at: string): ExpectedCommand {
  const t = r.tagged(v, at);
  const m = r.map(t.value, `${at} (!${t.tag})`);
  const endpoint = r.str(m.endpoint ?? null, `${at}.endpoint`);
  switch (t.tag) {
    case "Write":
      return {
        kind: "write",
        endpoint,
        ...writeData(r, m, at),
        writeWithResponse: r.bool(m.write_with_response ?? null, `${at}.write_with_response`),
      };
    case "Subscribe":
      return { kind: "subscribe", endpoint };
    case "Unsubscribe":
      return { kind: "unsubscribe", endpoint };
    default:
      return r.fail(at, `unknown device command !${t.tag}`);
  }
}

/** `data: [...]` (exact), or a pattern: `data: !Any`, `data_prefix: [...]`, `data_length: n`. */
function writeData(
  r: Reader,
  m: { [key: string]: YamlValue },
  at: string,
): { data?: number[]; dataPrefix?: number[]; dataLength?: number } {
  const any = m.data instanceof Tagged;
  if (any && (m.data as Tagged).tag !== "Any") {
    r.fail(`${at}.data`, `expected a byte list or !Any, got !${(m.data as Tagged).tag}`);
  }
  const prefix = m.data_prefix == null ? undefined : r.bytes(m.data_prefix, `${at}.data_prefix`);
  const length = m.data_length == null ? undefined : r.int(m.data_length, `${at}.data_length`);
  if (m.data != null && !any) {
    if (prefix !== undefined || length !== undefined) {
      r.fail(at, "data_prefix / data_length go with data: !Any (or no data), not a byte list");
    }
    return { data: r.bytes(m.data, `${at}.data`) };
  }
  if (!any && prefix === undefined && length === undefined) {
    r.fail(`${at}.data`, "is required (data: !Any accepts any bytes)");
  }
  if (length !== undefined && (length < 0 || (prefix !== undefined && prefix.length > length))) {
    r.fail(`${at}.data_length`, `${length} cannot hold the ${prefix?.length ?? 0}-byte prefix`);
  }
  return {
    ...(prefix !== undefined ? { dataPrefix: prefix } : {}),
    ...(length !== undefined ? { dataLength: length } : {}),
  };
}

function inputType(r: Reader, v: YamlValue, at: string): InputType {
  const name = r.str(v, at);
  const type = INPUT_TYPES.find((t) => t.toLowerCase() === name.toLowerCase());
  if (!type) r.fail(at, `unknown input type ${name} (one of ${INPUT_TYPES.join(", ")})`);
  return type;
}

function event(r: Reader, v: YamlValue, at: string): DeviceEvent {
  const t = r.tagged(v, at);
  const items = (): EndpointData[] =>
    r.list(t.value, at).map((x, i) => {
      const m = r.map(x, `${at}[${i}]`);
      return {
        endpoint: r.str(m.endpoint ?? null, `${at}[${i}].endpoint`),
        data: r.bytes(m.data ?? null, `${at}[${i}].data`),
      };
    });
  switch (t.tag) {
    case "Notifications":
      return { kind: "notifications", items: items() };
    case "Reads":
      return { kind: "reads", items: items() };
    case "Disconnect":
      return { kind: "disconnect" };
    default:
      return r.fail(at, `unknown device event !${t.tag}`);
  }
}

function message(r: Reader, v: YamlValue, at: string): CaseMessage {
  const t = r.tagged(v, at);
  const entries = () =>
    r.list(t.value, at).map((x, i) => ({ m: r.map(x, `${at}[${i}]`), at: `${at}[${i}]` }));
  switch (t.tag) {
    case "Vibrate":
      return {
        kind: "vibrate",
        items: entries().map(({ m, at }) => ({
          index: r.int(m.Index ?? null, `${at}.Index`),
          speed: r.num(m.Speed ?? null, `${at}.Speed`),
        })),
      };
    case "Rotate":
      return {
        kind: "rotate",
        items: entries().map(({ m, at }) => ({
          index: r.int(m.Index ?? null, `${at}.Index`),
          speed: r.num(m.Speed ?? null, `${at}.Speed`),
          clockwise: r.bool(m.Clockwise ?? null, `${at}.Clockwise`),
        })),
      };
    case "Linear":
      return {
        kind: "linear",
        items: entries().map(({ m, at }) => ({
          index: r.int(m.Index ?? null, `${at}.Index`),
          duration: r.int(m.Duration ?? null, `${at}.Duration`),
          position: r.num(m.Position ?? null, `${at}.Position`),
        })),
      };
    case "Scalar":
      return {
        kind: "scalar",
        items: entries().map(({ m, at }) => ({
          index: r.int(m.Index ?? null, `${at}.Index`),
          scalar: r.num(m.Scalar ?? null, `${at}.Scalar`),
          actuatorType: r.str(m.ActuatorType ?? null, `${at}.ActuatorType`),
        })),
      };
    case "Battery": {
      const m = r.map(t.value, at);
      return {
        kind: "battery",
        expectedPower: r.num(m.expected_power ?? null, `${at}.expected_power`),
        runAsync: m.run_async == null ? false : r.bool(m.run_async, `${at}.run_async`),
      };
    }
    case "Subscribe": {
      const m = r.map(t.value, at);
      return {
        kind: "subscribe",
        featureIndex: r.int(m.feature_index ?? null, `${at}.feature_index`),
        inputType: inputType(r, m.input_type ?? null, `${at}.input_type`),
        ...(m.expected_readings != null
          ? {
            expectedReadings: r.list(m.expected_readings, `${at}.expected_readings`).map((x, i) =>
              r.num(x, `${at}.expected_readings[${i}]`)
            ),
          }
          : {}),
      };
    }
    case "Unsubscribe": {
      const m = r.map(t.value, at);
      return {
        kind: "unsubscribe",
        featureIndex: r.int(m.feature_index ?? null, `${at}.feature_index`),
        inputType: inputType(r, m.input_type ?? null, `${at}.input_type`),
      };
    }
    case "Stop":
      return { kind: "stop" };
    case "RSSI":
      return { kind: "rssi" };
    default:
      return r.fail(at, `unknown client message !${t.tag}`);
  }
}
