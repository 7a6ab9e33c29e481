/**
 * Malformed and invalid input: every frame gets the right Error (code and Id, PROTOCOL.md §1.5,
 * §1.5a, §4, §5.1), nothing reaches the device, and the session stays usable afterwards.
 */
import assert from "node:assert/strict";
import type { RawMessage, SpecVersion } from "../../protocol/messages.ts";
import { createSession, multisetMismatch } from "../_helpers/session_harness.ts";

interface Case {
  /** What is wrong. */
  readonly name: string;
  /** Session spec version (default 4). */
  readonly version?: SpecVersion;
  /** The frame: strings go verbatim, anything else is serialized. */
  readonly frame: unknown;
  /** Expected replies: `[Id, ErrorCode]` for errors, or a full message. */
  readonly expect: readonly ([number, number] | RawMessage)[];
}

const MSG = 3, DEV = 4, INIT = 1;
const out = (command: unknown, extra: Record<string, unknown> = {}) => [{
  OutputCmd: { Id: 2, DeviceIndex: 0, FeatureIndex: 0, Command: command, ...extra },
}];

const CASES: Case[] = [
  // Framing
  { name: "not JSON (truncated)", frame: '[{"Ping":{"Id":2}', expect: [[0, MSG]] },
  { name: "empty text frame", frame: "", expect: [[0, MSG]] },
  { name: "trailing garbage after the array", frame: '[{"Ping":{"Id":2}}] x', expect: [[0, MSG]] },
  {
    name: "two concatenated arrays",
    frame: '[{"Ping":{"Id":2}}][{"Ping":{"Id":3}}]',
    expect: [[0, MSG]],
  },
  { name: "JSON null", frame: "null", expect: [[0, MSG]] },
  { name: "JSON number", frame: "42", expect: [[0, MSG]] },
  { name: "JSON string", frame: '"Ping"', expect: [[0, MSG]] },
  { name: "bare object, not an array", frame: { Ping: { Id: 2 } }, expect: [[0, MSG]] },
  { name: "empty array", frame: [], expect: [[0, MSG]] },
  { name: "element is a number", frame: [1], expect: [[0, MSG]] },
  { name: "element is a string", frame: ["Ping"], expect: [[0, MSG]] },
  { name: "element is null", frame: [null], expect: [[0, MSG]] },
  { name: "element is an array", frame: [[{ Ping: { Id: 2 } }]], expect: [[0, MSG]] },
  { name: "element with no key", frame: [{}], expect: [[0, MSG]] },
  {
    name: "element with two keys, same Id",
    frame: [{ Ping: { Id: 2 }, StartScanning: { Id: 2 } }],
    expect: [[2, MSG]],
  },
  {
    name: "element with two keys, different Ids",
    frame: [{ Ping: { Id: 2 }, StartScanning: { Id: 3 } }],
    expect: [[0, MSG]],
  },
  { name: "message body is a number", frame: [{ Ping: 2 }], expect: [[0, MSG]] },
  { name: "message body is an array", frame: [{ Ping: [2] }], expect: [[0, MSG]] },
  // Names
  { name: "unknown message name", frame: [{ Frobnicate: { Id: 2 } }], expect: [[2, MSG]] },
  { name: "wrong case of a name", frame: [{ ping: { Id: 2 } }], expect: [[2, MSG]] },
  { name: "__proto__ as message name", frame: '[{"__proto__":{"Id":2}}]', expect: [[2, MSG]] },
  { name: "toString as message name", frame: [{ toString: { Id: 2 } }], expect: [[2, MSG]] },
  { name: "server-only message Ok", frame: [{ Ok: { Id: 2 } }], expect: [[2, MSG]] },
  {
    name: "server-only message DeviceList",
    frame: [{ DeviceList: { Id: 2, Devices: {} } }],
    expect: [[2, MSG]],
  },
  { name: "docs-only Disconnect", frame: [{ Disconnect: { Id: 2 } }], expect: [[2, MSG]] },
  {
    name: "v3 ScalarCmd in a v4 session",
    frame: [{
      ScalarCmd: {
        Id: 2,
        DeviceIndex: 0,
        Scalars: [{ Index: 0, Scalar: 0.5, ActuatorType: "Vibrate" }],
      },
    }],
    expect: [[2, MSG]],
  },
  {
    name: "v0 SingleMotorVibrateCmd in a v4 session",
    frame: [{ SingleMotorVibrateCmd: { Id: 2, DeviceIndex: 0, Speed: 0.5 } }],
    expect: [[2, MSG]],
  },
  {
    name: "v4 StopCmd in a v3 session",
    version: 3,
    frame: [{ StopCmd: { Id: 2 } }],
    expect: [[2, MSG]],
  },
  {
    name: "v1 VibrateCmd in a v0 session",
    version: 0,
    frame: [{ VibrateCmd: { Id: 2, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: 0.5 }] } }],
    expect: [[2, MSG]],
  },
  {
    name: "v2 BatteryLevelCmd in a v3 session",
    version: 3,
    frame: [{ BatteryLevelCmd: { Id: 2, DeviceIndex: 0 } }],
    expect: [[2, MSG]],
  },
  // Ids
  { name: "Id 0", frame: [{ Ping: { Id: 0 } }], expect: [[0, MSG]] },
  { name: "negative Id", frame: [{ Ping: { Id: -2 } }], expect: [[0, MSG]] },
  { name: "Id 2^32", frame: [{ Ping: { Id: 4294967296 } }], expect: [[0, MSG]] },
  { name: "fractional Id", frame: [{ Ping: { Id: 2.5 } }], expect: [[0, MSG]] },
  { name: "Id as a string", frame: [{ Ping: { Id: "2" } }], expect: [[0, MSG]] },
  { name: "Id 'NaN'", frame: [{ Ping: { Id: "NaN" } }], expect: [[0, MSG]] },
  { name: "Id 1e400 (Infinity)", frame: '[{"Ping":{"Id":1e400}}]', expect: [[0, MSG]] },
  { name: "Id null", frame: [{ Ping: { Id: null } }], expect: [[0, MSG]] },
  { name: "Id missing", frame: [{ Ping: {} }], expect: [[0, MSG]] },
  { name: "extra field", frame: [{ Ping: { Id: 2, Extra: 1 } }], expect: [[2, MSG]] },
  {
    name: "__proto__ as field name",
    frame: '[{"Ping":{"Id":2,"__proto__":{"x":1}}}]',
    expect: [[2, MSG]],
  },
  // OutputCmd
  {
    name: "OutputCmd without Command",
    frame: [{ OutputCmd: { Id: 2, DeviceIndex: 0, FeatureIndex: 0 } }],
    expect: [[2, MSG]],
  },
  {
    name: "OutputCmd fractional Value",
    frame: out({ Vibrate: { Value: 0.5 } }),
    expect: [[2, MSG]],
  },
  {
    name: "OutputCmd Value as string",
    frame: out({ Vibrate: { Value: "10" } }),
    expect: [[2, MSG]],
  },
  {
    name: "OutputCmd Value 2^31 (not an i32)",
    frame: out({ Vibrate: { Value: 2147483648 } }),
    expect: [[2, MSG]],
  },
  {
    name: "OutputCmd huge Value 1e308",
    frame:
      '[{"OutputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1e308}}}}]',
    expect: [[2, MSG]],
  },
  { name: "OutputCmd empty Command", frame: out({}), expect: [[2, MSG]] },
  {
    name: "OutputCmd two Command keys",
    frame: out({ Vibrate: { Value: 1 }, Rotate: { Value: 1 } }),
    expect: [[2, MSG]],
  },
  { name: "OutputCmd unknown type", frame: out({ Inflate: { Value: 1 } }), expect: [[2, MSG]] },
  {
    name: "OutputCmd alias as Command key",
    frame: out({ vibrate: { Value: 1 } }),
    expect: [[2, MSG]],
  },
  {
    name: "OutputCmd extra parameter",
    frame: out({ Vibrate: { Value: 1, Clockwise: true } }),
    expect: [[2, MSG]],
  },
  {
    name: "OutputCmd HwPositionWithDuration without Duration",
    frame: [{
      OutputCmd: {
        Id: 2,
        DeviceIndex: 0,
        FeatureIndex: 3,
        Command: { HwPositionWithDuration: { Value: 10 } },
      },
    }],
    expect: [[2, MSG]],
  },
  {
    name: "OutputCmd negative DeviceIndex",
    frame: out({ Vibrate: { Value: 1 } }, { DeviceIndex: -1 }),
    expect: [[2, MSG]],
  },
  {
    name: "OutputCmd fractional FeatureIndex",
    frame: out({ Vibrate: { Value: 1 } }, { FeatureIndex: 0.5 }),
    expect: [[2, MSG]],
  },
  {
    name: "OutputCmd unknown device",
    frame: out({ Vibrate: { Value: 1 } }, { DeviceIndex: 5 }),
    expect: [[2, DEV]],
  },
  {
    name: "OutputCmd unknown feature",
    frame: out({ Vibrate: { Value: 1 } }, { FeatureIndex: 9 }),
    expect: [[2, DEV]],
  },
  {
    name: "OutputCmd feature without outputs (battery)",
    frame: out({ Vibrate: { Value: 1 } }, { FeatureIndex: 4 }),
    expect: [[2, DEV]],
  },
  {
    name: "OutputCmd value above range",
    frame: out({ Vibrate: { Value: 21 } }),
    expect: [[2, DEV]],
  },
  {
    name: "OutputCmd Duration above range",
    frame: [{
      OutputCmd: {
        Id: 2,
        DeviceIndex: 0,
        FeatureIndex: 3,
        Command: { HwPositionWithDuration: { Value: 10, Duration: 10001 } },
      },
    }],
    expect: [[2, DEV]],
  },
  // InputCmd / StopCmd
  {
    name: "InputCmd unknown Type",
    frame: [{
      InputCmd: { Id: 2, DeviceIndex: 0, FeatureIndex: 4, Type: "Heat", Command: "Read" },
    }],
    expect: [[2, MSG]],
  },
  {
    name: "InputCmd unknown Command",
    frame: [{
      InputCmd: { Id: 2, DeviceIndex: 0, FeatureIndex: 4, Type: "Battery", Command: "Poll" },
    }],
    expect: [[2, MSG]],
  },
  {
    name: "InputCmd unknown feature",
    frame: [{
      InputCmd: { Id: 2, DeviceIndex: 0, FeatureIndex: 9, Type: "Battery", Command: "Read" },
    }],
    expect: [[2, DEV]],
  },
  {
    name: "StopCmd Inputs not a boolean",
    frame: [{ StopCmd: { Id: 2, Inputs: "yes" } }],
    expect: [[2, MSG]],
  },
  {
    name: "StopCmd unknown device",
    frame: [{ StopCmd: { Id: 2, DeviceIndex: 3 } }],
    expect: [[2, DEV]],
  },
  {
    name: "StopCmd unknown feature",
    frame: [{ StopCmd: { Id: 2, DeviceIndex: 0, FeatureIndex: 9 } }],
    expect: [[2, DEV]],
  },
  // Handshake
  {
    name: "second RequestServerInfo",
    frame: [{
      RequestServerInfo: {
        Id: 2,
        ClientName: "x",
        ProtocolVersionMajor: 4,
        ProtocolVersionMinor: 0,
      },
    }],
    expect: [[2, INIT]],
  },
  {
    name: "malformed RequestServerInfo after the handshake",
    frame: [{ RequestServerInfo: { Id: 2 } }],
    expect: [[2, MSG]],
  },
  // Batches
  {
    name: "batch: a good and a bad element are handled independently",
    frame: [{ Ping: { Id: 2 } }, { Ping: { Id: 0 } }, 7, { Frobnicate: { Id: 3 } }],
    expect: [{ Ok: { Id: 2 } }, [0, MSG], [0, MSG], [3, MSG]],
  },
  // Old versions
  {
    name: "v3 ScalarCmd with empty Scalars",
    version: 3,
    frame: [{ ScalarCmd: { Id: 2, DeviceIndex: 0, Scalars: [] } }],
    expect: [[2, MSG]],
  },
  {
    name: "v3 ScalarCmd unknown ActuatorType (old Inflate)",
    version: 3,
    frame: [{
      ScalarCmd: {
        Id: 2,
        DeviceIndex: 0,
        Scalars: [{ Index: 0, Scalar: 0.5, ActuatorType: "Inflate" }],
      },
    }],
    expect: [[2, MSG]],
  },
  {
    name: "v3 ScalarCmd Scalar 'NaN'",
    version: 3,
    frame: [{
      ScalarCmd: {
        Id: 2,
        DeviceIndex: 0,
        Scalars: [{ Index: 0, Scalar: "NaN", ActuatorType: "Vibrate" }],
      },
    }],
    expect: [[2, MSG]],
  },
  {
    name: "v3 ScalarCmd HwPositionWithDuration actuator",
    version: 3,
    frame: [{
      ScalarCmd: {
        Id: 2,
        DeviceIndex: 0,
        Scalars: [{ Index: 0, Scalar: 0.5, ActuatorType: "HwPositionWithDuration" }],
      },
    }],
    expect: [[2, DEV]],
  },
  {
    name: "v3 VibrateCmd negative speed",
    version: 3,
    frame: [{ VibrateCmd: { Id: 2, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: -0.1 }] } }],
    expect: [[2, MSG]],
  },
  {
    name: "v2 VibrateCmd speed above 1",
    version: 2,
    frame: [{ VibrateCmd: { Id: 2, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: 1.0000001 }] } }],
    expect: [[2, MSG]],
  },
  {
    name: "v2 VibrateCmd empty Speeds",
    version: 2,
    frame: [{ VibrateCmd: { Id: 2, DeviceIndex: 0, Speeds: [] } }],
    expect: [[2, MSG]],
  },
  {
    name: "v3 LinearCmd Duration 2^31",
    version: 3,
    frame: [{
      LinearCmd: {
        Id: 2,
        DeviceIndex: 0,
        Vectors: [{ Index: 0, Duration: 2147483648, Position: 0.5 }],
      },
    }],
    expect: [[2, MSG]],
  },
  {
    name: "v3 LinearCmd fractional Duration",
    version: 3,
    frame: [{
      LinearCmd: { Id: 2, DeviceIndex: 0, Vectors: [{ Index: 0, Duration: 1.5, Position: 0.5 }] },
    }],
    expect: [[2, MSG]],
  },
  {
    name: "v3 LinearCmd Duration above the advertised range",
    version: 3,
    frame: [{
      LinearCmd: { Id: 2, DeviceIndex: 0, Vectors: [{ Index: 0, Duration: 10001, Position: 0.5 }] },
    }],
    expect: [[2, DEV]],
  },
  {
    name: "v3 RotateCmd missing Clockwise",
    version: 3,
    frame: [{ RotateCmd: { Id: 2, DeviceIndex: 0, Rotations: [{ Index: 0, Speed: 0.5 }] } }],
    expect: [[2, MSG]],
  },
  {
    name: "v3 RotateCmd index past the rotators",
    version: 3,
    frame: [{
      RotateCmd: { Id: 2, DeviceIndex: 0, Rotations: [{ Index: 1, Speed: 0.5, Clockwise: true }] },
    }],
    expect: [[2, DEV]],
  },
  {
    name: "v3 SensorReadCmd unknown SensorType",
    version: 3,
    frame: [{ SensorReadCmd: { Id: 2, DeviceIndex: 0, SensorIndex: 0, SensorType: "Heat" } }],
    expect: [[2, MSG]],
  },
  {
    name: "v3 SensorReadCmd RSSI (valid, not offered)",
    version: 3,
    frame: [{ SensorReadCmd: { Id: 2, DeviceIndex: 0, SensorIndex: 0, SensorType: "RSSI" } }],
    expect: [[2, DEV]],
  },
  {
    name: "v3 SensorReadCmd SensorIndex past the sensors",
    version: 3,
    frame: [{ SensorReadCmd: { Id: 2, DeviceIndex: 0, SensorIndex: 1, SensorType: "Battery" } }],
    expect: [[2, DEV]],
  },
  {
    name: "v3 RawReadCmd (never offered)",
    version: 3,
    frame: [{
      RawReadCmd: { Id: 2, DeviceIndex: 0, Endpoint: "rx", Length: 0, WaitForData: false },
    }],
    expect: [[2, DEV]],
  },
  {
    name: "v2 RawWriteCmd with a byte above 255",
    version: 2,
    frame: [{
      RawWriteCmd: { Id: 2, DeviceIndex: 0, Endpoint: "tx", Data: [256], WriteWithResponse: false },
    }],
    expect: [[2, MSG]],
  },
  {
    name: "v2 BatteryLevelCmd unknown device",
    version: 2,
    frame: [{ BatteryLevelCmd: { Id: 2, DeviceIndex: 7 } }],
    expect: [[2, DEV]],
  },
  {
    name: "v1 RequestLog is refused",
    version: 1,
    frame: [{ RequestLog: { Id: 2, LogLevel: "Trace" } }],
    expect: [[2, MSG]],
  },
  {
    name: "v1 RequestLog with an unknown level",
    version: 1,
    frame: [{ RequestLog: { Id: 2, LogLevel: "Loud" } }],
    expect: [[2, MSG]],
  },
  {
    name: "v1 LovenseCmd is refused whatever the device index",
    version: 1,
    frame: [{ LovenseCmd: { Id: 2, DeviceIndex: 9, Command: "Vibrate:20;" } }],
    expect: [[2, MSG]],
  },
  {
    name: "v1 FleshlightLaunchFW12Cmd Position out of bounds",
    version: 1,
    frame: [{ FleshlightLaunchFW12Cmd: { Id: 2, DeviceIndex: 0, Position: 100, Speed: 50 } }],
    expect: [[2, MSG]],
  },
  {
    name: "v0 StopDeviceCmd unknown device",
    version: 0,
    frame: [{ StopDeviceCmd: { Id: 2, DeviceIndex: 4 } }],
    expect: [[2, DEV]],
  },
];

/** A valid command for each version, its expected reply, and its effect on the device. */
const PROBES: Record<SpecVersion, { frame: unknown; reply: RawMessage; vibrate: number }> = {
  4: {
    frame: out({ Vibrate: { Value: 10 } }, { Id: 99 }),
    reply: { Ok: { Id: 99 } },
    vibrate: 10,
  },
  3: {
    frame: [{
      ScalarCmd: {
        Id: 99,
        DeviceIndex: 0,
        Scalars: [{ Index: 0, Scalar: 0.5, ActuatorType: "Vibrate" }],
      },
    }],
    reply: { Ok: { Id: 99 } },
    vibrate: 10,
  },
  2: {
    frame: [{ VibrateCmd: { Id: 99, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: 0.5 }] } }],
    reply: { Ok: { Id: 99 } },
    vibrate: 10,
  },
  1: {
    frame: [{ VibrateCmd: { Id: 99, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: 0.5 }] } }],
    reply: { Ok: { Id: 99 } },
    vibrate: 10,
  },
  0: {
    frame: [{ SingleMotorVibrateCmd: { Id: 99, DeviceIndex: 0, Speed: 0.5 } }],
    reply: { Ok: { Id: 99 } },
    vibrate: 10,
  },
};

Deno.test("bad input table has at least 40 cases with unique names", () => {
  assert.ok(CASES.length >= 40, `${CASES.length} cases`);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
});

for (const c of CASES) {
  const version = c.version ?? 4;
  Deno.test(`bad input (v${version}): ${c.name}`, async () => {
    await using s = await createSession({ schemaVersion: version });
    await s.handshake(version);
    await s.send(c.frame);
    const expected = c.expect.map((e) =>
      Array.isArray(e) ? { Error: { Id: e[0], ErrorCode: e[1], ErrorMessage: "*" } } : e
    );
    const replies = s.take();
    assert.equal(multisetMismatch(replies, expected), null, multisetMismatch(replies, expected)!);
    for (const reply of replies) {
      if ("Error" in reply) {
        const message = reply.Error.ErrorMessage;
        assert.ok(typeof message === "string" && message.length > 0, "a readable ErrorMessage");
      }
    }
    assert.equal(s.device?.history.length, 0, "nothing reached the device");

    // The session is still usable.
    const probe = PROBES[version];
    await s.send(probe.frame);
    assert.deepEqual(s.take(), [probe.reply]);
    assert.equal(s.device?.outputValue(0, "Vibrate"), probe.vibrate);
    assert.equal(s.server.state, "connected");
    assert.deepEqual(s.schemaErrors, []);
  });
}

Deno.test("bad input before the handshake: framing errors are ERROR_MSG, messages ERROR_INIT", async () => {
  await using s = await createSession();
  await s.send("not json");
  await s.send([{ Frobnicate: { Id: 4 } }]);
  await s.send([{ RequestDeviceList: { Id: 5 } }]);
  await s.send([{ RequestServerInfo: { Id: 6, ClientName: "x", Extra: true } }]);
  await s.send([{ RequestServerInfo: { Id: 7, ClientName: 3, MessageVersion: 3 } }]);
  await s.send([{ RequestServerInfo: { Id: 8, ClientName: "x", ProtocolVersionMinor: 0 } }]);
  assert.deepEqual(
    s.take().map((m) => [m.Error?.Id, m.Error?.ErrorCode]),
    [[0, MSG], [4, INIT], [5, INIT], [6, MSG], [7, MSG], [8, MSG]],
  );
  assert.equal(s.server.state, "awaiting-handshake");
  await s.handshake(3, 9);
  assert.equal(s.server.specVersion, 3);
});
