/**
 * ButtplugServer session behaviour beyond the conformance vectors: subscriptions and their
 * InputReading events, the strict ping rule, handshake timeout, events held back until the
 * handshake, close semantics, slow and failing devices, scoping with several devices.
 */
import assert from "node:assert/strict";
import { ButtplugDeviceError } from "../../protocol/errors.ts";
import type { DeviceFeature, RawMessage } from "../../protocol/messages.ts";
import { ButtplugServer, type ServerOutput } from "../../server/server.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import { createLogger } from "../../server/log.ts";
import {
  createTestDevice,
  SimulatedDevice,
  SimulatedDeviceSource,
} from "../../hardware/simulated.ts";
import { FakeClock, flushMicrotasks } from "../_helpers/fake_clock.ts";
import { createSession, handshakeFrame } from "../_helpers/session_harness.ts";

const SENSOR_FEATURES: DeviceFeature[] = [
  { FeatureIndex: 0, FeatureDescription: "Vibe", Output: { Vibrate: { Value: [0, 10] } } },
  {
    FeatureIndex: 1,
    FeatureDescription: "Squeeze",
    Input: { Pressure: { Value: [[0, 65535]], Command: ["Read", "Subscribe"] } },
  },
  {
    FeatureIndex: 2,
    FeatureDescription: "Button",
    Input: { Button: { Value: [[0, 1]], Command: ["Subscribe"] } },
  },
];

function sensorDevice(): SimulatedDevice {
  return new SimulatedDevice({
    name: "Sensor Toy",
    address: "SENSOR-1",
    features: SENSOR_FEATURES,
  });
}

const input = (id: number, feature: number, type: string, command: string) => [{
  InputCmd: { Id: id, DeviceIndex: 1, FeatureIndex: feature, Type: type, Command: command },
}];
const reading = (feature: number, type: string, value: number): RawMessage => ({
  InputReading: {
    Id: 0,
    DeviceIndex: 1,
    FeatureIndex: feature,
    Reading: { [type]: { Value: value } },
  },
});
const vibrate = (id: number, value: number, device = 0) => [{
  OutputCmd: {
    Id: id,
    DeviceIndex: device,
    FeatureIndex: 0,
    Command: { Vibrate: { Value: value } },
  },
}];

// ---------------------------------------------------------------------------------------------
// Subscriptions
// ---------------------------------------------------------------------------------------------

Deno.test("InputCmd Subscribe: readings arrive as InputReading Id 0 until Unsubscribe", async () => {
  await using s = await createSession();
  const sensor = s.source.connect(sensorDevice());
  await s.handshake(4);
  await s.send(input(2, 1, "Pressure", "Subscribe"));
  assert.deepEqual(s.take(), [{ Ok: { Id: 2 } }]);
  assert.ok(sensor.isSubscribed(1, "Pressure"));

  assert.equal(sensor.emitReading(1, "Pressure", 1252), true);
  assert.deepEqual(s.take(), [reading(1, "Pressure", 1252)]);

  // A second Subscribe is Ok and does not duplicate events.
  await s.send(input(3, 1, "Pressure", "Subscribe"));
  sensor.emitReading(1, "Pressure", 7);
  assert.deepEqual(s.take(), [{ Ok: { Id: 3 } }, reading(1, "Pressure", 7)]);

  // Read still works on a subscribed input and replies with the request Id.
  await s.send(input(4, 1, "Pressure", "Read"));
  assert.deepEqual(s.take(), [{
    InputReading: { Id: 4, DeviceIndex: 1, FeatureIndex: 1, Reading: { Pressure: { Value: 7 } } },
  }]);

  await s.send(input(5, 1, "Pressure", "Unsubscribe"));
  assert.deepEqual(s.take(), [{ Ok: { Id: 5 } }]);
  assert.equal(sensor.isSubscribed(1, "Pressure"), false);
  sensor.emitReading(1, "Pressure", 9);
  assert.deepEqual(s.take(), []);
  assert.deepEqual(s.schemaErrors, []);
});

Deno.test("InputCmd: Unsubscribe allowed exactly when Subscribe is offered; Read needs Read", async () => {
  await using s = await createSession();
  s.source.connect(sensorDevice());
  await s.handshake(4);
  await s.send(input(2, 2, "Button", "Unsubscribe")); // never subscribed: still Ok
  await s.send(input(3, 2, "Button", "Read")); // Button offers Subscribe only
  await s.send(input(4, 1, "RSSI", "Read")); // RSSI parses, not on the feature
  await s.send(input(5, 1, "pressure", "subscribe")); // lowercase aliases accepted
  assert.deepEqual(s.take().map((m) => [m.Ok?.Id ?? m.Error?.Id, m.Error?.ErrorCode]), [
    [2, undefined],
    [3, 4],
    [4, 4],
    [5, undefined],
  ]);
});

Deno.test("StopCmd Inputs ends subscriptions in scope; Inputs:false keeps them", async () => {
  await using s = await createSession();
  const sensor = s.source.connect(sensorDevice());
  await s.handshake(4);
  await s.send(input(2, 1, "Pressure", "Subscribe"));
  await s.send(input(3, 2, "Button", "Subscribe"));
  await s.send([{ StopCmd: { Id: 4, DeviceIndex: 1, Inputs: false } }]);
  assert.ok(sensor.isSubscribed(1, "Pressure") && sensor.isSubscribed(2, "Button"));
  await s.send([{ StopCmd: { Id: 5, DeviceIndex: 1, FeatureIndex: 2 } }]);
  assert.ok(sensor.isSubscribed(1, "Pressure"));
  assert.equal(sensor.isSubscribed(2, "Button"), false);
  s.take();
  sensor.emitReading(2, "Button", 1);
  sensor.emitReading(1, "Pressure", 3);
  assert.deepEqual(s.take(), [reading(1, "Pressure", 3)]);
  await s.send([{ StopCmd: { Id: 6 } }]);
  assert.equal(sensor.isSubscribed(1, "Pressure"), false);
  sensor.emitReading(1, "Pressure", 4);
  assert.deepEqual(s.take(), [{ Ok: { Id: 6 } }]);
});

Deno.test("subscriptions end on client disconnect and on ping timeout", async () => {
  for (const how of ["close", "ping"] as const) {
    await using s = await createSession({ maxPingTime: how === "ping" ? 100 : 0 });
    const sensor = s.source.connect(sensorDevice());
    await s.handshake(4);
    await s.send(input(2, 1, "Pressure", "Subscribe"));
    s.take();
    if (how === "close") await s.server.close();
    else await s.clock.tick(100);
    assert.equal(sensor.isSubscribed(1, "Pressure"), false, how);
    sensor.emitReading(1, "Pressure", 5);
    assert.ok(!s.take().some((m) => "InputReading" in m), how);
  }
});

Deno.test("a failed Subscribe is forgotten (no events leak)", async () => {
  await using s = await createSession();
  const sensor = s.source.connect(sensorDevice());
  await s.handshake(4);
  sensor.failWith(new Error("notify failed"));
  await s.send(input(2, 1, "Pressure", "Subscribe"));
  assert.deepEqual(s.take().map((m) => [m.Error?.Id, m.Error?.ErrorCode]), [[2, 4]]);
  sensor.failWith(undefined);
  assert.equal(sensor.emitReading(1, "Pressure", 1), false);
  assert.deepEqual(s.take(), []);
});

// ---------------------------------------------------------------------------------------------
// Ping
// ---------------------------------------------------------------------------------------------

Deno.test("ping: strict deadline = last Ping + MaxPingTime", async () => {
  await using s = await createSession({ maxPingTime: 100 });
  await s.handshake(4);
  await s.clock.tick(60);
  await s.send([{ Ping: { Id: 2 } }]); // t=60, deadline 160
  await s.clock.tick(99); // t=159
  assert.equal(s.server.state, "connected");
  await s.send(vibrate(3, 5)); // other traffic does not reset the timer
  await s.clock.tick(1); // t=160
  assert.equal(s.server.state, "pinged-out");
  assert.deepEqual(s.take(), [
    { Ok: { Id: 2 } },
    { Ok: { Id: 3 } },
    { Error: { Id: 0, ErrorCode: 2, ErrorMessage: s.received.at(-1)!.Error.ErrorMessage } },
  ]);
  assert.equal(s.device?.outputValue(0, "Vibrate"), 0, "every device was stopped");
  assert.deepEqual(s.closes, ["ping timeout"]);

  // Later messages get ERROR_PING with their Id, framing errors with Id 0.
  await s.send([{ Ping: { Id: 4 } }, { RequestDeviceList: { Id: 5 } }]);
  await s.send("garbage");
  assert.deepEqual(s.take().map((m) => [m.Error?.Id, m.Error?.ErrorCode]), [[4, 2], [5, 2], [
    0,
    2,
  ]]);
  assert.equal(s.clock.pending, 0, "no timer left");
});

Deno.test("ping: the timer starts at the handshake, not at connect", async () => {
  await using s = await createSession({ maxPingTime: 100 });
  await s.clock.tick(500);
  assert.equal(s.server.state, "awaiting-handshake");
  await s.handshake(4);
  await s.clock.tick(99);
  assert.equal(s.server.state, "connected");
  await s.clock.tick(1);
  assert.equal(s.server.state, "pinged-out");
});

Deno.test("ping: MaxPingTime 0 runs no timer and answers Ping with Ok", async () => {
  await using s = await createSession();
  await s.handshake(2);
  assert.equal(s.clock.pending, 0);
  await s.send([{ Ping: { Id: 2 } }]);
  await s.clock.tick(1_000_000);
  assert.deepEqual(s.take(), [{ Ok: { Id: 2 } }]);
  assert.equal(s.server.state, "connected");
});

Deno.test("ping is answered while a device command is still pending", async () => {
  await using s = await createSession({ maxPingTime: 100 });
  await s.handshake(4);
  const release = s.device!.pause();
  const pending = s.send(vibrate(2, 7));
  await s.send([{ Ping: { Id: 3 } }]);
  assert.deepEqual(s.take(), [{ Ok: { Id: 3 } }]);
  release();
  await pending;
  assert.deepEqual(s.take(), [{ Ok: { Id: 2 } }]);
  assert.equal(s.device?.outputValue(0, "Vibrate"), 7);
});

// ---------------------------------------------------------------------------------------------
// Handshake
// ---------------------------------------------------------------------------------------------

Deno.test("handshake timeout closes a silent connection", async () => {
  await using s = await createSession({ handshakeTimeout: 1000 });
  await s.clock.tick(999);
  assert.deepEqual(s.closes, []);
  await s.clock.tick(1);
  assert.deepEqual(s.closes, ["handshake timeout"]);
  assert.equal(s.server.state, "disconnected");
  await s.send(handshakeFrame(4));
  assert.deepEqual(s.take().map((m) => [m.Error?.Id, m.Error?.ErrorCode]), [[1, 1]]);
});

Deno.test("handshake in time cancels the handshake timer", async () => {
  await using s = await createSession({ handshakeTimeout: 1000 });
  await s.handshake(4);
  assert.equal(s.clock.pending, 0);
  await s.clock.tick(5000);
  assert.deepEqual(s.closes, []);
});

Deno.test("handshake variants: ProtocolVersionMajor below 4, missing minor, both fields", async () => {
  const cases: [Record<string, unknown>, number | "error"][] = [
    [{ ProtocolVersionMajor: 3, ProtocolVersionMinor: 0 }, 3],
    [{ ProtocolVersionMajor: 4 }, 4],
    [{ MessageVersion: 2 }, 2],
    [{}, 0],
    [{ ProtocolVersionMajor: 4, MessageVersion: 3 }, "error"],
  ];
  for (const [fields, expected] of cases) {
    await using s = await createSession();
    await s.send([{ RequestServerInfo: { Id: 1, ClientName: "c", ...fields } }]);
    if (expected === "error") {
      assert.equal(s.received[0].Error?.ErrorCode, 3);
      assert.equal(s.server.state, "awaiting-handshake");
    } else {
      assert.equal(s.server.specVersion, expected, JSON.stringify(fields));
      assert.equal(s.server.clientName, "c");
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Device events
// ---------------------------------------------------------------------------------------------

Deno.test("device changes before the handshake are announced right after ServerInfo", async () => {
  for (const version of [4, 3] as const) {
    await using s = await createSession({ deviceConnected: false });
    s.connectDevice();
    assert.deepEqual(s.received, [], "nothing before the handshake");
    await s.send(handshakeFrame(version));
    const names = s.take().map((m) => Object.keys(m)[0]);
    assert.deepEqual(names, ["ServerInfo", version === 4 ? "DeviceList" : "DeviceAdded"]);
  }
});

Deno.test("a device that came and went before the handshake is not announced", async () => {
  await using s = await createSession({ deviceConnected: false });
  const device = s.connectDevice();
  await device.disconnect();
  await s.handshake(3);
  assert.deepEqual(s.take(), []);
});

Deno.test("v0-v3: one event per difference; a replaced device is removed then added", async () => {
  await using s = await createSession();
  await s.handshake(1);
  const second = s.source.connect(createTestDevice({ address: "SIM-0002" }));
  assert.equal(s.manager.get(1), second);
  // The same identity reconnecting while its old entry is still registered replaces it.
  s.source.connect(createTestDevice());
  assert.deepEqual(s.take().map((m) => [Object.keys(m)[0], Object.values(m)[0].DeviceIndex]), [
    ["DeviceAdded", 1],
    ["DeviceRemoved", 0],
    ["DeviceAdded", 0],
  ]);
  assert.deepEqual(s.schemaErrors, []);
});

Deno.test("DeviceList replies follow device changes (no stale cache)", async () => {
  await using s = await createSession();
  await s.handshake(2);
  await s.send([{ RequestDeviceList: { Id: 2 } }]);
  s.source.connect(createTestDevice({ address: "SIM-0002", name: "Second" }));
  await s.send([{ RequestDeviceList: { Id: 3 } }]);
  const lists = s.take().filter((m) => "DeviceList" in m);
  assert.deepEqual(lists.map((m) => (m.DeviceList.Devices as unknown[]).length), [1, 2]);
  assert.deepEqual(
    (lists[1].DeviceList.Devices as { DeviceName: string }[]).map((d) => d.DeviceName),
    ["Test Device", "Second"],
  );
});

Deno.test("display names appear in v3 and v4 shapes only", async () => {
  for (const version of [4, 3, 2] as const) {
    await using s = await createSession({ deviceConnected: false });
    s.source.connect(createTestDevice({ displayName: "My Toy" }));
    await s.handshake(version);
    await s.send([{ RequestDeviceList: { Id: 2 } }]);
    const devices = s.take()[0].DeviceList.Devices as Record<string, Record<string, unknown>>;
    const entry = version === 4 ? devices["0"] : devices[0];
    assert.equal(entry.DeviceDisplayName, version === 2 ? undefined : "My Toy");
    assert.deepEqual(s.schemaErrors, []);
  }
});

Deno.test("ScanningFinished is forwarded; an explicit StopScanning does not produce it", async () => {
  const clock = new FakeClock();
  await using manager = new DeviceManager();
  const source = new SimulatedDeviceSource({ clock, scanDurationMs: 1000 });
  manager.addSource(source);
  const sent: RawMessage[] = [];
  await using server = new ButtplugServer(
    { send: (m) => sent.push(...m), close: () => {} },
    { deviceManager: manager, clock },
  );
  await server.receive(handshakeFrame(4));
  await server.receive([{ StartScanning: { Id: 2 } }]);
  await server.receive([{ StartScanning: { Id: 3 } }]);
  assert.equal(source.scanning, true);
  await clock.tick(1000);
  await server.receive([{ StartScanning: { Id: 4 } }]);
  await server.receive([{ StopScanning: { Id: 5 } }]);
  await clock.tick(5000);
  assert.deepEqual(sent.slice(1), [
    { Ok: { Id: 2 } },
    { Ok: { Id: 3 } },
    { ScanningFinished: { Id: 0 } },
    { Ok: { Id: 4 } },
    { Ok: { Id: 5 } },
  ]);
});

Deno.test("devices found by a scan are announced", async () => {
  await using s = await createSession({ deviceConnected: false });
  s.source.addDiscoverable(createTestDevice());
  await s.handshake(3);
  await s.send([{ StartScanning: { Id: 2 } }]);
  assert.deepEqual(s.take().map((m) => Object.keys(m)[0]).sort(), ["DeviceAdded", "Ok"]);
});

// ---------------------------------------------------------------------------------------------
// Close
// ---------------------------------------------------------------------------------------------

Deno.test("close: stops scanning and devices, fires close once, refuses later messages", async () => {
  await using s = await createSession();
  let closeEvents = 0;
  s.server.addEventListener("close", (e) => {
    closeEvents++;
    assert.equal(e.detail.reason, "bye");
  });
  await s.handshake(4);
  await s.send([{ StartScanning: { Id: 2 } }]);
  await s.send(vibrate(3, 12));
  assert.ok(s.manager.scanning);
  await Promise.all([s.server.close("bye"), s.server.close("again")]);
  await s.server.close();
  assert.equal(closeEvents, 1);
  assert.equal(s.manager.scanning, false);
  assert.equal(s.device?.outputValue(0, "Vibrate"), 0);
  assert.equal(s.server.state, "disconnected");
  s.take();
  await s.send([{ Ping: { Id: 9 } }]);
  assert.deepEqual(s.take().map((m) => [m.Error?.Id, m.Error?.ErrorCode]), [[9, 1]]);
  // Listeners are detached: no events for a closed session.
  s.source.connect(createTestDevice({ address: "SIM-0003" }));
  assert.deepEqual(s.take(), []);
});

Deno.test("close discards replies still pending", async () => {
  await using s = await createSession();
  await s.handshake(4);
  const release = s.device!.pause();
  const pending = s.send(vibrate(2, 3));
  const closed = s.server.close();
  release();
  await pending;
  await closed;
  assert.deepEqual(s.take(), []);
});

Deno.test("close before the handshake does not touch the devices", async () => {
  await using s = await createSession();
  await s.send(vibrate(2, 3)); // refused: no handshake
  s.device!.history.length = 0;
  await s.server.close();
  assert.deepEqual(s.device!.history, []);
});

Deno.test("a hung device cannot hold a closing or pinged-out session open forever", async () => {
  const clock = new FakeClock();
  await using manager = new DeviceManager({ clock, stopTimeoutMs: 3000 });
  const hung = createTestDevice({ address: "HUNG" });
  const other = createTestDevice({ address: "OTHER" });
  manager.add(hung);
  manager.add(other);
  const release = hung.pause(); // the toy stops answering: its stop never settles
  const closes: string[] = [];
  const lines: string[] = [];
  const open = (maxPingTime: number) =>
    new ButtplugServer({ send() {}, close: (reason) => closes.push(reason) }, {
      deviceManager: manager,
      clock,
      maxPingTime,
      logger: createLogger("error", (l) => lines.push(l)),
    });

  try {
    // The client leaves.
    const first = open(0);
    let closed = false;
    first.addEventListener("close", () => closed = true);
    await first.receive(handshakeFrame(4));
    await first.receive(vibrate(2, 9, 1));
    assert.equal(other.outputValue(0, "Vibrate"), 9);
    const closing = first.close();
    await clock.tick(2999);
    assert.equal(other.outputValue(0, "Vibrate"), 0, "the other device is stopped at once");
    assert.equal(closed, false);
    await clock.tick(1);
    await closing;
    assert.equal(closed, true, "close completes at the stop deadline");
    assert.match(lines.join("\n"), /stopping devices on disconnect failed: 1 device\(s\) failed/);

    // The client stops pinging: the transport is closed at the stop deadline too.
    await using second = open(100);
    await second.receive(handshakeFrame(4));
    await clock.tick(100);
    assert.equal(second.state, "pinged-out");
    assert.deepEqual(closes, []);
    await clock.tick(3000);
    assert.deepEqual(closes, ["ping timeout"]);
  } finally {
    release();
  }
});

Deno.test("a stuck scan stop does not keep the devices running after the client left", async () => {
  const unstick: (() => void)[] = [];
  /** A transport whose scan stop does not complete until the test says so (a wedged adapter). */
  class StuckScanStop extends SimulatedDeviceSource {
    override stopScanning(): Promise<void> {
      void super.stopScanning();
      return new Promise<void>((r) => unstick.push(r));
    }
  }
  const manager = new DeviceManager();
  manager.addSource(new StuckScanStop());
  const device = createTestDevice();
  manager.add(device);
  const server = new ButtplugServer({ send() {}, close() {} }, { deviceManager: manager });
  await server.receive(handshakeFrame(4));
  await server.receive([{ StartScanning: { Id: 2 } }]);
  await server.receive(vibrate(3, 15));
  assert.equal(device.outputValue(0, "Vibrate"), 15);
  const closed = server.close("client left");
  await flushMicrotasks();
  assert.equal(unstick.length, 1, "the scan stop was asked for");
  assert.equal(device.outputValue(0, "Vibrate"), 0, "the device stopped without waiting for it");
  unstick.splice(0).forEach((r) => r());
  await closed;
  // The manager's own dispose stops scanning again.
  const disposed = manager[Symbol.asyncDispose]();
  unstick.splice(0).forEach((r) => r());
  await disposed;
});

// ---------------------------------------------------------------------------------------------
// Devices: order, failures, scope
// ---------------------------------------------------------------------------------------------

Deno.test("commands reach a slow device in arrival order", async () => {
  await using s = await createSession();
  await s.handshake(4);
  const release = s.device!.pause();
  const frames = [s.send(vibrate(2, 1)), s.send(vibrate(3, 2)), s.send(vibrate(4, 3))];
  release();
  await Promise.all(frames);
  assert.deepEqual(
    s.device!.history.map((h) => h.kind === "output" ? h.value.Value : h.kind),
    [1, 2, 3],
  );
  assert.equal(s.device!.outputValue(0, "Vibrate"), 3);
});

Deno.test("a device that disconnects mid-command: ERROR_DEVICE, then the list event", async () => {
  await using s = await createSession();
  await s.handshake(4);
  s.device!.pause();
  const pending = s.send(vibrate(2, 5));
  await s.device!.disconnect();
  await pending;
  const messages = s.take();
  assert.deepEqual(messages.map((m) => Object.keys(m)[0]).sort(), ["DeviceList", "Error"]);
  const error = messages.find((m) => "Error" in m)!;
  assert.deepEqual([error.Error.Id, error.Error.ErrorCode], [2, 4]);
  await s.send(vibrate(3, 5));
  assert.deepEqual(s.take().map((m) => [m.Error?.Id, m.Error?.ErrorCode]), [[3, 4]]);
});

Deno.test("device failures become ERROR_DEVICE (or the device's own ButtplugError code)", async () => {
  await using s = await createSession();
  await s.handshake(4);
  s.device!.failWith(new Error("BLE write failed"));
  await s.send(vibrate(2, 1));
  await s.send([{
    InputCmd: { Id: 3, DeviceIndex: 0, FeatureIndex: 4, Type: "Battery", Command: "Read" },
  }]);
  s.device!.failWith(new ButtplugDeviceError("custom"));
  await s.send([{ StopCmd: { Id: 4, DeviceIndex: 0 } }]);
  const replies = s.take();
  assert.deepEqual(replies.map((m) => [m.Error?.Id, m.Error?.ErrorCode]), [[2, 4], [3, 4], [4, 4]]);
  assert.match(replies[0].Error.ErrorMessage as string, /BLE write failed/);
  assert.equal(s.server.state, "connected");
});

Deno.test("StopCmd / StopDeviceCmd scoping with two devices", async () => {
  await using s = await createSession();
  const second = s.source.connect(createTestDevice({ address: "SIM-0002" }));
  await s.handshake(4);
  await s.send(vibrate(2, 10, 0));
  await s.send(vibrate(3, 10, 1));
  await s.send([{ StopCmd: { Id: 4, DeviceIndex: 1 } }]);
  assert.equal(s.device!.outputValue(0, "Vibrate"), 10);
  assert.equal(second.outputValue(0, "Vibrate"), 0);
  await s.send([{ StopCmd: { Id: 5, Outputs: false, Inputs: false } }]);
  assert.equal(s.device!.outputValue(0, "Vibrate"), 10);
  assert.equal(s.take().length, 4);
});

Deno.test("v3 StopDeviceCmd stops only its device", async () => {
  await using s = await createSession();
  const second = s.source.connect(createTestDevice({ address: "SIM-0002" }));
  await s.handshake(3);
  for (const device of [0, 1]) {
    await s.send([{
      ScalarCmd: {
        Id: 2 + device,
        DeviceIndex: device,
        Scalars: [{ Index: 0, Scalar: 1, ActuatorType: "Vibrate" }],
      },
    }]);
  }
  await s.send([{ StopDeviceCmd: { Id: 4, DeviceIndex: 1 } }]);
  assert.equal(s.device!.outputValue(0, "Vibrate"), 20);
  assert.equal(second.outputValue(0, "Vibrate"), 0);
});

Deno.test("legacy commands are all-or-nothing and applied in feature order", async () => {
  await using s = await createSession();
  await s.handshake(2);
  await s.send([{
    VibrateCmd: { Id: 2, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: 1 }, { Index: 2, Speed: 1 }] },
  }]);
  assert.deepEqual(s.take().map((m) => [m.Error?.Id, m.Error?.ErrorCode]), [[2, 4]]);
  assert.equal(s.device!.history.length, 0);
  await s.send([{
    VibrateCmd: {
      Id: 3,
      DeviceIndex: 0,
      Speeds: [{ Index: 1, Speed: 1 }, { Index: 0, Speed: 0.5 }],
    },
  }]);
  assert.deepEqual(s.take(), [{ Ok: { Id: 3 } }]);
  assert.deepEqual(
    s.device!.history.map((h) => h.kind === "output" ? [h.featureIndex, h.value.Value] : []),
    [[0, 10], [1, 10]],
  );
});

Deno.test("v1 LinearCmd with no vectors is Ok; SingleMotorVibrateCmd without vibrators fails", async () => {
  await using s = await createSession({ deviceConnected: false });
  s.source.connect(
    new SimulatedDevice({
      name: "Stroker",
      address: "STROKE-1",
      features: [{
        FeatureIndex: 0,
        FeatureDescription: "",
        Output: { HwPositionWithDuration: { Value: [0, 99], Duration: [0, 100000] } },
      }],
    }),
  );
  await s.handshake(1);
  await s.send([{ LinearCmd: { Id: 2, DeviceIndex: 0, Vectors: [] } }]);
  await s.send([{ SingleMotorVibrateCmd: { Id: 3, DeviceIndex: 0, Speed: 0.5 } }]);
  await s.send([{ RequestDeviceList: { Id: 4 } }]);
  const replies = s.take();
  assert.deepEqual(replies.slice(0, 2).map((m) => [m.Ok?.Id ?? m.Error?.Id, m.Error?.ErrorCode]), [
    [2, undefined],
    [3, 4],
  ]);
  assert.deepEqual(
    (replies[2].DeviceList.Devices as { DeviceMessages: unknown }[])[0].DeviceMessages,
    {
      LinearCmd: { FeatureCount: 1 },
      StopDeviceCmd: {},
    },
  );
});

Deno.test("v0/v1 Test echoes the string", async () => {
  await using s = await createSession();
  await s.handshake(0);
  await s.send([{ Test: { Id: 2, TestString: "Moo" } }, { Test: { Id: 3, TestString: "Error" } }]);
  const replies = s.take();
  assert.deepEqual(replies[0], { Test: { Id: 2, TestString: "Moo" } });
  assert.deepEqual([replies[1].Error?.Id, replies[1].Error?.ErrorCode], [3, 3]);
  assert.deepEqual(s.schemaErrors, []);
});

Deno.test("v3 SensorReadCmd accepts any case of Battery", async () => {
  await using s = await createSession();
  await s.handshake(3);
  await s.send([{
    SensorReadCmd: { Id: 2, DeviceIndex: 0, SensorIndex: 0, SensorType: "battery" },
  }]);
  assert.deepEqual(s.take(), [{
    SensorReading: { Id: 2, DeviceIndex: 0, SensorIndex: 0, SensorType: "Battery", Data: [75] },
  }]);
});

// ---------------------------------------------------------------------------------------------
// In-process use, factory, options, logging
// ---------------------------------------------------------------------------------------------

Deno.test("in-process frames: parsed values work, undefined fields count as absent", async () => {
  await using s = await createSession();
  await s.server.receive(structuredClone(handshakeFrame(4)));
  await s.server.receive([{
    OutputCmd: { Id: 2, DeviceIndex: 0, FeatureIndex: 0, Command: { Vibrate: { Value: 4 } } },
  }]);
  await s.server.receive([{ StopCmd: { Id: 3, DeviceIndex: undefined, FeatureIndex: undefined } }]);
  assert.deepEqual(s.take().slice(1), [{ Ok: { Id: 2 } }, { Ok: { Id: 3 } }]);
  assert.equal(s.device!.outputValue(0, "Vibrate"), 0);
});

Deno.test("factory creates independent single-use sessions", async () => {
  await using manager = new DeviceManager();
  const factory = ButtplugServer.factory({ deviceManager: manager, serverName: "f" });
  const sent: RawMessage[][] = [];
  const output: ServerOutput = { send: (m) => sent.push(m), close: () => {} };
  await using a = factory(output);
  await using b = factory(output);
  assert.notEqual(a, b);
  await a.receive(handshakeFrame(4));
  assert.equal(a.state, "connected");
  assert.equal(b.state, "awaiting-handshake");
  assert.equal(sent[0][0].ServerInfo.ServerName, "f");
});

Deno.test("defaults: server name deno-buttplug, MaxPingTime 0; bad options throw", async () => {
  await using manager = new DeviceManager();
  const sent: RawMessage[] = [];
  await using server = new ButtplugServer(
    { send: (m) => sent.push(...m), close: () => {} },
    { deviceManager: manager },
  );
  await server.receive(handshakeFrame(3));
  assert.deepEqual(sent, [{
    ServerInfo: { Id: 1, MessageVersion: 3, MaxPingTime: 0, ServerName: "deno-buttplug" },
  }]);
  for (const bad of [-1, 1.5, Number.NaN]) {
    assert.throws(
      () =>
        new ButtplugServer({ send() {}, close() {} }, { deviceManager: manager, maxPingTime: bad }),
      RangeError,
    );
  }
});

Deno.test("an output whose send throws does not break the session", async () => {
  await using manager = new DeviceManager();
  const lines: string[] = [];
  let fail = true;
  const sent: RawMessage[] = [];
  await using server = new ButtplugServer({
    send(m) {
      if (fail) throw new Error("socket gone");
      sent.push(...m);
    },
    close() {},
  }, { deviceManager: manager, logger: createLogger("warn", (l) => lines.push(l)) });
  await server.receive(handshakeFrame(4));
  assert.match(lines.join("\n"), /socket gone/);
  fail = false;
  await server.receive([{ Ping: { Id: 2 } }]);
  assert.deepEqual(sent, [{ Ok: { Id: 2 } }]);
});

Deno.test("the logger hears about connects and ping timeouts", async () => {
  const clock = new FakeClock();
  await using manager = new DeviceManager();
  const lines: string[] = [];
  await using server = new ButtplugServer({ send() {}, close() {} }, {
    deviceManager: manager,
    clock,
    maxPingTime: 10,
    logger: createLogger("info", (l) => lines.push(l)),
  });
  await server.receive(handshakeFrame(4));
  await clock.tick(10);
  await flushMicrotasks();
  const text = lines.join("\n");
  assert.match(text, /client "vectors" connected \(spec v4\)/);
  assert.match(text, /pinged out/);
});
