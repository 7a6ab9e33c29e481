import assert from "node:assert/strict";
import type { DeviceFeature } from "../../protocol/messages.ts";
import { buildDeviceInfo, DeviceViews } from "../../protocol/device_views.ts";
import { TEST_DEVICE_FEATURES } from "../../hardware/simulated.ts";

const fixtureLine = JSON.parse(
  (await Deno.readTextFile(new URL("../fixtures/vectors.jsonl", import.meta.url))).split("\n")[0],
);

function views(features: readonly DeviceFeature[], displayName?: string): DeviceViews {
  return new DeviceViews(2, { name: "Toy", displayName, messageTimingGap: 50, features });
}

Deno.test("fixture device in every version: exact shape and key order (§6.1, §6.3-§6.6)", () => {
  const v = new DeviceViews(0, {
    name: "Test Device",
    messageTimingGap: 100,
    features: TEST_DEVICE_FEATURES,
  });
  assert.equal(JSON.stringify(v.view(4)), JSON.stringify(fixtureLine.device));
  for (const version of [3, 2, 1, 0] as const) {
    assert.equal(
      JSON.stringify(v.view(version)),
      JSON.stringify(fixtureLine.device_as_seen_by_version[`v${version}`]),
      `v${version}`,
    );
  }
});

Deno.test("v4: features sorted, empty ones omitted, unknown types dropped, display name only when set", () => {
  const info = buildDeviceInfo(7, {
    name: "Toy",
    messageTimingGap: 0,
    features: [
      { FeatureIndex: 5, FeatureDescription: "b", Output: { Led: { Value: [0, 1] } } },
      { FeatureIndex: 1, FeatureDescription: "none" },
      { FeatureIndex: 2, FeatureDescription: "empty", Output: {} },
      {
        FeatureIndex: 3,
        FeatureDescription: "a",
        Output: {
          Inflate: { Value: [0, 3] },
          Vibrate: { Value: [0, 3] },
        } as DeviceFeature["Output"],
      },
    ],
  });
  assert.deepEqual(Object.keys(info.DeviceFeatures), ["3", "5"]);
  assert.deepEqual(Object.keys(info.DeviceFeatures["3"].Output!), ["Vibrate"]);
  assert.equal("DeviceDisplayName" in info, false);
  assert.deepEqual(Object.keys(info), [
    "DeviceIndex",
    "DeviceName",
    "DeviceMessageTimingGap",
    "DeviceFeatures",
  ]);
  const named = buildDeviceInfo(7, {
    name: "Toy",
    displayName: "Mine",
    messageTimingGap: 0,
    features: [],
  });
  assert.deepEqual(Object.keys(named), [
    "DeviceIndex",
    "DeviceName",
    "DeviceDisplayName",
    "DeviceMessageTimingGap",
    "DeviceFeatures",
  ]);
  assert.ok(
    Object.isFrozen(info) && Object.isFrozen(info.DeviceFeatures["3"].Output!.Vibrate!.Value),
  );
});

Deno.test("v3 ScalarCmd: one entry per (feature, type), several types in reference order", () => {
  const v = views([
    {
      FeatureIndex: 0,
      FeatureDescription: "multi",
      Output: {
        Vibrate: { Value: [0, 10] },
        Spray: { Value: [0, 2] },
        Constrict: { Value: [0, 5] },
        Temperature: { Value: [-4, 4] },
        Led: { Value: [0, 255] },
        Oscillate: { Value: [0, 7] },
        Position: { Value: [0, 100] },
        Rotate: { Value: [0, 9] },
        HwPositionWithDuration: { Value: [0, 100], Duration: [0, 1000] },
      },
    },
  ]);
  const scalar = v.view(3).DeviceMessages.ScalarCmd!;
  assert.deepEqual(scalar.map((e) => e.ActuatorType), [
    "Constrict",
    "Temperature",
    "Led",
    "Oscillate",
    "Position",
    "Rotate",
    "Spray",
    "Vibrate",
  ]);
  assert.deepEqual(scalar.map((e) => e.StepCount), [5, 4, 255, 7, 100, 9, 2, 10]);
  assert.equal(
    v.view(3).DeviceMessages.RotateCmd,
    undefined,
    "unidirectional rotate is scalar-only",
  );
  assert.deepEqual(v.view(3).DeviceMessages.LinearCmd, [
    { FeatureDescriptor: "multi", ActuatorType: "Position", StepCount: 100 },
  ]);
  // v2/v1 only see the vibrator and the linear actuator.
  assert.deepEqual(v.view(2).DeviceMessages, {
    VibrateCmd: { FeatureCount: 1, StepCount: [10] },
    LinearCmd: { FeatureCount: 1, StepCount: [100] },
    StopDeviceCmd: {},
  });
});

Deno.test("inputs: only readable batteries reach v3/v2; other inputs are hidden", () => {
  const v = views([
    {
      FeatureIndex: 0,
      FeatureDescription: "rssi",
      Input: { Rssi: { Value: [[-100, 0]], Command: ["Read"] } },
    },
    {
      FeatureIndex: 1,
      FeatureDescription: "notify",
      Input: { Battery: { Value: [[0, 100]], Command: ["Subscribe"] } },
    },
    {
      FeatureIndex: 2,
      FeatureDescription: "bat",
      Input: { Battery: { Value: [[0, 100]], Command: ["Read", "Subscribe"] } },
    },
  ]);
  assert.deepEqual(v.view(3).DeviceMessages, {
    SensorReadCmd: [{ FeatureDescriptor: "bat", SensorType: "Battery", SensorRange: [[0, 100]] }],
    StopDeviceCmd: {},
  });
  assert.deepEqual(v.view(2).DeviceMessages, { BatteryLevelCmd: {}, StopDeviceCmd: {} });
  assert.deepEqual(v.view(1).DeviceMessages, { StopDeviceCmd: {} });
  assert.deepEqual(v.view(0).DeviceMessages, ["StopDeviceCmd"]);
  assert.equal(v.legacy.sensorRead[0].featureIndex, 2);
});

Deno.test("legacy indexes follow feature order; zero-step outputs are left out", () => {
  const v = views([
    { FeatureIndex: 9, FeatureDescription: "v9", Output: { Vibrate: { Value: [0, 3] } } },
    { FeatureIndex: 4, FeatureDescription: "v4", Output: { Vibrate: { Value: [0, 5] } } },
    { FeatureIndex: 6, FeatureDescription: "zero", Output: { Vibrate: { Value: [0, 0] } } },
    { FeatureIndex: 7, FeatureDescription: "bi", Output: { Rotate: { Value: [-8, 8] } } },
  ]);
  assert.deepEqual(v.legacy.vibrate.map((a) => a.featureIndex), [4, 9]);
  assert.deepEqual(v.legacy.rotate.map((a) => a.featureIndex), [7]);
  assert.deepEqual(v.view(1).DeviceMessages, {
    VibrateCmd: { FeatureCount: 2 },
    RotateCmd: { FeatureCount: 1 },
    StopDeviceCmd: {},
    SingleMotorVibrateCmd: {},
  });
  assert.deepEqual(v.view(0).DeviceMessages, ["SingleMotorVibrateCmd", "StopDeviceCmd"]);
  assert.deepEqual(v.view(3).DeviceMessages.ScalarCmd?.map((e) => e.FeatureDescriptor), [
    "v4",
    "bi",
    "v9",
  ]);
});

Deno.test("display name and timing gap: v3 and v4 only", () => {
  const v = views([], "Mine");
  assert.equal(v.view(4).DeviceDisplayName, "Mine");
  assert.equal(v.view(3).DeviceDisplayName, "Mine");
  assert.equal(v.view(3).DeviceMessageTimingGap, 50);
  assert.deepEqual(Object.keys(v.view(2)), ["DeviceIndex", "DeviceName", "DeviceMessages"]);
  assert.deepEqual(v.view(3).DeviceMessages, { StopDeviceCmd: {} });
});

Deno.test("views are cached and frozen", () => {
  const v = views(TEST_DEVICE_FEATURES);
  assert.equal(v.view(3), v.view(3));
  assert.ok(Object.isFrozen(v.view(1).DeviceMessages));
  assert.throws(() => {
    (v.view(0).DeviceMessages as string[]).push("x");
  }, TypeError);
});
