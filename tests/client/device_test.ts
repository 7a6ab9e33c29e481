import assert from "node:assert/strict";
import { ButtplugClient } from "../../client/client.ts";
import { percentToSteps } from "../../client/device.ts";
import type { ClientInputReading } from "../../client/events.ts";
import { InProcessConnector } from "../../client/in_process_connector.ts";
import { ButtplugDeviceError } from "../../protocol/errors.ts";
import type { DeviceInfo } from "../../protocol/messages.ts";
import { flushMicrotasks } from "../_helpers/fake_clock.ts";
import { FakeServer, SENSOR_DEVICE, TEST_DEVICE } from "./_fake_server.ts";

async function setup(devices: DeviceInfo[] = [TEST_DEVICE, SENSOR_DEVICE]) {
  const server = new FakeServer({ devices });
  const client = new ButtplugClient("device tests");
  await client.connect(new InProcessConnector(server.factory));
  return { server, client, device: client.devices.get(devices[0].DeviceIndex)! };
}

/** Asserts that `promise` rejects with a ButtplugDeviceError matching `pattern` and nothing was sent. */
async function refused(server: FakeServer, promise: Promise<unknown>, pattern: RegExp) {
  const before = server.received.length;
  await assert.rejects(
    promise,
    (err) => err instanceof ButtplugDeviceError && pattern.test(err.message),
  );
  assert.equal(server.received.length, before, "nothing may be sent");
}

Deno.test("percentToSteps follows the Rust client rule (§9)", () => {
  assert.equal(percentToSteps(0.5, [0, 20]), 10);
  assert.equal(percentToSteps(0.55, [0, 100]), 56); // 55.00000000000001 → ceil
  assert.equal(percentToSteps(0.01, [0, 20]), 1); // 0.2 → ceil
  assert.equal(percentToSteps(1, [0, 20]), 20);
  assert.equal(percentToSteps(0.00000005, [0, 20]), 0); // 1e-6 is not > 1e-6 → floor
  assert.equal(percentToSteps(0.0000001, [0, 20]), 1); // 2e-6 > 1e-6 → ceil
  assert.equal(percentToSteps(-0.5, [-20, 20]), -10);
  assert.equal(percentToSteps(-0.51, [-20, 20]), -11); // -10.2 → floor
  assert.ok(Object.is(percentToSteps(-0, [-20, 20]), 0), "no negative zero");
});

Deno.test("device properties and feature queries", async () => {
  const { client } = await setup();
  await using _ = client;
  const test = client.devices.get(0)!;
  const sensor = client.devices.get(3)!;
  assert.equal(test.index, 0);
  assert.equal(test.name, "Test Device");
  assert.equal(test.displayName, undefined);
  assert.equal(test.messageTimingGap, 100);
  assert.deepEqual(test.features.map((f) => f.FeatureIndex), [0, 1, 2, 3, 4]);
  assert.equal(test.hasOutput("Vibrate"), true);
  assert.equal(test.hasOutput("Oscillate"), false);
  assert.equal(test.hasInput("Battery", "Read"), true);
  assert.equal(test.hasInput("Battery", "Subscribe"), false);
  assert.deepEqual(sensor.features.map((f) => f.FeatureIndex), [0, 1, 2, 5]);
  assert.equal(sensor.displayName, "My Sensor");
  assert.equal(sensor.feature(5)?.FeatureDescription, "Servo");
  assert.equal(sensor.feature(3), undefined);
  assert.equal(test.connected, true);
  assert.ok(Object.isFrozen(test.features[0]));
});

Deno.test("vibrate drives every vibrator in one frame, or one speed per vibrator", async () => {
  const { client, server, device } = await setup();
  await using _ = client;
  const frames = server.frames.length;
  await device.vibrate(0.5);
  assert.equal(server.frames.length, frames + 1, "one frame for all vibrators");
  assert.deepEqual(server.frames[frames], [
    { OutputCmd: { Id: 3, DeviceIndex: 0, FeatureIndex: 0, Command: { Vibrate: { Value: 10 } } } },
    { OutputCmd: { Id: 4, DeviceIndex: 0, FeatureIndex: 1, Command: { Vibrate: { Value: 5 } } } },
  ]);
  await device.vibrate([0.1, 1]);
  await device.vibrate([0.25]);
  assert.deepEqual(server.outputs.map((o) => [o.feature, o.value]), [
    [0, 10],
    [1, 5],
    [0, 2],
    [1, 10],
    [0, 5],
  ]);
});

Deno.test("vibrate refuses bad speeds before sending anything", async () => {
  const { client, server, device } = await setup();
  await using _ = client;
  await refused(server, device.vibrate(1.01), /Vibrate value must be a number in 0\.\.1/);
  await refused(server, device.vibrate(-0.1), /0\.\.1/);
  await refused(server, device.vibrate(NaN), /0\.\.1/);
  await refused(server, device.vibrate([0.5, 0.5, 0.5]), /has 2 Vibrate output\(s\) but got 3/);
  await refused(server, device.vibrate([]), /but got 0/);
  await refused(server, device.vibrate([0.5, 2]), /0\.\.1/); // all-or-nothing
  await refused(server, device.oscillate(0.5), /has no Oscillate output/);
});

Deno.test("rotate uses the signed range for both directions", async () => {
  const unidirectional: DeviceInfo = {
    DeviceIndex: 1,
    DeviceName: "Spinner",
    DeviceMessageTimingGap: 0,
    DeviceFeatures: {
      "0": { FeatureIndex: 0, FeatureDescription: "", Output: { Rotate: { Value: [0, 8] } } },
    },
  };
  const { client, server, device } = await setup([TEST_DEVICE, unidirectional]);
  await using _ = client;
  await device.rotate(0.5);
  await device.rotate(0.5, false);
  await device.rotate(1, false);
  await device.rotate(0, false);
  assert.deepEqual(server.outputs.map((o) => [o.feature, o.type, o.value]), [
    [2, "Rotate", 10],
    [2, "Rotate", -10],
    [2, "Rotate", -20],
    [2, "Rotate", 0],
  ]);
  const spinner = client.devices.get(1)!;
  await spinner.rotate(0.5);
  assert.equal(server.outputs[4].value, 4);
  await refused(server, spinner.rotate(0.5, false), /Rotate value -4 is outside .* range \[0, 8\]/);
});

Deno.test("linear sends HwPositionWithDuration with a checked duration", async () => {
  const { client, server, device } = await setup();
  await using _ = client;
  await device.linear(0.9, 150);
  await device.linear(0, 10_000);
  await device.linear(1, 0.4); // rounds to 0 ms
  assert.deepEqual(server.outputs.map((o) => [o.feature, o.type, o.value, o.duration]), [
    [3, "HwPositionWithDuration", 90, 150],
    [3, "HwPositionWithDuration", 0, 10_000],
    [3, "HwPositionWithDuration", 100, 0],
  ]);
  await refused(server, device.linear(0.5, 10_001), /duration 10001 ms is outside .* \[0, 10000\]/);
  await refused(server, device.linear(0.5, -1), /needs a duration/);
  await refused(server, device.linear(1.5, 100), /0\.\.1/);
  await refused(server, device.position(0.5), /has no Position output/);
});

Deno.test("position, oscillate and constrict reach their features", async () => {
  const { client, server } = await setup();
  await using _ = client;
  const sensor = client.devices.get(3)!;
  await sensor.position(0.5);
  await sensor.oscillate(1);
  await sensor.constrict(0.5);
  assert.deepEqual(server.outputs.map((o) => [o.device, o.feature, o.type, o.value]), [
    [3, 5, "Position", 25],
    [3, 0, "Oscillate", 15],
    [3, 1, "Constrict", 3],
  ]);
});

Deno.test("output takes steps or percent and validates against the range", async () => {
  const { client, server, device } = await setup();
  await using _ = client;
  await device.output(0, "Vibrate", { steps: 20 });
  await device.output(2, "Rotate", { percent: -0.25 });
  await device.output(3, "HwPositionWithDuration", { steps: 42, durationMs: 300 });
  assert.deepEqual(server.outputs.map((o) => [o.feature, o.value, o.duration]), [
    [0, 20, undefined],
    [2, -5, undefined],
    [3, 42, 300],
  ]);
  await refused(server, device.output(0, "Vibrate", { steps: 21 }), /value 21 is outside/);
  await refused(server, device.output(0, "Vibrate", { steps: -1 }), /value -1 is outside/);
  await refused(server, device.output(0, "Vibrate", { steps: 1.5 }), /must be an integer/);
  await refused(server, device.output(0, "Vibrate", { percent: -0.5 }), /value -10 is outside/);
  await refused(server, device.output(0, "Vibrate", { percent: 2 }), /-1\.\.1/);
  await refused(server, device.output(0, "Rotate", { steps: 1 }), /feature 0 has no Rotate/);
  await refused(server, device.output(9, "Vibrate", { steps: 1 }), /has no feature 9/);
  await refused(
    server,
    device.output(0, "Vibrate", { steps: 1, durationMs: 5 }),
    /duration only applies/,
  );
  await refused(
    server,
    device.output(3, "HwPositionWithDuration", { steps: 1 }),
    /needs a duration/,
  );
});

Deno.test("stop sends StopCmd for the device or one feature", async () => {
  const { client, server, device } = await setup();
  await using _ = client;
  await device.stop();
  await device.stop({ featureIndex: 2, inputs: false });
  assert.deepEqual(server.messages("StopCmd").slice(0, 2), [
    { Id: 3, DeviceIndex: 0 },
    { Id: 4, DeviceIndex: 0, FeatureIndex: 2, Inputs: false },
  ]);
  await refused(server, device.stop({ featureIndex: 7 }), /has no feature 7/);
});

Deno.test("battery reads the Battery input as a fraction; readInput returns raw values", async () => {
  const { client, server, device } = await setup();
  await using _ = client;
  assert.equal(await device.battery(), 0.75);
  assert.deepEqual(server.messages("InputCmd")[0], {
    Id: 3,
    DeviceIndex: 0,
    FeatureIndex: 4,
    Type: "Battery",
    Command: "Read",
  });
  server.batteryLevel = 5;
  assert.equal(await device.readInput(4, "Battery"), 5);
  const sensor = client.devices.get(3)!;
  assert.equal(await sensor.readInput(2, "Pressure"), 1234);
  await refused(server, sensor.battery(), /has no readable Battery input/);
  await refused(server, device.readInput(0, "Battery"), /feature 0 has no Battery input/);
});

Deno.test("subscribeInput: Subscribe once, readings to listeners, Unsubscribe when none left", async () => {
  const { client, server } = await setup();
  await using _ = client;
  const sensor = client.devices.get(3)!;
  const first: ClientInputReading[] = [];
  const second: number[] = [];
  const events: number[] = [];
  sensor.addEventListener("reading", (e) => events.push(e.reading.value));
  const firstListener = (r: ClientInputReading) => first.push(r);
  const secondListener = (r: ClientInputReading) => second.push(r.value);
  await sensor.subscribeInput(2, "Pressure", firstListener);
  await sensor.subscribeInput(2, "Pressure", secondListener);
  assert.equal(server.messages("InputCmd").length, 1);
  assert.deepEqual(server.messages("InputCmd")[0], {
    Id: 3,
    DeviceIndex: 3,
    FeatureIndex: 2,
    Type: "Pressure",
    Command: "Subscribe",
  });
  assert.equal(sensor.isSubscribed(2, "Pressure"), true);

  const reading = (value: number, device = 3) =>
    server.session.send({
      InputReading: {
        Id: 0,
        DeviceIndex: device,
        FeatureIndex: 2,
        Reading: { Pressure: { Value: value } },
      },
    });
  reading(1500);
  reading(99, 0); // another device: not ours
  await flushMicrotasks();
  assert.deepEqual(first, [{ featureIndex: 2, type: "Pressure", value: 1500 }]);
  assert.deepEqual(second, [1500]);
  assert.deepEqual(events, [1500]);

  await sensor.unsubscribeInput(2, "Pressure", firstListener);
  assert.equal(server.messages("InputCmd").length, 1, "still one listener: no Unsubscribe");
  reading(1600);
  await flushMicrotasks();
  assert.equal(first.length, 1);
  assert.deepEqual(second, [1500, 1600]);

  await sensor.unsubscribeInput(2, "Pressure", secondListener);
  assert.equal(server.messages("InputCmd")[1].Command, "Unsubscribe");
  assert.equal(sensor.isSubscribed(2, "Pressure"), false);
  reading(1700);
  await flushMicrotasks();
  assert.deepEqual(second, [1500, 1600]);
  assert.deepEqual(events, [1500, 1600, 1700], "reading events still flow to plain listeners");
});

Deno.test("subscribeInput is refused when the input does not list Subscribe", async () => {
  const { client, server, device } = await setup();
  await using _ = client;
  await refused(
    server,
    device.subscribeInput(4, "Battery", () => {}),
    /does not support Subscribe/,
  );
  await refused(server, device.unsubscribeInput(4, "Battery"), /does not support Subscribe/);
});

Deno.test("stop and stopAllDevices end client-side subscriptions", async () => {
  const { client, server } = await setup();
  await using _ = client;
  const sensor = client.devices.get(3)!;
  const got: number[] = [];
  await sensor.subscribeInput(2, "Pressure", (r) => got.push(r.value));
  await sensor.stop({ outputs: false });
  assert.equal(sensor.isSubscribed(2, "Pressure"), false);
  await sensor.subscribeInput(2, "Pressure", (r) => got.push(r.value));
  assert.equal(server.messages("InputCmd").filter((m) => m.Command === "Subscribe").length, 2);
  await client.stopAllDevices();
  assert.equal(sensor.isSubscribed(2, "Pressure"), false);
});

Deno.test("the RSSI spelling of readings is accepted", async () => {
  const rssiDevice: DeviceInfo = {
    DeviceIndex: 4,
    DeviceName: "Radio",
    DeviceMessageTimingGap: 0,
    DeviceFeatures: {
      "0": {
        FeatureIndex: 0,
        FeatureDescription: "",
        Input: { RSSI: { Value: [[-100, 0]], Command: ["Read", "Subscribe"] } },
      } as never,
    },
  };
  const { client, server, device } = await setup([rssiDevice]);
  await using _ = client;
  assert.equal(device.hasInput("Rssi"), true);
  const got: ClientInputReading[] = [];
  await device.subscribeInput(0, "Rssi", (r) => got.push(r));
  server.session.send({
    InputReading: { Id: 0, DeviceIndex: 4, FeatureIndex: 0, Reading: { RSSI: { Value: -42 } } },
  });
  await flushMicrotasks();
  assert.deepEqual(got, [{ featureIndex: 0, type: "Rssi", value: -42 }]);
});

Deno.test("commands on a removed device reject clearly", async () => {
  const { client, server, device } = await setup();
  await using _ = client;
  let removed = 0;
  device.addEventListener("removed", () => removed++);
  server.removeDevice(0);
  await flushMicrotasks();
  assert.equal(device.removed, true);
  assert.equal(device.connected, false);
  assert.equal(removed, 1);
  for (
    const attempt of [
      device.vibrate(0.5),
      device.rotate(0.5),
      device.linear(0.5, 100),
      device.output(0, "Vibrate", { steps: 1 }),
      device.stop(),
      device.battery(),
      device.readInput(4, "Battery"),
    ]
  ) {
    await refused(server, attempt, /device 0 \(Test Device\) is no longer connected/);
  }
});
