/**
 * Client → server frame parsing and validation for spec versions 0..4 (PROTOCOL.md §1.2–§1.6,
 * §1.5a, §2.3, §5.1).
 *
 * This is the server's hot path: hand-written validators over the value `JSON.parse` returns,
 * no schema engine. Every element of a frame yields either a {@linkcode ParsedMessage} (known
 * name, available in the session's version, closed field set, every type and bound checked) or
 * a {@linkcode ButtplugError} carrying the right `ErrorCode` and `Id`.
 *
 * Validated bodies are the parsed objects themselves (no copy) except where a value is
 * normalised (handshake, InputCmd, ScalarCmd, Sensor*Cmd). A field whose value is `undefined`
 * (possible for in-process frames) counts as absent, as it would after JSON serialization.
 *
 * @module
 */
import { type ButtplugError, ButtplugInitError, ButtplugMessageError } from "./errors.ts";
import {
  type InputCmd,
  type InputCommandType,
  type InputType,
  type OutputCmd,
  type OutputType,
  SPEC_VERSION_MAJOR,
  type SpecVersion,
  type StopCmd,
} from "./messages.ts";
import type * as v0 from "./v0.ts";
import type * as v1 from "./v1.ts";
import type * as v2 from "./v2.ts";
import type * as v3 from "./v3.ts";

/** Largest unsigned 32-bit integer (maximum Id and index). */
export const MAX_U32 = 4294967295;
/** Largest LinearCmd Duration accepted: under 2^31 ms (PROTOCOL.md §7.2). */
export const MAX_LINEAR_DURATION = 2147483647;

/**
 * A RequestServerInfo of any spec version, as parsed. Which fields are present decides the
 * version (see {@linkcode negotiateSpecVersion}).
 */
export interface AnyRequestServerInfo {
  /** Request id. */
  Id: number;
  /** Client name (may be empty). */
  ClientName: string;
  /** v1..v3 version field. */
  MessageVersion?: number;
  /** v4 major version. */
  ProtocolVersionMajor?: number;
  /** v4 minor version. */
  ProtocolVersionMinor?: number;
}

/** Body type of every client → server message name, across all spec versions. */
export interface ClientMessageBodies {
  /** Handshake (all versions). */
  RequestServerInfo: AnyRequestServerInfo;
  /** Keep-alive (all versions). */
  Ping: v0.Ping;
  /** Start scanning (all versions). */
  StartScanning: v0.StartScanning;
  /** Stop scanning (all versions). */
  StopScanning: v0.StopScanning;
  /** Device list request (all versions). */
  RequestDeviceList: v0.RequestDeviceList;
  /** Echo test (v0, v1). */
  Test: v0.Test;
  /** Log streaming request (v0, v1; always refused). */
  RequestLog: v0.RequestLog;
  /** Stop one device (v0..v3). */
  StopDeviceCmd: v0.StopDeviceCmd;
  /** Stop all devices (v0..v3). */
  StopAllDevices: v0.StopAllDevices;
  /** Vibrate all motors (v0, v1). */
  SingleMotorVibrateCmd: v0.SingleMotorVibrateCmd;
  /** Launch command (v0, v1; always refused). */
  FleshlightLaunchFW12Cmd: v0.FleshlightLaunchFW12Cmd;
  /** Vorze command (v0, v1; always refused). */
  VorzeA10CycloneCmd: v0.VorzeA10CycloneCmd;
  /** Lovense command (v0, v1; always refused). */
  LovenseCmd: v0.LovenseCmd;
  /** Kiiroo command (v0, v1; always refused). */
  KiirooCmd: v0.KiirooCmd;
  /** Vibrate (v1..v3). */
  VibrateCmd: v1.VibrateCmd;
  /** Rotate (v1..v3). */
  RotateCmd: v1.RotateCmd;
  /** Linear move (v1..v3). */
  LinearCmd: v1.LinearCmd;
  /** Battery read (v2). */
  BatteryLevelCmd: v2.BatteryLevelCmd;
  /** RSSI read (v2; never offered). */
  RSSILevelCmd: v2.RSSILevelCmd;
  /** Raw write (v2, v3; always refused). */
  RawWriteCmd: v2.RawWriteCmd;
  /** Raw read (v2, v3; always refused). */
  RawReadCmd: v2.RawReadCmd;
  /** Raw subscribe (v2, v3; always refused). */
  RawSubscribeCmd: v2.RawSubscribeCmd;
  /** Raw unsubscribe (v2, v3; always refused). */
  RawUnsubscribeCmd: v2.RawUnsubscribeCmd;
  /** Scalar outputs (v3). `ActuatorType` is normalised to the v4 OutputType name. */
  ScalarCmd: v3.ScalarCmd;
  /** Sensor read (v3). `SensorType` is normalised. */
  SensorReadCmd: v3.SensorReadCmd;
  /** Sensor subscribe (v3; always refused). */
  SensorSubscribeCmd: v3.SensorSubscribeCmd;
  /** Sensor unsubscribe (v3; always refused). */
  SensorUnsubscribeCmd: v3.SensorUnsubscribeCmd;
  /** Output command (v4). */
  OutputCmd: OutputCmd;
  /** Input command (v4). `Type` and `Command` are normalised. */
  InputCmd: InputCmd;
  /** Stop command (v4). */
  StopCmd: StopCmd;
}

/** Name of any client → server message. */
export type AnyClientMessageName = keyof ClientMessageBodies;

/** A validated client message: its name and its body, discriminated by `name`. */
export type ParsedMessage = {
  [K in AnyClientMessageName]: { readonly name: K; readonly body: ClientMessageBodies[K] };
}[AnyClientMessageName];

/** What one frame element becomes: a validated message or the error to send back. */
export type ParseResult = ParsedMessage | ButtplugError;

// ---------------------------------------------------------------------------------------------
// Field checks: each returns null when the value is fine, else what was expected.
// ---------------------------------------------------------------------------------------------

type Check = (value: unknown) => string | null;

interface Shape {
  readonly fields: Readonly<Record<string, Check>>;
  readonly required: readonly string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const intIn = (min: number, max: number, what: string): Check => (v) =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? null : what;

const clientId = intIn(1, MAX_U32, "an integer in 1..4294967295");
const u32 = intIn(0, MAX_U32, "an integer in 0..4294967295");
const i32 = intIn(-2147483648, 2147483647, "a 32-bit signed integer");
const linearDuration = intIn(0, MAX_LINEAR_DURATION, "an integer number of ms below 2^31");
const unitInterval: Check = (v) =>
  typeof v === "number" && v >= 0 && v <= 1 ? null : "a number in 0.0..1.0";
const finiteNumber: Check = (v) =>
  typeof v === "number" && Number.isFinite(v) ? null : "a finite number";
const string: Check = (v) => typeof v === "string" ? null : "a string";
const boolean: Check = (v) => typeof v === "boolean" ? null : "a boolean";
const oneOf = (values: readonly string[]): Check => {
  const set = new Set(values);
  const what = `one of ${values.join(", ")}`;
  return (v) => typeof v === "string" && set.has(v) ? null : what;
};
const lookup = (table: Readonly<Record<string, string>>, what: string): Check => (v) =>
  typeof v === "string" && Object.hasOwn(table, v) ? null : what;

function shape(fields: Record<string, Check>, optional: readonly string[] = []): Shape {
  const table: Record<string, Check> = Object.create(null);
  Object.assign(table, fields);
  return { fields: table, required: Object.keys(fields).filter((k) => !optional.includes(k)) };
}

/** Checks a body against a closed field set; returns a problem description or null. */
function validate(body: Record<string, unknown>, s: Shape): string | null {
  const fields = s.fields;
  for (const key in body) {
    const check = fields[key];
    if (check === undefined) return `unknown field '${key}'`;
    const value = body[key];
    if (value === undefined) continue;
    const problem = check(value);
    if (problem !== null) return `field '${key}' must be ${problem}`;
  }
  const required = s.required;
  for (let i = 0; i < required.length; i++) {
    if (body[required[i]] === undefined) return `missing field '${required[i]}'`;
  }
  return null;
}

const arrayOf = (item: Shape, minItems: number, what: string): Check => (v) => {
  if (!Array.isArray(v)) return `an array of ${what}`;
  if (v.length < minItems) return `an array of at least ${minItems} ${what}`;
  for (let i = 0; i < v.length; i++) {
    const element = v[i];
    if (!isObject(element)) return `an array of ${what} (item ${i} is not an object)`;
    const problem = validate(element, item);
    if (problem !== null) return `an array of ${what} (item ${i}: ${problem})`;
  }
  return null;
};

const byteArray: Check = (v) => {
  if (!Array.isArray(v) || v.length === 0) return "a non-empty array of bytes";
  for (let i = 0; i < v.length; i++) {
    const b = v[i];
    if (typeof b !== "number" || !Number.isInteger(b) || b < 0 || b > 255) {
      return "a non-empty array of integers 0..255";
    }
  }
  return null;
};

// ---------------------------------------------------------------------------------------------
// Name tables and normalisation
// ---------------------------------------------------------------------------------------------

function table(entries: Record<string, string>): Readonly<Record<string, string>> {
  return Object.freeze(Object.assign(Object.create(null), entries));
}

/** v4 OutputType names (exact, as `OutputCmd` Command keys). */
const OUTPUT_COMMAND_KEYS: ReadonlySet<string> = new Set<OutputType>([
  "Vibrate",
  "Rotate",
  "Oscillate",
  "Constrict",
  "Temperature",
  "Led",
  "Position",
  "HwPositionWithDuration",
  "Spray",
]);

/** v3 ActuatorType strings: v4 OutputType names and their snake_case aliases. */
const ACTUATOR_TYPES = table({
  Vibrate: "Vibrate",
  vibrate: "Vibrate",
  Rotate: "Rotate",
  rotate: "Rotate",
  Oscillate: "Oscillate",
  oscillate: "Oscillate",
  Constrict: "Constrict",
  constrict: "Constrict",
  Temperature: "Temperature",
  temperature: "Temperature",
  Led: "Led",
  led: "Led",
  Position: "Position",
  position: "Position",
  HwPositionWithDuration: "HwPositionWithDuration",
  hw_position_with_duration: "HwPositionWithDuration",
  Spray: "Spray",
  spray: "Spray",
});

/** v4 InputType strings (names, lowercase aliases, and the docs' `RSSI`). */
const INPUT_TYPES = table({
  Battery: "Battery",
  battery: "Battery",
  Rssi: "Rssi",
  rssi: "Rssi",
  RSSI: "Rssi",
  Button: "Button",
  button: "Button",
  Pressure: "Pressure",
  pressure: "Pressure",
  Depth: "Depth",
  depth: "Depth",
  Position: "Position",
  position: "Position",
});

/** v4 InputCommandType strings. */
const INPUT_COMMANDS = table({
  Read: "Read",
  read: "Read",
  Subscribe: "Subscribe",
  subscribe: "Subscribe",
  Unsubscribe: "Unsubscribe",
  unsubscribe: "Unsubscribe",
});

/** v3 SensorType, matched case-insensitively (lowercased key). */
const SENSOR_TYPES = table({
  unknown: "Unknown",
  battery: "Battery",
  rssi: "RSSI",
  button: "Button",
  pressure: "Pressure",
});

const sensorType: Check = (v) =>
  typeof v === "string" && Object.hasOwn(SENSOR_TYPES, v.toLowerCase())
    ? null
    : "one of Unknown, Battery, RSSI, Button, Pressure";

// ---------------------------------------------------------------------------------------------
// Message shapes
// ---------------------------------------------------------------------------------------------

const ID_ONLY = shape({ Id: clientId });
const DEVICE_ONLY = shape({ Id: clientId, DeviceIndex: u32 });

const RSI = shape({
  Id: clientId,
  ClientName: string,
  MessageVersion: u32,
  ProtocolVersionMajor: u32,
  ProtocolVersionMinor: u32,
}, ["MessageVersion", "ProtocolVersionMajor", "ProtocolVersionMinor"]);

const VALUE_PARAMS = shape({ Value: i32 });
const HW_POSITION_PARAMS = shape({
  Value: intIn(0, MAX_U32, "an integer in 0..4294967295"),
  Duration: u32,
});

const outputCommand: Check = (v) => {
  if (!isObject(v)) return "an object with exactly one output type key";
  let key: string | undefined;
  let count = 0;
  for (const k in v) {
    if (v[k] === undefined) continue;
    key = k;
    count++;
  }
  if (count !== 1 || key === undefined) return "an object with exactly one output type key";
  if (!OUTPUT_COMMAND_KEYS.has(key)) return `a known output type (got '${key}')`;
  const params = v[key];
  if (!isObject(params)) return `an object for '${key}'`;
  const problem = validate(
    params,
    key === "HwPositionWithDuration" ? HW_POSITION_PARAMS : VALUE_PARAMS,
  );
  return problem === null ? null : `valid '${key}' parameters (${problem})`;
};

const SHAPES = {
  Ping: ID_ONLY,
  StartScanning: ID_ONLY,
  StopScanning: ID_ONLY,
  RequestDeviceList: ID_ONLY,
  StopAllDevices: ID_ONLY,
  StopDeviceCmd: DEVICE_ONLY,
  BatteryLevelCmd: DEVICE_ONLY,
  RSSILevelCmd: DEVICE_ONLY,
  Test: shape({ Id: clientId, TestString: string }),
  RequestLog: shape({
    Id: clientId,
    LogLevel: oneOf(["Off", "Fatal", "Error", "Warn", "Info", "Debug", "Trace"]),
  }),
  SingleMotorVibrateCmd: shape({ Id: clientId, DeviceIndex: u32, Speed: unitInterval }),
  FleshlightLaunchFW12Cmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    Position: intIn(0, 99, "an integer in 0..99"),
    Speed: intIn(0, 99, "an integer in 0..99"),
  }),
  VorzeA10CycloneCmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    Speed: intIn(0, 100, "an integer in 0..100"),
    Clockwise: boolean,
  }),
  LovenseCmd: shape({ Id: clientId, DeviceIndex: u32, Command: string }),
  KiirooCmd: shape({ Id: clientId, DeviceIndex: u32, Command: string }),
  VibrateCmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    Speeds: arrayOf(shape({ Index: u32, Speed: unitInterval }), 1, "{Index, Speed}"),
  }),
  RotateCmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    Rotations: arrayOf(
      shape({ Index: u32, Speed: unitInterval, Clockwise: boolean }),
      1,
      "{Index, Speed, Clockwise}",
    ),
  }),
  LinearCmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    Vectors: arrayOf(
      shape({ Index: u32, Duration: linearDuration, Position: unitInterval }),
      0,
      "{Index, Duration, Position}",
    ),
  }),
  RawWriteCmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    Endpoint: string,
    Data: byteArray,
    WriteWithResponse: boolean,
  }),
  RawReadCmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    Endpoint: string,
    Length: u32,
    ExpectedLength: u32,
    WaitForData: boolean,
    Timeout: u32,
  }, ["Length", "ExpectedLength", "WaitForData", "Timeout"]),
  RawSubscribeCmd: shape({ Id: clientId, DeviceIndex: u32, Endpoint: string }),
  RawUnsubscribeCmd: shape({ Id: clientId, DeviceIndex: u32, Endpoint: string }),
  ScalarCmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    Scalars: arrayOf(
      shape({
        Index: u32,
        Scalar: finiteNumber,
        ActuatorType: lookup(ACTUATOR_TYPES, "an output type name"),
      }),
      1,
      "{Index, Scalar, ActuatorType}",
    ),
  }),
  SensorReadCmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    SensorIndex: u32,
    SensorType: sensorType,
  }),
  SensorSubscribeCmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    SensorIndex: u32,
    SensorType: sensorType,
  }),
  SensorUnsubscribeCmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    SensorIndex: u32,
    SensorType: sensorType,
  }),
  OutputCmd: shape({ Id: clientId, DeviceIndex: u32, FeatureIndex: u32, Command: outputCommand }),
  InputCmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    FeatureIndex: u32,
    Type: lookup(INPUT_TYPES, "an input type (Battery, Rssi, Button, Pressure, Depth, Position)"),
    Command: lookup(INPUT_COMMANDS, "Read, Subscribe or Unsubscribe"),
  }),
  StopCmd: shape({
    Id: clientId,
    DeviceIndex: u32,
    FeatureIndex: u32,
    Inputs: boolean,
    Outputs: boolean,
  }, ["DeviceIndex", "FeatureIndex", "Inputs", "Outputs"]),
} satisfies Record<Exclude<AnyClientMessageName, "RequestServerInfo">, Shape>;

// Availability per spec version (PROTOCOL.md §5.1, not the schema's lists; §10.19).
const V0 = 1, V1 = 2, V2 = 4, V3 = 8, V4 = 16;
const ALL = V0 | V1 | V2 | V3 | V4;

const AVAILABILITY: Readonly<Record<AnyClientMessageName, number>> = {
  RequestServerInfo: ALL,
  Ping: ALL,
  StartScanning: ALL,
  StopScanning: ALL,
  RequestDeviceList: ALL,
  Test: V0 | V1,
  RequestLog: V0 | V1,
  SingleMotorVibrateCmd: V0 | V1,
  FleshlightLaunchFW12Cmd: V0 | V1,
  VorzeA10CycloneCmd: V0 | V1,
  LovenseCmd: V0 | V1,
  KiirooCmd: V0 | V1,
  StopDeviceCmd: V0 | V1 | V2 | V3,
  StopAllDevices: V0 | V1 | V2 | V3,
  VibrateCmd: V1 | V2 | V3,
  RotateCmd: V1 | V2 | V3,
  LinearCmd: V1 | V2 | V3,
  BatteryLevelCmd: V2,
  RSSILevelCmd: V2,
  RawWriteCmd: V2 | V3,
  RawReadCmd: V2 | V3,
  RawSubscribeCmd: V2 | V3,
  RawUnsubscribeCmd: V2 | V3,
  ScalarCmd: V3,
  SensorReadCmd: V3,
  SensorSubscribeCmd: V3,
  SensorUnsubscribeCmd: V3,
  OutputCmd: V4,
  InputCmd: V4,
  StopCmd: V4,
};
const AVAILABLE: Readonly<Record<string, number>> = Object.assign(
  Object.create(null),
  AVAILABILITY,
);

/** Messages only a server sends; a client sending one gets ERROR_MSG (§1.5a). */
const SERVER_ONLY: ReadonlySet<string> = new Set([
  "Ok",
  "Error",
  "ServerInfo",
  "DeviceList",
  "DeviceAdded",
  "DeviceRemoved",
  "ScanningFinished",
  "Log",
  "BatteryLevelReading",
  "RSSILevelReading",
  "RawReading",
  "SensorReading",
  "InputReading",
]);

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** The element's `Id` if it is a valid client Id (1..2^32-1), else 0 (PROTOCOL.md §1.5). */
export function readClientId(body: unknown): number {
  if (!isObject(body)) return 0;
  const id = body.Id;
  return typeof id === "number" && Number.isInteger(id) && id >= 1 && id <= MAX_U32 ? id : 0;
}

function malformed(message: string, id: number): ButtplugMessageError {
  return new ButtplugMessageError(message, id);
}

/**
 * Parses one frame: JSON text (a WebSocket text frame) or an already-parsed value (in-process).
 * `version` is the session's negotiated spec version, or `undefined` while awaiting the
 * handshake (then only RequestServerInfo is accepted; anything else is ERROR_INIT).
 *
 * Returns one result per element; a frame that is not JSON, not an array, or an empty array
 * gives a single `ERROR_MSG` with `Id` 0.
 *
 * @example
 * ```ts
 * import { parseFrame } from "./parse.ts";
 * import { ButtplugError } from "./errors.ts";
 * const [ok, bad] = parseFrame('[{"Ping":{"Id":1}},{"Ping":{"Id":0}}]', 4);
 * console.assert(!(ok instanceof ButtplugError) && ok.name === "Ping");
 * console.assert(bad instanceof ButtplugError && bad.code === 3 && bad.id === 0);
 * ```
 */
export function parseFrame(frame: unknown, version: SpecVersion | undefined): ParseResult[] {
  let value = frame;
  if (typeof frame === "string") {
    try {
      value = JSON.parse(frame);
    } catch (err) {
      return [malformed(`frame is not valid JSON: ${(err as Error).message}`, 0)];
    }
  }
  if (!Array.isArray(value)) return [malformed("a frame must be a JSON array of messages", 0)];
  const n = value.length;
  if (n === 0) return [malformed("a frame must hold at least one message", 0)];
  if (n === 1) return [parseMessage(value[0], version)];
  const results = new Array<ParseResult>(n);
  for (let i = 0; i < n; i++) results[i] = parseMessage(value[i], version);
  return results;
}

/**
 * Parses one frame element (`{"Name": {...fields}}`) for a session of spec `version`
 * (`undefined` = awaiting the handshake).
 *
 * @example
 * ```ts
 * import { parseMessage } from "./parse.ts";
 * import { ButtplugError } from "./errors.ts";
 * const r = parseMessage({ ScalarCmd: { Id: 7, DeviceIndex: 0, Scalars: [] } }, 4);
 * console.assert(r instanceof ButtplugError && r.code === 3 && r.id === 7);
 * ```
 */
export function parseMessage(element: unknown, version: SpecVersion | undefined): ParseResult {
  if (!isObject(element)) {
    return malformed('a frame element must be an object {"MessageName": {...}}', 0);
  }
  let name: string | undefined;
  let count = 0;
  for (const key in element) {
    if (element[key] === undefined) continue;
    if (count === 0) name = key;
    count++;
  }
  if (count !== 1 || name === undefined) {
    return malformed(
      `a frame element must have exactly one key (the message name), got ${count}`,
      ambiguousId(element),
    );
  }
  const body = element[name];
  if (!isObject(body)) return malformed(`'${name}' must hold an object of fields`, 0);
  const id = readClientId(body);

  if (version === undefined && name !== "RequestServerInfo") {
    return new ButtplugInitError(
      `RequestServerInfoExpected: the handshake (RequestServerInfo) must come first, got '${name}'`,
      id,
    );
  }
  const available = AVAILABLE[name];
  if (available === undefined) {
    return malformed(
      SERVER_ONLY.has(name)
        ? `'${name}' is a server message; a client cannot send it`
        : `unknown message type '${name}'`,
      id,
    );
  }
  if (name === "RequestServerInfo") return parseHandshake(body, id);
  if ((available & (1 << version!)) === 0) {
    return malformed(`'${name}' does not exist in spec version ${version}`, id);
  }
  const fields = name === "OutputCmd" ? unwrapOneElementValue(body) : body;
  const problem = validate(fields, SHAPES[name as keyof typeof SHAPES]);
  if (problem !== null) return malformed(`${name}: ${problem}`, id);
  switch (name) {
    case "InputCmd":
      return {
        name,
        body: {
          Id: body.Id as number,
          DeviceIndex: body.DeviceIndex as number,
          FeatureIndex: body.FeatureIndex as number,
          Type: INPUT_TYPES[body.Type as string] as InputType,
          Command: INPUT_COMMANDS[body.Command as string] as InputCommandType,
        },
      };
    case "ScalarCmd":
      return {
        name,
        body: {
          Id: body.Id as number,
          DeviceIndex: body.DeviceIndex as number,
          Scalars: (body.Scalars as Record<string, unknown>[]).map((s) => ({
            Index: s.Index as number,
            Scalar: s.Scalar as number,
            ActuatorType: ACTUATOR_TYPES[s.ActuatorType as string] as OutputType,
          })),
        },
      };
    case "SensorReadCmd":
    case "SensorSubscribeCmd":
    case "SensorUnsubscribeCmd":
      return {
        name,
        body: {
          Id: body.Id as number,
          DeviceIndex: body.DeviceIndex as number,
          SensorIndex: body.SensorIndex as number,
          SensorType: SENSOR_TYPES[(body.SensorType as string).toLowerCase()] as v3.SensorType,
        },
      } as ParsedMessage;
  }
  return { name, body: fields } as unknown as ParsedMessage;
}

/**
 * npm `buttplug@4.0.2` sends OutputCmd values as a one-element array (`"Value": [10]`): read
 * `[n]` as `n`. Returns a copy with the value unwrapped (never mutates the client's object), or
 * `body` itself when there is nothing to unwrap; any other array stays invalid.
 */
function unwrapOneElementValue(body: Record<string, unknown>): Record<string, unknown> {
  const command = body.Command;
  if (!isObject(command)) return body;
  for (const key in command) {
    const params = command[key];
    if (!isObject(params) || !Array.isArray(params.Value) || params.Value.length !== 1) continue;
    return { ...body, Command: { ...command, [key]: { ...params, Value: params.Value[0] } } };
  }
  return body;
}

function parseHandshake(body: Record<string, unknown>, id: number): ParseResult {
  const problem = validate(body, RSI);
  if (problem !== null) return malformed(`RequestServerInfo: ${problem}`, id);
  const rsi: AnyRequestServerInfo = {
    Id: body.Id as number,
    ClientName: body.ClientName as string,
  };
  const major = body.ProtocolVersionMajor as number | undefined;
  const minor = body.ProtocolVersionMinor as number | undefined;
  const messageVersion = body.MessageVersion as number | undefined;
  if (major !== undefined && messageVersion !== undefined) {
    return malformed(
      "RequestServerInfo: use either MessageVersion (spec 1..3) or ProtocolVersionMajor/Minor (spec 4+), not both",
      id,
    );
  }
  if (major === undefined && minor !== undefined) {
    return malformed("RequestServerInfo: ProtocolVersionMinor without ProtocolVersionMajor", id);
  }
  if (major !== undefined) {
    rsi.ProtocolVersionMajor = major;
    rsi.ProtocolVersionMinor = minor ?? 0;
  }
  if (messageVersion !== undefined) rsi.MessageVersion = messageVersion;
  return { name: "RequestServerInfo", body: rsi };
}

/** Id for an element with zero or several keys: the inner Id if all bodies agree, else 0. */
function ambiguousId(element: Record<string, unknown>): number {
  let id = 0;
  for (const key in element) {
    const inner = readClientId(element[key]);
    if (inner === 0 || (id !== 0 && inner !== id)) return 0;
    id = inner;
  }
  return id;
}

/** Outcome of {@linkcode negotiateSpecVersion}. */
export type Negotiation =
  | { readonly ok: true; readonly version: SpecVersion }
  | {
    readonly ok: false;
    readonly error: ButtplugError;
    /** The client is newer than the server: close the connection after replying. */
    readonly close: boolean;
  };

/**
 * Picks the session's spec version from a parsed RequestServerInfo (PROTOCOL.md §2.3):
 * `ProtocolVersionMajor` if present, else `MessageVersion`, else 0. A major above 4 is
 * ERROR_INIT and the connection should close; an old-shaped request claiming 4 or more is
 * malformed (ERROR_INIT, the session keeps waiting). A `ProtocolVersionMajor` below 4 is read as
 * that old version.
 *
 * @example
 * ```ts
 * import { negotiateSpecVersion } from "./parse.ts";
 * const n = negotiateSpecVersion({ Id: 1, ClientName: "app", MessageVersion: 3 });
 * console.assert(n.ok && n.version === 3);
 * ```
 */
export function negotiateSpecVersion(request: AnyRequestServerInfo): Negotiation {
  const major = request.ProtocolVersionMajor;
  if (major !== undefined) {
    if (major > SPEC_VERSION_MAJOR) {
      return {
        ok: false,
        close: true,
        error: new ButtplugInitError(
          `MessageSpecVersionMismatch: client requested spec ${major}, this server speaks up to ${SPEC_VERSION_MAJOR}`,
          request.Id,
        ),
      };
    }
    return { ok: true, version: major as SpecVersion };
  }
  const messageVersion = request.MessageVersion;
  if (messageVersion !== undefined) {
    if (messageVersion >= 4) {
      return {
        ok: false,
        close: false,
        error: new ButtplugInitError(
          `RequestServerInfo with MessageVersion ${messageVersion}: spec 4 and later use ProtocolVersionMajor/ProtocolVersionMinor`,
          request.Id,
        ),
      };
    }
    return { ok: true, version: messageVersion as SpecVersion };
  }
  return { ok: true, version: 0 };
}
