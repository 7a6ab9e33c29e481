/**
 * The client against the real server session (server/server.ts) and simulated devices
 * (hardware/simulated.ts), in process, with one FakeClock shared by client and server.
 */
import assert from "node:assert/strict";
import { ButtplugClient, type ButtplugClientOptions } from "../../client/client.ts";
import type { ClientInputReading } from "../../client/events.ts";
import { InProcessConnector } from "../../client/in_process_connector.ts";
import {
  createTestDevice,
  type SimulatedDevice,
  SimulatedDevice as Simulated,
  SimulatedDeviceSource,
  TEST_DEVICE_FEATURES,
} from "../../hardware/simulated.ts";
import {
  ButtplugClientConnectorError,
  type ButtplugError,
  ButtplugPingError,
  ErrorCode,
} from "../../protocol/errors.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import { ButtplugServer } from "../../server/server.ts";
import { serveWebSocket } from "../../server/websocket.ts";
import { WebSocketConnector } from "../../client/websocket_connector.ts";
import { FakeClock, flushMicrotasks } from "../_helpers/fake_clock.ts";

interface Rig {
  clock: FakeClock;
  manager: DeviceManager;
  source: SimulatedDeviceSource;
  device: SimulatedDevice;
  client: ButtplugClient;
  sessions: ButtplugServer[];
  events: string[];
  errors: ButtplugError[];
  [Symbol.asyncDispose](): Promise<void>;
}

async function rig(
  options: { maxPingTime?: number; client?: ButtplugClientOptions } = {},
): Promise<Rig> {
  const clock = new FakeClock();
  const manager = new DeviceManager();
  const source = new SimulatedDeviceSource({ clock });
  manager.addSource(source);
  const device = source.connect(createTestDevice());
  const sessions: ButtplugServer[] = [];
  const factory = ButtplugServer.factory({
    deviceManager: manager,
    serverName: "integration server",
    maxPingTime: options.maxPingTime ?? 0,
    clock,
  });
  const client = new ButtplugClient("integration client", { clock, ...options.client });
  const events: string[] = [];
  const errors: ButtplugError[] = [];
  client.addEventListener("deviceadded", (e) => events.push(`added ${e.device.index}`));
  client.addEventListener("deviceremoved", (e) => events.push(`removed ${e.device.index}`));
  client.addEventListener("disconnect", (e) => events.push(`disconnect: ${e.reason}`));
  client.addEventListener("error", (e) => errors.push(e.error));
  await client.connect(
    new InProcessConnector((output) => {
      const session = factory(output);
      sessions.push(session);
      return session;
    }),
  );
  return {
    clock,
    manager,
    source,
    device,
    client,
    sessions,
    events,
    errors,
    async [Symbol.asyncDispose]() {
      await client.disconnect();
      await manager[Symbol.asyncDispose]();
    },
  };
}

Deno.test("handshake with the real server; a device already connected is raised as deviceadded", async () => {
  await using r = await rig({ maxPingTime: 0 });
  assert.equal(r.client.connected, true);
  assert.equal(r.client.serverName, "integration server");
  assert.equal(r.client.maxPingTime, 0);
  assert.equal(r.sessions[0].state, "connected");
  assert.equal(r.sessions[0].specVersion, 4);
  assert.equal(r.sessions[0].clientName, "integration client");
  assert.deepEqual(r.events, ["added 0"]);
  const device = r.client.devices.get(0)!;
  assert.equal(device.name, "Test Device");
  assert.equal(device.messageTimingGap, 100);
  assert.deepEqual(device.features, TEST_DEVICE_FEATURES);
});

Deno.test("auto-ping keeps a session with MaxPingTime alive", async () => {
  await using r = await rig({ maxPingTime: 1000 });
  assert.equal(r.client.maxPingTime, 1000);
  await r.clock.tick(30_000);
  assert.equal(r.sessions[0].state, "connected");
  assert.equal(r.client.connected, true);
  assert.deepEqual(r.errors, []);
  await r.client.devices.get(0)!.vibrate(1);
  assert.equal(r.device.outputValue(0, "Vibrate"), 20);
});

Deno.test("a stalled client (auto-ping off) is pinged out: devices stop, error, disconnect", async () => {
  await using r = await rig({ maxPingTime: 1000, client: { autoPing: false } });
  await r.client.devices.get(0)!.vibrate(0.5);
  assert.equal(r.device.outputValue(0, "Vibrate"), 10);
  await r.clock.tick(999);
  assert.equal(r.client.connected, true);
  await r.clock.tick(1);
  await flushMicrotasks();
  assert.equal(r.sessions[0].state, "pinged-out");
  assert.equal(r.device.outputValue(0, "Vibrate"), 0);
  assert.ok(r.errors[0] instanceof ButtplugPingError);
  assert.equal(r.client.connected, false);
  assert.deepEqual(r.events.slice(1, 2), ["removed 0"]);
  assert.match(r.events[2], /^disconnect: ping timeout/);
});

Deno.test("a request the server never answers times out; later requests work", async () => {
  await using r = await rig({ client: { requestTimeout: 2000 } });
  const device = r.client.devices.get(0)!;
  const release = r.device.pause();
  const slow = device.vibrate(0.5);
  const check = assert.rejects(slow, /OutputCmd \(Id \d+\) got no reply within 2000 ms/);
  await r.clock.tick(2000);
  await check;
  release();
  await flushMicrotasks();
  await device.vibrate(0.25);
  assert.equal(r.device.outputValue(0, "Vibrate"), 5);
});

Deno.test("pending requests are rejected when the connection ends", async () => {
  await using r = await rig({ maxPingTime: 1000, client: { autoPing: false } });
  const device = r.client.devices.get(0)!;
  const release = r.device.pause();
  const pending = device.battery();
  const check = assert.rejects(
    pending,
    (err) =>
      err instanceof ButtplugClientConnectorError &&
      /connection closed \(ping timeout.*\) before InputCmd/.test(err.message),
  );
  await r.clock.tick(1000);
  release();
  await check;
  assert.equal(r.client.connected, false);
});

Deno.test("devices added and removed while connected raise events", async () => {
  await using r = await rig();
  const second = r.source.connect(createTestDevice({ address: "SIM-0002", name: "Second" }));
  await flushMicrotasks();
  assert.deepEqual(r.events, ["added 0", "added 1"]);
  const clientDevice = r.client.devices.get(1)!;
  assert.equal(clientDevice.name, "Second");
  await second.disconnect();
  await flushMicrotasks();
  assert.deepEqual(r.events, ["added 0", "added 1", "removed 1"]);
  assert.equal(clientDevice.removed, true);
  assert.deepEqual([...r.client.devices.keys()], [0]);
  await assert.rejects(clientDevice.vibrate(1), /no longer connected/);
});

Deno.test("every command reaches the simulated device with the right value", async () => {
  await using r = await rig();
  const device = r.client.devices.get(0)!;
  const sim = r.device;

  await device.vibrate(0.5);
  assert.deepEqual([sim.outputValue(0, "Vibrate"), sim.outputValue(1, "Vibrate")], [10, 5]);
  await device.vibrate([0.55, 0.01]);
  assert.deepEqual([sim.outputValue(0, "Vibrate"), sim.outputValue(1, "Vibrate")], [11, 1]);

  await device.rotate(0.5);
  assert.equal(sim.outputValue(2, "Rotate"), 10);
  await device.rotate(0.75, false);
  assert.equal(sim.outputValue(2, "Rotate"), -15);

  await device.linear(0.9, 150);
  assert.deepEqual(sim.outputs.get(3)?.get("HwPositionWithDuration"), { Value: 90, Duration: 150 });

  await device.output(0, "Vibrate", { steps: 7 });
  assert.equal(sim.outputValue(0, "Vibrate"), 7);
  await device.output(2, "Rotate", { percent: -0.1 });
  assert.equal(sim.outputValue(2, "Rotate"), -2);

  await device.stop();
  assert.deepEqual(
    [sim.outputValue(0, "Vibrate"), sim.outputValue(1, "Vibrate"), sim.outputValue(2, "Rotate")],
    [0, 0, 0],
  );
  assert.deepEqual(sim.outputs.get(3)?.get("HwPositionWithDuration"), { Value: 90, Duration: 150 });

  assert.equal(await device.battery(), 0.75);
  sim.batteryLevel = 40;
  assert.equal(await device.battery(), 0.4);
});

Deno.test("sensor read, subscribe and unsubscribe through the real server", async () => {
  await using r = await rig();
  const sensor = r.source.connect(
    new Simulated({
      name: "Pressure Sensor",
      address: "SIM-PRESSURE",
      features: [{
        FeatureIndex: 0,
        FeatureDescription: "Pressure",
        Input: { Pressure: { Value: [[0, 4000]], Command: ["Read", "Subscribe"] } },
      }],
    }),
  );
  await flushMicrotasks();
  const device = r.client.devices.get(1)!;
  sensor.emitReading(0, "Pressure", 321);
  assert.equal(await device.readInput(0, "Pressure"), 321);

  const got: ClientInputReading[] = [];
  await device.subscribeInput(0, "Pressure", (reading) => got.push(reading));
  assert.equal(sensor.isSubscribed(0, "Pressure"), true);
  sensor.emitReading(0, "Pressure", 1500);
  sensor.emitReading(0, "Pressure", 1600);
  await flushMicrotasks();
  assert.deepEqual(got, [
    { featureIndex: 0, type: "Pressure", value: 1500 },
    { featureIndex: 0, type: "Pressure", value: 1600 },
  ]);
  await device.unsubscribeInput(0, "Pressure");
  assert.equal(sensor.isSubscribed(0, "Pressure"), false);
  sensor.emitReading(0, "Pressure", 1700);
  await flushMicrotasks();
  assert.equal(got.length, 2);
});

Deno.test("disconnect stops every device (StopCmd first, then the session closes)", async () => {
  const r = await rig();
  await r.client.devices.get(0)!.vibrate(1);
  await r.client.devices.get(0)!.rotate(1);
  assert.equal(r.device.outputValue(0, "Vibrate"), 20);
  await r.client.disconnect();
  assert.equal(r.device.outputValue(0, "Vibrate"), 0);
  assert.equal(r.device.outputValue(2, "Rotate"), 0);
  assert.equal(r.sessions[0].state, "disconnected");
  const stops = r.device.history.filter((h) => h.kind === "stop");
  assert.ok(stops.length >= 1);
  assert.deepEqual(r.events, ["added 0", "removed 0", "disconnect: client disconnected"]);
  await r[Symbol.asyncDispose]();
});

Deno.test("over the real WebSocket server: commands, a refused second client, server shutdown", async () => {
  await using manager = new DeviceManager();
  const device = createTestDevice();
  manager.add(device);
  await using server = serveWebSocket({
    deviceManager: manager,
    port: 0,
    serverName: "ws integration",
  });
  const client = new ButtplugClient("ws client");
  let disconnected!: (reason: string) => void;
  const reason = new Promise<string>((resolve) => disconnected = resolve);
  client.addEventListener("disconnect", (e) => disconnected(e.reason));
  await client.connect(new WebSocketConnector(server.url));
  assert.equal(client.serverName, "ws integration");
  await client.devices.get(0)!.vibrate(0.5);
  assert.equal(device.outputValue(0, "Vibrate"), 10);
  assert.equal(await client.devices.get(0)!.battery(), 0.75);

  // Intiface serves one client at a time: a second one is refused with a clear error.
  const second = new ButtplugClient("second");
  const secondErrors: ButtplugError[] = [];
  second.addEventListener("error", (e) => secondErrors.push(e.error));
  await assert.rejects(
    second.connect(new WebSocketConnector(server.url)),
    (err) => err instanceof ButtplugClientConnectorError && /already connected/.test(err.message),
  );
  assert.equal(second.connected, false);
  assert.equal(secondErrors[0]?.code, ErrorCode.Init);

  await server.shutdown("server shutting down");
  assert.match(await reason, /server shutting down/);
  assert.equal(client.connected, false);
  assert.equal(device.outputValue(0, "Vibrate"), 0, "the server stopped the device");
});
