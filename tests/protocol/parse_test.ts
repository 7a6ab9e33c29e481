import assert from "node:assert/strict";
import { ButtplugError, ErrorCode } from "../../protocol/errors.ts";
import type {
  ClientMessageName,
  ClientMessageV4,
  ServerMessageName,
  ServerMessageV4,
  SpecVersion,
} from "../../protocol/messages.ts";
import {
  type AnyClientMessageName,
  MAX_U32,
  negotiateSpecVersion,
  parseFrame,
  parseMessage,
  type ParseResult,
  readClientId,
} from "../../protocol/parse.ts";

function errorOf(result: ParseResult): [number, number] {
  assert.ok(result instanceof ButtplugError, `expected an error, got ${JSON.stringify(result)}`);
  return [result.id, result.code];
}

function ok(result: ParseResult): Exclude<ParseResult, ButtplugError> {
  assert.ok(!(result instanceof ButtplugError), `unexpected error: ${(result as Error).message}`);
  return result;
}

/** A valid example of every client message (the body for its version). */
const EXAMPLES: Record<AnyClientMessageName, Record<string, unknown>> = {
  RequestServerInfo: { Id: 1, ClientName: "c" },
  Ping: { Id: 1 },
  StartScanning: { Id: 1 },
  StopScanning: { Id: 1 },
  RequestDeviceList: { Id: 1 },
  Test: { Id: 1, TestString: "x" },
  RequestLog: { Id: 1, LogLevel: "Warn" },
  StopDeviceCmd: { Id: 1, DeviceIndex: 0 },
  StopAllDevices: { Id: 1 },
  SingleMotorVibrateCmd: { Id: 1, DeviceIndex: 0, Speed: 0.5 },
  FleshlightLaunchFW12Cmd: { Id: 1, DeviceIndex: 0, Position: 99, Speed: 0 },
  VorzeA10CycloneCmd: { Id: 1, DeviceIndex: 0, Speed: 100, Clockwise: false },
  LovenseCmd: { Id: 1, DeviceIndex: 0, Command: "Vibrate:20;" },
  KiirooCmd: { Id: 1, DeviceIndex: 0, Command: "4" },
  VibrateCmd: { Id: 1, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: 1 }] },
  RotateCmd: { Id: 1, DeviceIndex: 0, Rotations: [{ Index: 0, Speed: 0, Clockwise: true }] },
  LinearCmd: { Id: 1, DeviceIndex: 0, Vectors: [{ Index: 0, Duration: 500, Position: 0.3 }] },
  BatteryLevelCmd: { Id: 1, DeviceIndex: 0 },
  RSSILevelCmd: { Id: 1, DeviceIndex: 0 },
  RawWriteCmd: { Id: 1, DeviceIndex: 0, Endpoint: "tx", Data: [0, 255], WriteWithResponse: true },
  RawReadCmd: { Id: 1, DeviceIndex: 0, Endpoint: "rx", ExpectedLength: 0, WaitForData: false },
  RawSubscribeCmd: { Id: 1, DeviceIndex: 0, Endpoint: "rx" },
  RawUnsubscribeCmd: { Id: 1, DeviceIndex: 0, Endpoint: "rx" },
  ScalarCmd: {
    Id: 1,
    DeviceIndex: 0,
    Scalars: [{ Index: 0, Scalar: 5, ActuatorType: "Vibrate" }],
  },
  SensorReadCmd: { Id: 1, DeviceIndex: 0, SensorIndex: 0, SensorType: "Battery" },
  SensorSubscribeCmd: { Id: 1, DeviceIndex: 0, SensorIndex: 0, SensorType: "Battery" },
  SensorUnsubscribeCmd: { Id: 1, DeviceIndex: 0, SensorIndex: 0, SensorType: "Battery" },
  OutputCmd: { Id: 1, DeviceIndex: 0, FeatureIndex: 0, Command: { Vibrate: { Value: -3 } } },
  InputCmd: { Id: 1, DeviceIndex: 0, FeatureIndex: 0, Type: "Battery", Command: "Read" },
  StopCmd: { Id: 1 },
};

/** PROTOCOL.md §5.1, written out independently of the implementation's table. */
const MATRIX: Record<AnyClientMessageName, SpecVersion[]> = {
  RequestServerInfo: [0, 1, 2, 3, 4],
  Ping: [0, 1, 2, 3, 4],
  StartScanning: [0, 1, 2, 3, 4],
  StopScanning: [0, 1, 2, 3, 4],
  RequestDeviceList: [0, 1, 2, 3, 4],
  Test: [0, 1],
  RequestLog: [0, 1],
  StopDeviceCmd: [0, 1, 2, 3],
  StopAllDevices: [0, 1, 2, 3],
  SingleMotorVibrateCmd: [0, 1],
  FleshlightLaunchFW12Cmd: [0, 1],
  VorzeA10CycloneCmd: [0, 1],
  LovenseCmd: [0, 1],
  KiirooCmd: [0, 1],
  VibrateCmd: [1, 2, 3],
  RotateCmd: [1, 2, 3],
  LinearCmd: [1, 2, 3],
  BatteryLevelCmd: [2],
  RSSILevelCmd: [2],
  RawWriteCmd: [2, 3],
  RawReadCmd: [2, 3],
  RawSubscribeCmd: [2, 3],
  RawUnsubscribeCmd: [2, 3],
  ScalarCmd: [3],
  SensorReadCmd: [3],
  SensorSubscribeCmd: [3],
  SensorUnsubscribeCmd: [3],
  OutputCmd: [4],
  InputCmd: [4],
  StopCmd: [4],
};

Deno.test("availability matrix: every message parses exactly in its versions (§5.1)", () => {
  for (const [name, versions] of Object.entries(MATRIX)) {
    for (const version of [0, 1, 2, 3, 4] as SpecVersion[]) {
      const result = parseMessage(
        { [name]: structuredClone(EXAMPLES[name as AnyClientMessageName]) },
        version,
      );
      if (versions.includes(version)) {
        assert.equal(ok(result).name, name, `${name} in v${version}`);
      } else {
        assert.deepEqual(errorOf(result), [1, ErrorCode.Message], `${name} in v${version}`);
        assert.match((result as Error).message, /does not exist in spec version/);
      }
    }
  }
});

Deno.test("closed field sets: an extra field is ERROR_MSG with the Id, in every message", () => {
  for (const [name, versions] of Object.entries(MATRIX)) {
    const body = { ...EXAMPLES[name as AnyClientMessageName], Bogus: 1 };
    assert.deepEqual(errorOf(parseMessage({ [name]: body }, versions[0])), [1, 3], name);
  }
});

Deno.test("required fields: dropping any field but Id is ERROR_MSG with the Id", () => {
  const optional = new Set([
    "RawReadCmd.ExpectedLength",
    "RawReadCmd.WaitForData",
    "StopCmd.DeviceIndex",
  ]);
  for (const [name, versions] of Object.entries(MATRIX)) {
    for (const field of Object.keys(EXAMPLES[name as AnyClientMessageName])) {
      if (field === "Id" || optional.has(`${name}.${field}`)) continue;
      const body = { ...EXAMPLES[name as AnyClientMessageName] };
      delete body[field];
      assert.deepEqual(
        errorOf(parseMessage({ [name]: body }, versions[0])),
        [1, 3],
        `${name}.${field}`,
      );
    }
  }
});

Deno.test("Ids: 1..2^32-1 accepted; anything else ERROR_MSG with Id 0", () => {
  for (const id of [1, MAX_U32]) {
    assert.equal(ok(parseMessage({ Ping: { Id: id } }, 4)).body.Id, id);
  }
  for (const id of [0, -1, MAX_U32 + 1, 1.5, "1", null, true, [1], Number.NaN, Infinity]) {
    assert.deepEqual(errorOf(parseMessage({ Ping: { Id: id } }, 4)), [0, 3], String(id));
    assert.equal(readClientId({ Id: id }), 0);
  }
});

Deno.test("frames: text and in-process values; framing errors are one ERROR_MSG Id 0", () => {
  assert.equal(parseFrame('[{"Ping":{"Id":3}}]', 4).length, 1);
  assert.equal(parseFrame([{ Ping: { Id: 3 } }, { Ping: { Id: 4 } }], 4).length, 2);
  for (const frame of ["", "[", "{}", "[]", "null", '{"Ping":{"Id":1}}', 5, null, {}, []]) {
    const results = parseFrame(frame, 4);
    assert.equal(results.length, 1, JSON.stringify(frame));
    assert.deepEqual(errorOf(results[0]), [0, 3], JSON.stringify(frame));
  }
});

Deno.test("elements: not an object, zero or two keys, body not an object", () => {
  for (
    const element of [1, "Ping", null, [], [{ Ping: { Id: 1 } }], {}, { Ping: 1 }, { Ping: [1] }]
  ) {
    assert.deepEqual(errorOf(parseMessage(element, 4)), [0, 3], JSON.stringify(element));
  }
  assert.deepEqual(errorOf(parseMessage({ Ping: { Id: 5 }, Ok: { Id: 5 } }, 4)), [5, 3]);
  assert.deepEqual(errorOf(parseMessage({ Ping: { Id: 5 }, Ok: { Id: 6 } }, 4)), [0, 3]);
  // undefined keys (in-process) do not count
  assert.equal(ok(parseMessage({ Ping: { Id: 5 }, Ok: undefined }, 4)).name, "Ping");
});

Deno.test("unknown and server-only names: ERROR_MSG with the Id and a telling message", () => {
  const unknown = parseMessage({ Frobnicate: { Id: 9 } }, 4);
  assert.deepEqual(errorOf(unknown), [9, 3]);
  assert.match((unknown as Error).message, /unknown message type 'Frobnicate'/);
  for (
    const name of ["Ok", "Error", "ServerInfo", "DeviceAdded", "SensorReading", "InputReading"]
  ) {
    const result = parseMessage({ [name]: { Id: 9 } }, 3);
    assert.deepEqual(errorOf(result), [9, 3]);
    assert.match((result as Error).message, /server message/);
  }
  for (const name of ["__proto__", "constructor", "hasOwnProperty"]) {
    assert.deepEqual(errorOf(parseFrame(`[{"${name}":{"Id":9}}]`, 4)[0]), [9, 3], name);
  }
});

Deno.test("awaiting handshake: only RequestServerInfo; others ERROR_INIT with their Id", () => {
  assert.equal(
    ok(parseMessage({ RequestServerInfo: { Id: 1, ClientName: "" } }, undefined)).name,
    "RequestServerInfo",
  );
  assert.deepEqual(errorOf(parseMessage({ Ping: { Id: 4 } }, undefined)), [4, ErrorCode.Init]);
  assert.deepEqual(errorOf(parseMessage({ Frobnicate: { Id: 4 } }, undefined)), [
    4,
    ErrorCode.Init,
  ]);
  assert.deepEqual(errorOf(parseMessage({ Ping: { Id: 0 } }, undefined)), [0, ErrorCode.Init]);
  assert.deepEqual(errorOf(parseMessage(7, undefined)), [0, ErrorCode.Message]);
});

Deno.test("RequestServerInfo shapes and version negotiation (§2.3)", () => {
  const cases: [Record<string, unknown>, SpecVersion | [number, boolean]][] = [
    [{}, 0],
    [{ MessageVersion: 1 }, 1],
    [{ MessageVersion: 3 }, 3],
    [{ ProtocolVersionMajor: 4, ProtocolVersionMinor: 0 }, 4],
    [{ ProtocolVersionMajor: 4, ProtocolVersionMinor: 9 }, 4],
    [{ ProtocolVersionMajor: 4 }, 4],
    [{ ProtocolVersionMajor: 2, ProtocolVersionMinor: 0 }, 2],
    [{ ProtocolVersionMajor: 5, ProtocolVersionMinor: 0 }, [ErrorCode.Init, true]],
    [{ MessageVersion: 4 }, [ErrorCode.Init, false]],
  ];
  for (const [fields, expected] of cases) {
    const parsed = ok(
      parseMessage({ RequestServerInfo: { Id: 3, ClientName: "c", ...fields } }, undefined),
    );
    assert.equal(parsed.name, "RequestServerInfo");
    if (parsed.name !== "RequestServerInfo") continue;
    const n = negotiateSpecVersion(parsed.body);
    if (typeof expected === "number") {
      assert.ok(n.ok, JSON.stringify(fields));
      assert.equal(n.version, expected);
    } else {
      assert.ok(!n.ok, JSON.stringify(fields));
      assert.deepEqual([n.error.id, n.error.code, n.close], [3, ...expected]);
    }
  }
  const minorDefault = ok(parseMessage({
    RequestServerInfo: { Id: 3, ClientName: "c", ProtocolVersionMajor: 4 },
  }, undefined));
  assert.deepEqual(minorDefault.body, {
    Id: 3,
    ClientName: "c",
    ProtocolVersionMajor: 4,
    ProtocolVersionMinor: 0,
  });
  for (
    const bad of [
      { ClientName: "c", MessageVersion: 3, ProtocolVersionMajor: 4 },
      { ClientName: "c", ProtocolVersionMinor: 0 },
      { MessageVersion: 3 },
      { ClientName: 5 },
      { ClientName: "c", MessageVersion: -1 },
      { ClientName: "c", Extra: 1 },
    ]
  ) {
    assert.deepEqual(errorOf(parseMessage({ RequestServerInfo: { Id: 3, ...bad } }, undefined)), [
      3,
      3,
    ], JSON.stringify(bad));
  }
});

Deno.test("normalisation: InputCmd aliases, RSSI, ScalarCmd aliases, SensorType case", () => {
  const input = ok(parseMessage({
    InputCmd: { Id: 1, DeviceIndex: 0, FeatureIndex: 1, Type: "RSSI", Command: "subscribe" },
  }, 4));
  assert.deepEqual(input.body, {
    Id: 1,
    DeviceIndex: 0,
    FeatureIndex: 1,
    Type: "Rssi",
    Command: "Subscribe",
  });
  const scalar = ok(parseMessage({
    ScalarCmd: {
      Id: 1,
      DeviceIndex: 0,
      Scalars: [
        { Index: 0, Scalar: 0.5, ActuatorType: "hw_position_with_duration" },
        { Index: 1, Scalar: 0.5, ActuatorType: "oscillate" },
      ],
    },
  }, 3));
  assert.deepEqual(
    (scalar.body as { Scalars: { ActuatorType: string }[] }).Scalars.map((s) => s.ActuatorType),
    ["HwPositionWithDuration", "Oscillate"],
  );
  for (
    const [given, canonical] of [["BATTERY", "Battery"], ["rssi", "RSSI"], ["Rssi", "RSSI"], [
      "pressure",
      "Pressure",
    ]]
  ) {
    const sensor = ok(parseMessage({
      SensorReadCmd: { Id: 1, DeviceIndex: 0, SensorIndex: 0, SensorType: given },
    }, 3));
    assert.equal((sensor.body as { SensorType: string }).SensorType, canonical);
  }
  // Command keys of OutputCmd are exact: no aliases.
  assert.deepEqual(
    errorOf(
      parseMessage({
        OutputCmd: { Id: 1, DeviceIndex: 0, FeatureIndex: 0, Command: { vibrate: { Value: 1 } } },
      }, 4),
    ),
    [1, 3],
  );
  // Unknown InputCmd Type / Command strings are malformed.
  for (const [type, command] of [["Heat", "Read"], ["Battery", "Poll"], ["battery", "READ"]]) {
    assert.deepEqual(
      errorOf(
        parseMessage({
          InputCmd: { Id: 1, DeviceIndex: 0, FeatureIndex: 0, Type: type, Command: command },
        }, 4),
      ),
      [1, 3],
    );
  }
});

Deno.test("simple bodies are not copied (hot path)", () => {
  const element = {
    OutputCmd: { Id: 1, DeviceIndex: 0, FeatureIndex: 0, Command: { Vibrate: { Value: 1 } } },
  };
  assert.equal(ok(parseMessage(element, 4)).body, element.OutputCmd);
});

Deno.test("OutputCmd value rules: integers only, signed 32-bit, HwPositionWithDuration unsigned", () => {
  const out = (command: unknown) =>
    parseMessage({ OutputCmd: { Id: 2, DeviceIndex: 0, FeatureIndex: 0, Command: command } }, 4);
  ok(out({ Rotate: { Value: -2147483648 } }));
  ok(out({ Vibrate: { Value: 2147483647 } }));
  ok(out({ HwPositionWithDuration: { Value: 10, Duration: 0 } }));
  for (
    const bad of [
      { Vibrate: { Value: 2147483648 } },
      { Vibrate: { Value: 1.5 } },
      { Vibrate: {} },
      { Vibrate: 5 },
      { HwPositionWithDuration: { Value: -1, Duration: 5 } },
      { HwPositionWithDuration: { Value: 1, Duration: -5 } },
      { Position: { Value: 1, Duration: 5 } },
      { RotateWithDirection: { Value: 5, Clockwise: true } },
      { Inflate: { Value: 1 } },
    ]
  ) {
    assert.deepEqual(errorOf(out(bad)), [2, 3], JSON.stringify(bad));
  }
});

Deno.test("legacy value bounds: unit speeds, LinearCmd duration below 2^31, integer legacy fields", () => {
  const bad: [string, SpecVersion, Record<string, unknown>][] = [
    ["SingleMotorVibrateCmd", 0, { Id: 2, DeviceIndex: 0, Speed: 1.01 }],
    ["VibrateCmd", 1, { Id: 2, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: -0.01 }] }],
    ["VibrateCmd", 1, { Id: 2, DeviceIndex: 0, Speeds: [{ Index: -1, Speed: 0.5 }] }],
    ["RotateCmd", 2, { Id: 2, DeviceIndex: 0, Rotations: [] }],
    ["LinearCmd", 3, {
      Id: 2,
      DeviceIndex: 0,
      Vectors: [{ Index: 0, Duration: 2147483648, Position: 0 }],
    }],
    ["LinearCmd", 3, { Id: 2, DeviceIndex: 0, Vectors: [{ Index: 0, Duration: 5, Position: 2 }] }],
    ["LinearCmd", 3, { Id: 2, DeviceIndex: 0, Vectors: [{ Index: 0, Duration: 5 }] }],
    ["ScalarCmd", 3, {
      Id: 2,
      DeviceIndex: 0,
      Scalars: [{ Index: 0, Scalar: Infinity, ActuatorType: "Vibrate" }],
    }],
    ["VorzeA10CycloneCmd", 0, { Id: 2, DeviceIndex: 0, Speed: 101, Clockwise: true }],
    ["FleshlightLaunchFW12Cmd", 1, { Id: 2, DeviceIndex: 0, Position: 50, Speed: 50.5 }],
    ["RawWriteCmd", 2, {
      Id: 2,
      DeviceIndex: 0,
      Endpoint: "tx",
      Data: [],
      WriteWithResponse: true,
    }],
    ["SensorReadCmd", 3, { Id: 2, DeviceIndex: 0, SensorIndex: -1, SensorType: "Battery" }],
  ];
  for (const [name, version, body] of bad) {
    assert.deepEqual(
      errorOf(parseMessage({ [name]: body }, version)),
      [2, 3],
      `${name} ${JSON.stringify(body)}`,
    );
  }
  // Empty LinearCmd vectors are allowed; out-of-range Scalar is left to the device check.
  ok(parseMessage({ LinearCmd: { Id: 2, DeviceIndex: 0, Vectors: [] } }, 2));
  ok(
    parseMessage({
      ScalarCmd: {
        Id: 2,
        DeviceIndex: 0,
        Scalars: [{ Index: 0, Scalar: 7, ActuatorType: "Vibrate" }],
      },
    }, 3),
  );
  // RawReadCmd accepts the schema's Length as well as the docs' ExpectedLength.
  ok(
    parseMessage({
      RawReadCmd: { Id: 2, DeviceIndex: 0, Endpoint: "rx", Length: 4, WaitForData: true },
    }, 3),
  );
});

Deno.test("parse is fast enough for the hot path (smoke)", () => {
  const frame =
    '[{"OutputCmd":{"Id":7,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]';
  const start = performance.now();
  for (let i = 0; i < 20000; i++) parseFrame(frame, 4);
  const perMessage = (performance.now() - start) / 20000;
  assert.ok(perMessage < 0.05, `${perMessage.toFixed(4)} ms per frame`);
});

Deno.test("OutputCmd: a one-element Value array (npm buttplug@4.0.2) is read as its integer", () => {
  const sent = {
    OutputCmd: { Id: 3, DeviceIndex: 0, FeatureIndex: 1, Command: { Vibrate: { Value: [10] } } },
  };
  const result = parseMessage(sent, 4);
  assert.ok(!(result instanceof Error));
  assert.deepEqual(result.body, {
    Id: 3,
    DeviceIndex: 0,
    FeatureIndex: 1,
    Command: { Vibrate: { Value: 10 } },
  });
  // The client's object is left untouched.
  assert.deepEqual(sent.OutputCmd.Command.Vibrate.Value, [10]);
  for (const bad of [[], [1, 2], ["1"], [1.5]]) {
    const r = parseMessage(
      {
        OutputCmd: { Id: 4, DeviceIndex: 0, FeatureIndex: 0, Command: { Vibrate: { Value: bad } } },
      },
      4,
    );
    assert.ok(r instanceof Error, JSON.stringify(bad));
    assert.equal((r as ButtplugError).code, 3);
    assert.equal((r as ButtplugError).id, 4);
  }
});

Deno.test("message name unions match the v4 message unions", () => {
  // Compile-time: every v4 message key is a listed name and every listed name is a message.
  type ClientKeys = ClientMessageV4 extends infer M ? M extends unknown ? keyof M : never : never;
  type ServerKeys = ServerMessageV4 extends infer M ? M extends unknown ? keyof M : never : never;
  const client: [ClientKeys] extends [ClientMessageName]
    ? [ClientMessageName] extends [ClientKeys] ? true : false
    : false = true;
  const server: [ServerKeys] extends [ServerMessageName]
    ? [ServerMessageName] extends [ServerKeys] ? true : false
    : false = true;
  assert.ok(client && server);
});
