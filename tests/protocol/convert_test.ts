import assert from "node:assert/strict";
import { ButtplugError } from "../../protocol/errors.ts";
import type { DeviceFeature, SpecVersion } from "../../protocol/messages.ts";
import {
  batteryLevelReadingMessage,
  checkInput,
  checkOutput,
  deviceAddedMessage,
  deviceListMessage,
  devicesPayload,
  inputReadingMessage,
  type LegacyOutputCommand,
  type OutputOperation,
  resolveBattery,
  resolveSensorRead,
  sensorReadingMessage,
  serverInfoMessage,
  translateLegacyOutput,
} from "../../protocol/convert.ts";
import { DeviceViews } from "../../protocol/device_views.ts";
import { TEST_DEVICE_FEATURES } from "../../hardware/simulated.ts";

const fixture = new DeviceViews(0, {
  name: "Test Device",
  messageTimingGap: 100,
  features: TEST_DEVICE_FEATURES,
});

function device(features: DeviceFeature[], index = 0): DeviceViews {
  return new DeviceViews(index, { name: "Toy", messageTimingGap: 0, features });
}

function ops(command: LegacyOutputCommand, views = fixture): [number, string, number, number?][] {
  const result = translateLegacyOutput(command, views);
  assert.ok(!(result instanceof ButtplugError), `unexpected error ${(result as Error).message}`);
  return (result as OutputOperation[]).map((op) =>
    op.value.Duration === undefined
      ? [op.featureIndex, op.type, op.value.Value]
      : [op.featureIndex, op.type, op.value.Value, op.value.Duration]
  );
}

function fails(command: LegacyOutputCommand, code: number, views = fixture): string {
  const result = translateLegacyOutput(command, views);
  assert.ok(result instanceof ButtplugError, `expected an error, got ${JSON.stringify(result)}`);
  assert.equal(result.code, code);
  assert.equal(result.id, command.body.Id);
  return result.message;
}

Deno.test("ServerInfo per version (§2.4), exact key order", () => {
  const expected: Record<SpecVersion, string> = {
    0: '{"ServerInfo":{"Id":1,"MajorVersion":0,"MinorVersion":0,"BuildVersion":0,"MessageVersion":0,"MaxPingTime":0,"ServerName":"test"}}',
    1: '{"ServerInfo":{"Id":1,"MajorVersion":0,"MinorVersion":0,"BuildVersion":0,"MessageVersion":1,"MaxPingTime":0,"ServerName":"test"}}',
    2: '{"ServerInfo":{"Id":1,"MessageVersion":2,"MaxPingTime":0,"ServerName":"test"}}',
    3: '{"ServerInfo":{"Id":1,"MessageVersion":3,"MaxPingTime":0,"ServerName":"test"}}',
    4: '{"ServerInfo":{"Id":1,"ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"MaxPingTime":0,"ServerName":"test"}}',
  };
  for (const v of [0, 1, 2, 3, 4] as SpecVersion[]) {
    assert.equal(JSON.stringify(serverInfoMessage(v, 1, "test", 0)), expected[v]);
  }
});

Deno.test("worked examples of §7.3 (fixture device)", () => {
  assert.deepEqual(
    ops({ name: "SingleMotorVibrateCmd", body: { Id: 1, DeviceIndex: 0, Speed: 0.25 } }),
    [
      [0, "Vibrate", 5],
      [1, "Vibrate", 3],
    ],
  );
  assert.deepEqual(
    ops({ name: "SingleMotorVibrateCmd", body: { Id: 1, DeviceIndex: 0, Speed: 0.5 } }),
    [
      [0, "Vibrate", 10],
      [1, "Vibrate", 5],
    ],
  );
  assert.deepEqual(
    ops({
      name: "VibrateCmd",
      body: { Id: 1, DeviceIndex: 0, Speeds: [{ Index: 1, Speed: 0.21 }] },
    }),
    [
      [1, "Vibrate", 3],
    ],
  );
  assert.deepEqual(
    ops({
      name: "VibrateCmd",
      body: { Id: 1, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: 0.0000005 }] },
    }),
    [[0, "Vibrate", 0]],
  );
  assert.deepEqual(
    ops({
      name: "ScalarCmd",
      body: {
        Id: 1,
        DeviceIndex: 0,
        Scalars: [
          { Index: 0, Scalar: 0.31, ActuatorType: "Vibrate" },
          { Index: 1, Scalar: 0.31, ActuatorType: "Vibrate" },
        ],
      },
    }),
    [[0, "Vibrate", 7], [1, "Vibrate", 4]],
  );
  assert.deepEqual(
    ops({
      name: "ScalarCmd",
      body: { Id: 1, DeviceIndex: 0, Scalars: [{ Index: 2, Scalar: 0.5, ActuatorType: "Rotate" }] },
    }),
    [[2, "Rotate", 10]],
  );
  assert.deepEqual(
    ops({
      name: "RotateCmd",
      body: { Id: 1, DeviceIndex: 0, Rotations: [{ Index: 0, Speed: 0.5, Clockwise: false }] },
    }),
    [[2, "Rotate", -10]],
  );
  assert.deepEqual(
    ops({
      name: "LinearCmd",
      body: { Id: 1, DeviceIndex: 0, Vectors: [{ Index: 0, Duration: 500, Position: 0.29 }] },
    }),
    [[3, "HwPositionWithDuration", 28, 500]],
  );
});

Deno.test("rounding: ceil keeps IEEE artefacts, threshold, no negative zero", () => {
  const hundred = device([{
    FeatureIndex: 0,
    FeatureDescription: "",
    Output: { Vibrate: { Value: [0, 100] }, Rotate: { Value: [-100, 100] } },
  }]);
  // 0.55 * 100 = 55.00000000000001 -> ceil -> 56 (reference behaviour)
  assert.deepEqual(
    ops({
      name: "VibrateCmd",
      body: { Id: 1, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: 0.55 }] },
    }, hundred),
    [[0, "Vibrate", 56]],
  );
  // exactly the threshold is not below it
  assert.deepEqual(
    ops({
      name: "VibrateCmd",
      body: { Id: 1, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: 0.000001 }] },
    }, hundred),
    [[0, "Vibrate", 1]],
  );
  const [[, , zero]] = ops({
    name: "RotateCmd",
    body: { Id: 1, DeviceIndex: 0, Rotations: [{ Index: 0, Speed: 0, Clockwise: false }] },
  }, hundred);
  assert.ok(Object.is(zero, 0), "counter-clockwise 0 is +0");
  // LinearCmd truncates and has no threshold: 0.999 * 100 = 99.9 -> 99
  const stroker = device([{
    FeatureIndex: 5,
    FeatureDescription: "",
    Output: { HwPositionWithDuration: { Value: [0, 100], Duration: [0, 100000] } },
  }]);
  assert.deepEqual(
    ops({
      name: "LinearCmd",
      body: { Id: 1, DeviceIndex: 0, Vectors: [{ Index: 0, Duration: 0, Position: 0.999 }] },
    }, stroker),
    [[5, "HwPositionWithDuration", 99, 0]],
  );
});

Deno.test("ScalarCmd Position: ceil without the zero threshold; type must exist on the entry's feature", () => {
  const views = device([
    {
      FeatureIndex: 0,
      FeatureDescription: "",
      Output: { Position: { Value: [0, 100] }, Vibrate: { Value: [0, 10] } },
    },
  ]);
  // ScalarCmd list order for one feature: Position before Vibrate.
  assert.deepEqual(views.legacy.scalar.map((a) => a.type), ["Position", "Vibrate"]);
  assert.deepEqual(
    ops({
      name: "ScalarCmd",
      body: {
        Id: 1,
        DeviceIndex: 0,
        Scalars: [{ Index: 0, Scalar: 0.0000005, ActuatorType: "Position" }],
      },
    }, views),
    [[0, "Position", 1]],
  );
  // Any type the entry's feature has is accepted, whatever the entry advertises.
  assert.deepEqual(
    ops({
      name: "ScalarCmd",
      body: {
        Id: 1,
        DeviceIndex: 0,
        Scalars: [{ Index: 0, Scalar: 0.5, ActuatorType: "Vibrate" }],
      },
    }, views),
    [[0, "Vibrate", 5]],
  );
  fails(
    {
      name: "ScalarCmd",
      body: {
        Id: 4,
        DeviceIndex: 0,
        Scalars: [{ Index: 1, Scalar: 0.5, ActuatorType: "Oscillate" }],
      },
    },
    4,
    views,
  );
});

Deno.test("legacy errors are ERROR_DEVICE with the request Id", () => {
  const noActuators = device([{
    FeatureIndex: 0,
    FeatureDescription: "",
    Input: { Battery: { Value: [[0, 100]], Command: ["Read"] } },
  }]);
  fails(
    { name: "SingleMotorVibrateCmd", body: { Id: 3, DeviceIndex: 0, Speed: 0.5 } },
    4,
    noActuators,
  );
  assert.match(
    fails(
      { name: "VibrateCmd", body: { Id: 3, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: 0.5 }] } },
      4,
      noActuators,
    ),
    /DeviceFeatureCountMismatch/,
  );
  fails(
    {
      name: "RotateCmd",
      body: { Id: 3, DeviceIndex: 0, Rotations: [{ Index: 0, Speed: 0.5, Clockwise: true }] },
    },
    4,
    noActuators,
  );
  fails({ name: "LinearCmd", body: { Id: 3, DeviceIndex: 0, Vectors: [] } }, 4, noActuators);
  fails(
    {
      name: "ScalarCmd",
      body: {
        Id: 3,
        DeviceIndex: 0,
        Scalars: [{ Index: 0, Scalar: 0.5, ActuatorType: "Vibrate" }],
      },
    },
    4,
    noActuators,
  );
  // Index equal to the count errors (the reference panics there).
  assert.match(
    fails({
      name: "VibrateCmd",
      body: { Id: 3, DeviceIndex: 0, Speeds: [{ Index: 2, Speed: 0.5 }] },
    }, 4),
    /DeviceFeatureIndexError\(2, 2\)/,
  );
  fails({
    name: "RotateCmd",
    body: { Id: 3, DeviceIndex: 0, Rotations: [{ Index: 1, Speed: 0.5, Clockwise: true }] },
  }, 4);
  fails({
    name: "LinearCmd",
    body: { Id: 3, DeviceIndex: 0, Vectors: [{ Index: 1, Duration: 1, Position: 0.5 }] },
  }, 4);
  fails({
    name: "LinearCmd",
    body: { Id: 3, DeviceIndex: 0, Vectors: [{ Index: 0, Duration: 10001, Position: 0.5 }] },
  }, 4);
  fails({
    name: "ScalarCmd",
    body: { Id: 3, DeviceIndex: 0, Scalars: [{ Index: 0, Scalar: -0.1, ActuatorType: "Vibrate" }] },
  }, 4);
  fails({
    name: "ScalarCmd",
    body: { Id: 3, DeviceIndex: 0, Scalars: [{ Index: 0, Scalar: 1.5, ActuatorType: "Vibrate" }] },
  }, 4);
  fails({
    name: "ScalarCmd",
    body: {
      Id: 3,
      DeviceIndex: 0,
      Scalars: [{ Index: 2, Scalar: 0.5, ActuatorType: "HwPositionWithDuration" }],
    },
  }, 4);
});

Deno.test("all-or-nothing: one bad subcommand fails the message; good ones come sorted by feature", () => {
  fails({
    name: "ScalarCmd",
    body: {
      Id: 3,
      DeviceIndex: 0,
      Scalars: [{ Index: 0, Scalar: 0.5, ActuatorType: "Vibrate" }, {
        Index: 7,
        Scalar: 0.5,
        ActuatorType: "Vibrate",
      }],
    },
  }, 4);
  assert.deepEqual(
    ops({
      name: "ScalarCmd",
      body: {
        Id: 3,
        DeviceIndex: 0,
        Scalars: [
          { Index: 2, Scalar: 1, ActuatorType: "Rotate" },
          { Index: 0, Scalar: 0.1, ActuatorType: "Vibrate" },
          { Index: 0, Scalar: 0.2, ActuatorType: "Vibrate" },
        ],
      },
    }),
    [[0, "Vibrate", 2], [0, "Vibrate", 4], [2, "Rotate", 20]],
  );
});

Deno.test("unidirectional rotators are ScalarCmd-only; RotateCmd counts bidirectional ones", () => {
  const views = device([
    { FeatureIndex: 0, FeatureDescription: "uni", Output: { Rotate: { Value: [0, 10] } } },
    { FeatureIndex: 1, FeatureDescription: "bi", Output: { Rotate: { Value: [-30, 30] } } },
  ]);
  assert.deepEqual(
    ops({
      name: "RotateCmd",
      body: { Id: 1, DeviceIndex: 0, Rotations: [{ Index: 0, Speed: 1, Clockwise: false }] },
    }, views),
    [[1, "Rotate", -30]],
  );
  assert.deepEqual(
    ops({
      name: "ScalarCmd",
      body: { Id: 1, DeviceIndex: 0, Scalars: [{ Index: 0, Scalar: 1, ActuatorType: "Rotate" }] },
    }, views),
    [[0, "Rotate", 10]],
  );
});

Deno.test("checkOutput / checkInput errors (§5.9)", () => {
  const cases: [ReturnType<typeof checkOutput>, RegExp | null][] = [
    [checkOutput(fixture, 0, "Vibrate", { Value: 20 }, 1), null],
    [checkOutput(fixture, 2, "Rotate", { Value: -20 }, 1), null],
    [checkOutput(fixture, 9, "Vibrate", { Value: 1 }, 1), /DeviceFeatureIndexError/],
    [checkOutput(fixture, 4, "Vibrate", { Value: 1 }, 1), /has no outputs/],
    [checkOutput(fixture, 2, "Vibrate", { Value: 1 }, 1), /no Vibrate output \(it has Rotate\)/],
    [checkOutput(fixture, 0, "Vibrate", { Value: -1 }, 1), /outside 0\.\.20/],
    [checkOutput(fixture, 2, "Rotate", { Value: 21 }, 1), /outside -20\.\.20/],
    [checkOutput(fixture, 3, "HwPositionWithDuration", { Value: 100, Duration: 10000 }, 1), null],
    [
      checkOutput(fixture, 3, "HwPositionWithDuration", { Value: 1, Duration: 10001 }, 1),
      /Duration/,
    ],
  ];
  for (const [result, expected] of cases) {
    if (expected === null) assert.equal(result, null);
    else {
      assert.ok(result);
      assert.equal(result.code, 4);
      assert.match(result.message, expected);
    }
  }
  assert.equal(checkInput(fixture, 4, "Battery", "Read", 1), null);
  for (
    const [f, type, command] of [
      [4, "Battery", "Subscribe"],
      [4, "Battery", "Unsubscribe"],
      [4, "Rssi", "Read"],
      [0, "Battery", "Read"],
      [8, "Battery", "Read"],
    ] as const
  ) {
    assert.equal(checkInput(fixture, f, type, command, 1)?.code, 4, `${f} ${type} ${command}`);
  }
});

Deno.test("reading conversions: v4 InputReading, v3 SensorReading, v2 BatteryLevelReading", () => {
  assert.deepEqual(inputReadingMessage(2, 0, 4, "Battery", 75), {
    InputReading: { Id: 2, DeviceIndex: 0, FeatureIndex: 4, Reading: { Battery: { Value: 75 } } },
  });
  assert.deepEqual(sensorReadingMessage(2, 0, 0, "Battery", 75), {
    SensorReading: { Id: 2, DeviceIndex: 0, SensorIndex: 0, SensorType: "Battery", Data: [75] },
  });
  assert.deepEqual(batteryLevelReadingMessage(2, 0, 75), {
    BatteryLevelReading: { Id: 2, DeviceIndex: 0, BatteryLevel: 0.75 },
  });
  const battery = resolveBattery(fixture, 2);
  assert.ok(!(battery instanceof ButtplugError) && battery.featureIndex === 4);
  assert.equal((resolveBattery(device([]), 2) as ButtplugError).code, 4);
  const sensor = resolveSensorRead(fixture, {
    Id: 2,
    DeviceIndex: 0,
    SensorIndex: 0,
    SensorType: "Battery",
  });
  assert.ok(!(sensor instanceof ButtplugError) && sensor.featureIndex === 4);
  for (const [index, type] of [[1, "Battery"], [0, "RSSI"], [0, "Pressure"]] as const) {
    const r = resolveSensorRead(fixture, {
      Id: 2,
      DeviceIndex: 0,
      SensorIndex: index,
      SensorType: type,
    });
    assert.ok(r instanceof ButtplugError && r.code === 4 && r.id === 2);
  }
});

Deno.test("device list and events per version", () => {
  const second = new DeviceViews(3, {
    name: "B",
    messageTimingGap: 0,
    features: TEST_DEVICE_FEATURES,
  });
  const v4 = devicesPayload(4, [fixture, second]) as Record<string, unknown>;
  assert.deepEqual(Object.keys(v4), ["0", "3"]);
  assert.equal(v4["3"], second.info);
  const v1 = devicesPayload(1, [fixture, second]) as { DeviceIndex: number }[];
  assert.deepEqual(v1.map((d) => d.DeviceIndex), [0, 3]);
  assert.deepEqual(deviceListMessage(5, []), { DeviceList: { Id: 5, Devices: [] } });
  assert.deepEqual(deviceListMessage(0, {}), { DeviceList: { Id: 0, Devices: {} } });
  assert.equal(
    JSON.stringify(deviceAddedMessage(0, fixture)),
    '{"DeviceAdded":{"Id":0,"DeviceIndex":0,"DeviceName":"Test Device","DeviceMessages":["SingleMotorVibrateCmd","StopDeviceCmd"]}}',
  );
});
