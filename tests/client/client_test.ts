import assert from "node:assert/strict";
import { ButtplugClient, type ButtplugClientOptions } from "../../client/client.ts";
import {
  InProcessConnector,
  type ServerSessionFactory,
} from "../../client/in_process_connector.ts";
import {
  ButtplugClientConnectorError,
  ButtplugDeviceError,
  type ButtplugError,
  ButtplugInitError,
  ButtplugMessageError,
  ButtplugPingError,
} from "../../protocol/errors.ts";
import type { DeviceInfo, RawMessage } from "../../protocol/messages.ts";
import { FakeClock, flushMicrotasks } from "../_helpers/fake_clock.ts";
import { FakeServer, type FakeServerOptions, SENSOR_DEVICE, TEST_DEVICE } from "./_fake_server.ts";

interface Setup {
  clock: FakeClock;
  server: FakeServer;
  client: ButtplugClient;
  events: string[];
  errors: ButtplugError[];
}

function create(
  serverOptions: FakeServerOptions = {},
  clientOptions: ButtplugClientOptions = {},
): Setup {
  const clock = new FakeClock();
  const server = new FakeServer({ clock, devices: [TEST_DEVICE], ...serverOptions });
  const client = new ButtplugClient("test client", { clock, ...clientOptions });
  const events: string[] = [];
  const errors: ButtplugError[] = [];
  client.addEventListener("deviceadded", (e) => events.push(`added ${e.device.index}`));
  client.addEventListener("deviceremoved", (e) => events.push(`removed ${e.device.index}`));
  client.addEventListener("disconnect", (e) => events.push(`disconnect: ${e.reason}`));
  client.addEventListener("scanningfinished", () => events.push("scanningfinished"));
  client.addEventListener("error", (e) => {
    events.push(`error ${e.error.code}`);
    errors.push(e.error);
  });
  return { clock, server, client, events, errors };
}

async function connected(
  serverOptions: FakeServerOptions = {},
  clientOptions: ButtplugClientOptions = {},
): Promise<Setup> {
  const setup = create(serverOptions, clientOptions);
  await setup.client.connect(new InProcessConnector(setup.server.factory));
  return setup;
}

Deno.test("connect performs the v4 handshake, then lists devices already connected", async () => {
  const { client, server, events } = create({
    serverName: "fake srv",
    devices: [SENSOR_DEVICE, TEST_DEVICE],
  });
  let connectedDuringAdd: boolean | undefined;
  client.addEventListener("deviceadded", () => connectedDuringAdd ??= client.connected);
  await using _ = client;
  assert.equal(client.connected, false);
  await client.connect(new InProcessConnector(server.factory));

  assert.equal(client.connected, true);
  assert.equal(client.serverName, "fake srv");
  assert.equal(client.maxPingTime, 0);
  assert.deepEqual(server.received.slice(0, 2), [
    {
      RequestServerInfo: {
        Id: 1,
        ClientName: "test client",
        ProtocolVersionMajor: 4,
        ProtocolVersionMinor: 0,
      },
    },
    { RequestDeviceList: { Id: 2 } },
  ]);
  // Pre-existing devices are raised exactly like new ones, in index order, before connect resolves.
  assert.deepEqual(events, ["added 0", "added 3"]);
  assert.equal(connectedDuringAdd, true);
  assert.deepEqual([...client.devices.keys()], [0, 3]);
  assert.equal(client.devices.get(3)?.displayName, "My Sensor");
});

Deno.test("an old-shaped ServerInfo is refused as 'server too old'", async () => {
  const { client, server, events } = create({
    serverInfoReply: (id) => ({
      ServerInfo: { Id: id, MessageVersion: 3, MaxPingTime: 0, ServerName: "old" },
    }),
  });
  await assert.rejects(
    client.connect(new InProcessConnector(server.factory)),
    (err) => err instanceof ButtplugInitError && /server too old.*v3/.test(err.message),
  );
  assert.equal(client.connected, false);
  assert.equal(server.session.state, "closed");
  assert.deepEqual(server.messages("RequestDeviceList"), []);
  assert.deepEqual(events, [], "no disconnect event for a connect that never succeeded");
});

Deno.test("an ERROR_INIT handshake reply is reported as 'server too old'", async () => {
  const { client, server } = create({
    serverInfoReply: (id) => ({
      Error: { Id: id, ErrorCode: 1, ErrorMessage: "MessageSpecVersionMismatch" },
    }),
  });
  await assert.rejects(
    client.connect(new InProcessConnector(server.factory)),
    (err) =>
      err instanceof ButtplugInitError && /too old/.test(err.message) &&
      /MessageSpecVersionMismatch/.test(err.message),
  );
  assert.equal(client.connected, false);
  assert.equal(server.session.state, "closed");
  // The client can connect again afterwards.
  const ok = new FakeServer({ devices: [TEST_DEVICE] });
  await client.connect(new InProcessConnector(ok.factory));
  assert.equal(client.connected, true);
  await client.disconnect();
});

Deno.test("a handshake without reply times out and closes the connection", async () => {
  const { client, server, clock } = create({ silent: ["RequestServerInfo"] }, {
    requestTimeout: 500,
  });
  const result = client.connect(new InProcessConnector(server.factory));
  const check = assert.rejects(
    result,
    (err) =>
      err instanceof ButtplugClientConnectorError &&
      err.message === "RequestServerInfo (Id 1) got no reply within 500 ms",
  );
  await clock.tick(499);
  assert.equal(server.session.state, "awaiting");
  await clock.tick(1);
  await check;
  assert.equal(server.session.state, "closed");
  assert.equal(clock.pending, 0);
});

Deno.test("requests time out after requestTimeout; the session stays usable", async () => {
  const { client, server, clock } = await connected({ silent: ["StartScanning"] }, {
    requestTimeout: 1000,
  });
  await using _ = client;
  let settled = false;
  const scan = client.startScanning().finally(() => settled = true);
  const check = assert.rejects(scan, /StartScanning \(Id 3\) got no reply within 1000 ms/);
  await clock.tick(999);
  assert.equal(settled, false);
  await clock.tick(1);
  await check;
  assert.equal(client.connected, true);
  await client.stopScanning();
  assert.equal(server.messages("StopScanning").length, 1);
});

Deno.test("each request times out at its own deadline; no timer is left after disconnect", async () => {
  const { client, server, clock } = await connected({ silent: ["StartScanning", "StopScanning"] }, {
    requestTimeout: 1000,
  });
  const settled: string[] = [];
  const start = client.startScanning().catch((err) => settled.push(`start: ${err.message}`));
  await clock.tick(400);
  const stop = client.stopScanning().catch((err) => settled.push(`stop: ${err.message}`));
  // An answered request in between changes nothing for the two silent ones.
  await client.stopAllDevices();
  await clock.tick(599);
  assert.deepEqual(settled, []);
  await clock.tick(1);
  await start;
  assert.deepEqual(settled, ["start: StartScanning (Id 3) got no reply within 1000 ms"]);
  await clock.tick(399);
  assert.equal(settled.length, 1);
  await clock.tick(1);
  await stop;
  assert.deepEqual(settled.slice(1), ["stop: StopScanning (Id 4) got no reply within 1000 ms"]);
  // A reply leaves the shared deadline timer armed; disconnecting clears it.
  await client.stopAllDevices();
  await client.disconnect();
  assert.equal(clock.pending, 0);
  assert.equal(server.messages("StopCmd").length, 3);
});

/** A fake clock that tracks which pending timers would keep the process alive. */
class RefTrackingClock extends FakeClock {
  readonly #unrefd = new Set<unknown>();
  #live = new Set<unknown>();
  override setTimeout(fn: () => void, ms: number): unknown {
    const handle = super.setTimeout(() => {
      this.#live.delete(handle);
      fn();
    }, ms);
    this.#live.add(handle);
    return handle;
  }
  override clearTimeout(handle: unknown): void {
    this.#live.delete(handle);
    super.clearTimeout(handle);
  }
  ref(handle: unknown): void {
    this.#unrefd.delete(handle);
  }
  unref(handle: unknown): void {
    this.#unrefd.add(handle);
  }
  /** Pending timers that keep the process alive. */
  get keepingAlive(): number {
    return [...this.#live].filter((h) => !this.#unrefd.has(h)).length;
  }
}

Deno.test("the request deadline timer keeps the process alive only while a request is pending", async () => {
  const clock = new RefTrackingClock();
  const server = new FakeServer({ clock, devices: [TEST_DEVICE], silent: ["StartScanning"] });
  await using client = new ButtplugClient("test client", { clock, requestTimeout: 1000 });
  await client.connect(new InProcessConnector(server.factory));
  assert.equal(clock.keepingAlive, 0, "idle after connect: nothing keeps the process alive");
  assert.equal(clock.pending, 1, "the deadline timer stays armed");
  const scan = assert.rejects(client.startScanning(), /got no reply within 1000 ms/);
  assert.equal(clock.keepingAlive, 1, "a pending request keeps the process alive");
  await clock.tick(1000);
  await scan;
  assert.equal(clock.keepingAlive, 0);
  await client.stopScanning();
  assert.equal(clock.keepingAlive, 0, "answered at once");
});

Deno.test("pending requests are rejected when the server closes the connection", async () => {
  const { client, server, events } = await connected({
    silent: ["StartScanning"],
    devices: [TEST_DEVICE, SENSOR_DEVICE],
  });
  const device = client.devices.get(0)!;
  const scan = client.startScanning();
  server.session.output.close("server shutting down");
  await assert.rejects(
    scan,
    (err) =>
      err instanceof ButtplugClientConnectorError &&
      /connection closed \(server shutting down\) before StartScanning/.test(err.message),
  );
  assert.equal(client.connected, false);
  assert.equal(client.serverName, undefined);
  assert.equal(client.devices.size, 0);
  assert.equal(device.removed, true);
  assert.deepEqual(events, [
    "added 0",
    "added 3",
    "removed 0",
    "removed 3",
    "disconnect: server shutting down",
  ]);
  await assert.rejects(device.vibrate(0.5), ButtplugDeviceError);
  await assert.rejects(client.startScanning(), ButtplugClientConnectorError);
});

Deno.test("disconnect sends StopCmd first, then closes; devices are removed", async () => {
  const { client, server, events } = await connected();
  const device = client.devices.get(0)!;
  let removedEvent = false;
  device.addEventListener("removed", () => removedEvent = true);
  await client.disconnect();
  const last = server.received[server.received.length - 1];
  assert.deepEqual(last, { StopCmd: { Id: 3 } });
  assert.equal(server.session.state, "closed");
  assert.equal(server.session.closeReason, "client disconnected");
  assert.equal(client.connected, false);
  assert.equal(removedEvent, true);
  assert.equal(device.connected, false);
  assert.deepEqual(events, ["added 0", "removed 0", "disconnect: client disconnected"]);
  await client.disconnect(); // idempotent
  assert.deepEqual(events.length, 3);
  await assert.rejects(device.stop(), /no longer connected/);
});

Deno.test("connecting twice is refused", async () => {
  const { client, server } = await connected();
  await using _ = client;
  await assert.rejects(
    client.connect(new InProcessConnector(server.factory)),
    ButtplugClientConnectorError,
  );
  assert.equal(server.sessions.length, 1);
  assert.equal(client.connected, true);
});

Deno.test("auto-ping every round(MaxPingTime/2) keeps the session alive", async () => {
  const { client, server, clock, errors } = await connected({ maxPingTime: 101 });
  await using _ = client;
  assert.equal(client.maxPingTime, 101);
  await clock.tick(50);
  assert.equal(server.messages("Ping").length, 0);
  await clock.tick(1);
  assert.equal(server.messages("Ping").length, 1);
  await clock.tick(10_000 - 51);
  assert.equal(server.messages("Ping").length, Math.floor(10_000 / 51));
  assert.equal(server.session.state, "connected");
  assert.equal(client.connected, true);
  assert.deepEqual(errors, []);
  // Ids keep counting up.
  const ids = server.received.map((m) => Object.values(m)[0].Id as number);
  assert.deepEqual(ids, ids.map((_, i) => i + 1));
});

Deno.test("no Ping is sent when MaxPingTime is 0", async () => {
  const { client, server, clock } = await connected({ maxPingTime: 0 });
  await using _ = client;
  await clock.tick(60_000);
  assert.equal(server.messages("Ping").length, 0);
  assert.equal(clock.pending, 0);
});

Deno.test("a ping-timeout Error event raises error, then disconnects", async () => {
  const { client, server, clock, events, errors } = await connected({ maxPingTime: 100 }, {
    autoPing: false,
  });
  await clock.tick(99);
  assert.equal(client.connected, true);
  await clock.tick(1);
  await flushMicrotasks();
  assert.equal(server.session.state, "closed");
  assert.equal(client.connected, false);
  assert.ok(errors[0] instanceof ButtplugPingError);
  assert.equal(errors[0].message, "PingedOut");
  assert.equal(events[1], "error 2");
  assert.match(events[events.length - 1], /^disconnect: ping timeout/);
  // No polite StopCmd after a ping timeout: the server already stopped everything.
  assert.deepEqual(server.messages("StopCmd"), []);
});

Deno.test("a Ping without reply is fatal: error event and disconnect", async () => {
  const { client, clock, events, errors } = await connected({
    maxPingTime: 1000,
    silent: ["Ping"],
  }, { requestTimeout: 200 });
  await clock.tick(699);
  assert.equal(client.connected, true);
  await clock.tick(1);
  await flushMicrotasks();
  assert.equal(client.connected, false);
  assert.ok(errors[0] instanceof ButtplugPingError);
  assert.match(errors[0].message, /ping failed: Ping \(Id 3\) got no reply within 200 ms/);
  assert.match(events[events.length - 1], /^disconnect: ping failed/);
  assert.equal(clock.pending, 0);
});

Deno.test("DeviceList events are diffed by index: add, remove, replace, unchanged", async () => {
  const { client, server, events } = await connected();
  await using _ = client;
  const original = client.devices.get(0)!;

  server.addDevice(SENSOR_DEVICE);
  await flushMicrotasks();
  assert.deepEqual(events, ["added 0", "added 3"]);

  // Same list again: nothing changes.
  server.addDevice(SENSOR_DEVICE);
  await flushMicrotasks();
  assert.deepEqual(events, ["added 0", "added 3"]);
  assert.equal(client.devices.get(0), original);

  server.removeDevice(3);
  await flushMicrotasks();
  assert.deepEqual(events.slice(2), ["removed 3"]);

  // Index 0 now holds a different device: the old object is replaced.
  const other: DeviceInfo = { ...SENSOR_DEVICE, DeviceIndex: 0, DeviceName: "Other" };
  server.addDevice(other);
  await flushMicrotasks();
  assert.deepEqual(events.slice(3), ["removed 0", "added 0"]);
  assert.equal(original.removed, true);
  const replacement = client.devices.get(0)!;
  assert.notEqual(replacement, original);
  assert.equal(replacement.name, "Other");
});

Deno.test("a device announced right after the RequestDeviceList reply is not dropped", async () => {
  // The device connects just after the server answered RequestDeviceList: the reply (without
  // it) and the DeviceList event (with it) arrive back to back. The newer event must win.
  const { client, server, events } = create({ devices: [] });
  await using _ = client;
  const factory: ServerSessionFactory = (output) => {
    const session = server.factory(output);
    return {
      async receive(frame) {
        await session.receive(frame);
        const names = (frame as RawMessage[]).map((m) => Object.keys(m)[0]);
        if (names.includes("RequestDeviceList")) server.addDevice(TEST_DEVICE);
      },
      close: (reason) => session.close(reason),
    };
  };
  await client.connect(new InProcessConnector(factory));
  await flushMicrotasks();
  assert.deepEqual(events, ["added 0"]);
  assert.deepEqual([...client.devices.keys()], [0], "the connected device is usable");
});

Deno.test("unknown fields and Output/Input types from the server are ignored", async () => {
  const future = {
    DeviceIndex: 7,
    DeviceName: "Future",
    DeviceMessageTimingGap: 50,
    SomethingNew: true,
    DeviceFeatures: {
      "0": {
        FeatureIndex: 0,
        FeatureDescription: "Inflater",
        Output: { Inflate: { Value: [0, 10] }, Vibrate: { Value: [0, 5], Curve: "x" } },
        Shiny: 1,
      },
      "1": {
        FeatureIndex: 1,
        FeatureDescription: "Heart",
        Input: { HeartRate: { Value: [[0, 200]], Command: ["Read"] } },
      },
    },
  } as unknown as DeviceInfo;
  const { client, server, errors } = await connected({ devices: [future] });
  await using _ = client;
  const device = client.devices.get(7)!;
  assert.deepEqual(device.features, [
    { FeatureIndex: 0, FeatureDescription: "Inflater", Output: { Vibrate: { Value: [0, 5] } } },
    { FeatureIndex: 1, FeatureDescription: "Heart" },
  ]);
  assert.equal(device.hasOutput("Vibrate"), true);
  await device.vibrate(1);
  assert.deepEqual(server.outputs, [{
    device: 7,
    feature: 0,
    type: "Vibrate",
    value: 5,
    duration: undefined,
  }]);
  assert.deepEqual(errors, []);
});

Deno.test("scanning messages and the scanningfinished event", async () => {
  const { client, server, events } = await connected();
  await using _ = client;
  await client.startScanning();
  await client.stopScanning();
  assert.deepEqual(server.received.slice(2), [
    { StartScanning: { Id: 3 } },
    { StopScanning: { Id: 4 } },
  ]);
  server.session.send({ ScanningFinished: { Id: 0 } });
  await flushMicrotasks();
  assert.equal(events[events.length - 1], "scanningfinished");
});

Deno.test("stopAllDevices sends StopCmd{} for every device", async () => {
  const { client, server } = await connected();
  await using _ = client;
  await client.stopAllDevices();
  assert.deepEqual(server.received[2], { StopCmd: { Id: 3 } });
  assert.deepEqual(server.stops, [{ all: true, body: { Id: 3 } }]);
});

Deno.test("Error replies reject with the matching ButtplugError subclass and Id", async () => {
  const { client, server } = await connected();
  await using _ = client;
  const device = client.devices.get(0)!;
  server.devices.delete(0); // gone on the server, event not sent yet
  await assert.rejects(
    device.stop(),
    (err) =>
      err instanceof ButtplugDeviceError && err.id === 3 && err.message === "DeviceNotAvailable",
  );
  assert.equal(client.connected, true);
});

Deno.test("malformed server messages raise error events and are otherwise ignored", async () => {
  const { client, server, errors } = await connected();
  await using _ = client;
  const output = server.session.output;
  output.send([42 as never, { A: { Id: 0 }, B: { Id: 0 } } as never, { Ok: { Id: "x" } } as never]);
  output.send([{ Ok: { Id: 999 } }]); // reply to nothing: ignored
  output.send([{ NewEvent: { Id: 0, Whatever: 1 } }]); // unknown event: ignored
  output.send([{ DeviceList: { Id: 0, Devices: [] } }]);
  await flushMicrotasks();
  assert.equal(errors.length, 4);
  assert.ok(errors.every((e) => e instanceof ButtplugMessageError));
  assert.equal(client.connected, true);
  assert.equal(client.devices.size, 1, "a malformed DeviceList does not remove devices");
  await client.startScanning();
});

Deno.test("a reply of the wrong type rejects the request", async () => {
  const { client, server } = await connected({ silent: ["StartScanning"] });
  await using _ = client;
  const scan = client.startScanning();
  server.session.send({ DeviceList: { Id: 3, Devices: {} } });
  await assert.rejects(scan, /answered StartScanning \(Id 3\) with DeviceList, expected Ok/);
  assert.equal(client.devices.size, 1);
});

Deno.test("commands before connect are rejected clearly", async () => {
  const client = new ButtplugClient("idle");
  await assert.rejects(client.startScanning(), ButtplugClientConnectorError);
  await assert.rejects(client.stopAllDevices(), /not connected/);
  await client.disconnect(); // no-op
  assert.equal(client.devices.size, 0);
});

Deno.test("a failing connector rejects connect with a connector error", async () => {
  const client = new ButtplugClient("x");
  const connector = new InProcessConnector(() => {
    throw new Error("boom");
  });
  await assert.rejects(
    client.connect(connector),
    (err) => err instanceof ButtplugClientConnectorError && /boom/.test(err.message),
  );
  assert.equal(client.connected, false);
});
