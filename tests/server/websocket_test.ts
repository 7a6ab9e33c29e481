import assert from "node:assert/strict";
import {
  ButtplugWebSocketHandler,
  type ButtplugWebSocketServer,
  CLIENT_ALREADY_CONNECTED,
  type ClientDisconnectedDetail,
  serveWebSocket,
  type ServeWebSocketOptions,
} from "../../server/websocket.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import { createTestDevice, type SimulatedDevice } from "../../hardware/simulated.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { bodyOf, nameOf, RawWsClient } from "./_ws_client.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { handshakeFrame } from "../_helpers/session_harness.ts";
import { ButtplugClient } from "../../client/client.ts";
import { WebSocketConnector } from "../../client/websocket_connector.ts";
import { ButtplugClientConnectorError, ButtplugError } from "../../protocol/errors.ts";

interface Fixture extends AsyncDisposable {
  server: ButtplugWebSocketServer;
  manager: DeviceManager;
  device: SimulatedDevice;
  index: number;
}

/** A server on a free port with the test device connected. */
function startServer(options: Partial<ServeWebSocketOptions> = {}): Fixture {
  const manager = new DeviceManager();
  const device = createTestDevice();
  const index = manager.add(device);
  const server = serveWebSocket({
    deviceManager: manager,
    port: 0,
    serverName: "ws test",
    ...options,
  });
  return {
    server,
    manager,
    device,
    index,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await manager[Symbol.asyncDispose]();
    },
  };
}

/** Resolves with the detail of the next `clientdisconnected` event. */
function nextDisconnect(server: ButtplugWebSocketServer): Promise<ClientDisconnectedDetail> {
  return new Promise((resolve) => {
    server.handler.addEventListener("clientdisconnected", (e) => resolve(e.detail), { once: true });
  });
}

/** Current value of one output of the simulated device (never commanded = 0). */
function outputOf(device: SimulatedDevice, featureIndex: number): number {
  return device.outputValue(featureIndex, "Vibrate");
}

function vibrate(client: RawWsClient, index: number, feature: number, value: number) {
  return client.request("OutputCmd", {
    DeviceIndex: index,
    FeatureIndex: feature,
    Command: { Vibrate: { Value: value } },
  });
}

Deno.test("websocket: handshake, device list, command reaches the device, battery", async () => {
  await using fx = startServer();
  await using client = await RawWsClient.connect(fx.server.url);
  const info = await client.handshake("e2e");
  assert.equal(info.ServerName, "ws test");
  assert.equal(info.ProtocolVersionMajor, 4);

  const list = await client.request("RequestDeviceList");
  const devices = bodyOf(list).Devices as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(devices), [String(fx.index)]);
  assert.equal(devices[String(fx.index)].DeviceName, "Test Device");

  assert.deepEqual(await client.request("StartScanning"), { Ok: { Id: 3 } });
  assert.equal(nameOf(await vibrate(client, fx.index, 0, 10)), "Ok");
  assert.equal(outputOf(fx.device, 0), 10);

  const reading = await client.request("InputCmd", {
    DeviceIndex: fx.index,
    FeatureIndex: 4,
    Type: "Battery",
    Command: "Read",
  });
  assert.deepEqual(bodyOf(reading).Reading, { Battery: { Value: 75 } });
  assert.equal(fx.server.handler.session?.clientName, "e2e");
});

Deno.test("websocket: client disconnect stops every device and frees the slot", async () => {
  await using fx = startServer();
  const client = await RawWsClient.connect(fx.server.url);
  await client.handshake();
  await vibrate(client, fx.index, 0, 15);
  await vibrate(client, fx.index, 1, 7);
  assert.equal(outputOf(fx.device, 0), 15);
  const left = nextDisconnect(fx.server);
  await client.close();
  const detail = await left;
  assert.match(detail.reason, /client closed the connection \(code 1000/);
  assert.equal(detail.clientName, "raw test client");
  assert.equal(outputOf(fx.device, 0), 0);
  assert.equal(outputOf(fx.device, 1), 0);
  assert.equal(fx.server.handler.clientConnected, false);
  // The device is still connected for the next client.
  assert.equal(fx.manager.get(fx.index), fx.device);
});

Deno.test("websocket: a second client gets one Error frame and a close", async () => {
  await using fx = startServer();
  await using first = await RawWsClient.connect(fx.server.url);
  await first.handshake("first");

  const second = await RawWsClient.connect(fx.server.url);
  const closeEvent = await second.closed;
  assert.deepEqual(second.received, [{
    Error: { Id: 0, ErrorCode: ErrorCode.Init, ErrorMessage: CLIENT_ALREADY_CONNECTED },
  }]);
  assert.equal(closeEvent.code, 1013);
  assert.equal(closeEvent.reason, CLIENT_ALREADY_CONNECTED);

  // The first client is unaffected.
  assert.equal(nameOf(await vibrate(first, fx.index, 0, 5)), "Ok");
  assert.equal(outputOf(fx.device, 0), 5);
  assert.equal(fx.server.handler.session?.clientName, "first");
});

Deno.test("websocket: a reconnecting client sees the same device index", async () => {
  await using fx = startServer();
  const first = await RawWsClient.connect(fx.server.url);
  await first.handshake("first");
  const firstList = bodyOf(await first.request("RequestDeviceList")).Devices;
  const left = nextDisconnect(fx.server);
  await first.close();
  await left;

  await using second = await RawWsClient.connect(fx.server.url);
  await second.handshake("second");
  const secondList = bodyOf(await second.request("RequestDeviceList")).Devices;
  assert.deepEqual(secondList, firstList);
  assert.equal(nameOf(await vibrate(second, fx.index, 0, 20)), "Ok");
  assert.equal(outputOf(fx.device, 0), 20);
});

Deno.test("websocket: a client arriving while the previous one is being stopped waits", async () => {
  await using fx = startServer();
  const first = await RawWsClient.connect(fx.server.url);
  await first.handshake("first");
  await vibrate(first, fx.index, 0, 12);
  // The device takes its time to stop: the first session cannot finish closing yet.
  const release = fx.device.pause();
  const left = nextDisconnect(fx.server);
  await first.close();
  while (fx.server.handler.clientConnected) await new Promise((r) => setTimeout(r, 5));

  await using second = await RawWsClient.connect(fx.server.url);
  second.send([{
    RequestServerInfo: {
      Id: 1,
      ClientName: "second",
      ProtocolVersionMajor: 4,
      ProtocolVersionMinor: 0,
    },
  }]);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(second.received, [], "the new client is held until the old stop is done");
  assert.equal(second.open, true);
  assert.equal(outputOf(fx.device, 0), 12);

  release();
  assert.equal((await left).clientName, "first");
  assert.equal(outputOf(fx.device, 0), 0);
  const reply = await second.next();
  assert.equal(nameOf(reply), "ServerInfo");
  assert.equal(fx.server.handler.session?.clientName, "second");
});

Deno.test("websocket: a hung device does not lock the next client out", async () => {
  const clock = new FakeClock();
  const manager = new DeviceManager({ clock, stopTimeoutMs: 5000 });
  const device = createTestDevice();
  manager.add(device);
  await using server = serveWebSocket({ deviceManager: manager, port: 0 });
  const first = await RawWsClient.connect(server.url);
  await first.handshake("first");
  const release = device.pause(); // the toy stops answering: its stop never settles
  try {
    const left = nextDisconnect(server);
    await first.close();
    while (server.handler.clientConnected) await new Promise((r) => setTimeout(r, 5));

    await using second = await RawWsClient.connect(server.url);
    second.send(handshakeFrame(4));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(second.received, [], "held while the old session is still stopping");
    await clock.tick(5000); // the stop deadline passes
    assert.equal((await left).clientName, "first");
    assert.equal(nameOf(await second.next()), "ServerInfo");
    assert.equal(server.handler.session?.clientName, "vectors");
  } finally {
    release();
  }
  await manager[Symbol.asyncDispose]();
});

Deno.test("websocket: plain HTTP GET answers a JSON status", async () => {
  await using fx = startServer();
  const base = fx.server.url.replace("ws://", "http://");

  let res = await fetch(base);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  let status = await res.json();
  assert.equal(status.server, "deno-buttplug");
  assert.equal(status.name, "ws test");
  assert.equal(typeof status.version, "string");
  assert.deepEqual(status.specVersions, [0, 1, 2, 3, 4]);
  assert.equal(status.client, null);
  assert.deepEqual(status.devices, [{ index: fx.index, name: "Test Device" }]);

  await using client = await RawWsClient.connect(fx.server.url);
  await client.handshake("status watcher");
  res = await fetch(`${base}/status`);
  status = await res.json();
  assert.equal(status.client.name, "status watcher");
  assert.equal(status.client.specVersion, 4);
  assert.equal(status.client.state, "connected");
  assert.match(status.client.remoteAddress, /^127\.0\.0\.1:\d+$/);

  res = await fetch(`${base}/nope`);
  assert.equal(res.status, 404);
  await res.body?.cancel();
  res = await fetch(base, { method: "POST", body: "x" });
  assert.equal(res.status, 405);
  await res.body?.cancel();
});

Deno.test("websocket: binary and oversize frames get an Error frame, the session lives on", async () => {
  await using fx = startServer({ maxFrameBytes: 1000 });
  await using client = await RawWsClient.connect(fx.server.url);
  await client.handshake();

  client.socket.send(new Uint8Array([0x5b, 0x5d]));
  let error = await client.next((m) => nameOf(m) === "Error");
  assert.equal(bodyOf(error).Id, 0);
  assert.equal(bodyOf(error).ErrorCode, ErrorCode.Message);
  assert.match(String(bodyOf(error).ErrorMessage), /binary frames are not supported/);

  client.send(JSON.stringify([{ Ping: { Id: 99, Pad: "x".repeat(1000) } }]));
  error = await client.next((m) => nameOf(m) === "Error");
  assert.equal(bodyOf(error).Id, 0);
  assert.equal(bodyOf(error).ErrorCode, ErrorCode.Message);
  assert.match(String(bodyOf(error).ErrorMessage), /frame too large: \d+ bytes, the limit is 1000/);

  // Multi-byte characters count as bytes: 400 "é" are 800 bytes (fits), 600 are 1200 (too big).
  client.send(JSON.stringify(["é".repeat(600)]));
  error = await client.next((m) => nameOf(m) === "Error");
  assert.match(String(bodyOf(error).ErrorMessage), /frame too large/);

  assert.deepEqual(await client.request("Ping"), { Ok: { Id: 2 } });
  assert.equal(client.open, true);
});

Deno.test("websocket: the sub-protocol the client offers is accepted", async () => {
  await using fx = startServer();
  await using client = await RawWsClient.connect(fx.server.url, ["buttplug", "other"]);
  assert.equal(client.socket.protocol, "buttplug");
  await client.handshake();
});

Deno.test("websocket: a socket that misses a keepalive pong is dropped and its devices stop", async () => {
  await using fx = startServer({ keepaliveInterval: 100 });
  const left = nextDisconnect(fx.server);
  // A raw TCP peer that speaks just enough WebSocket to send two frames, then never answers
  // the server's ping (a real WebSocket client would pong automatically).
  const port = fx.server.port;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${btoa("0123456789abcdef")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  ));
  const bytes: number[] = [];
  const reader = (async () => {
    const buf = new Uint8Array(4096);
    while (true) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      bytes.push(...buf.subarray(0, n));
    }
  })();
  await conn.write(maskedTextFrame(JSON.stringify([{
    RequestServerInfo: {
      Id: 1,
      ClientName: "silent",
      ProtocolVersionMajor: 4,
      ProtocolVersionMinor: 0,
    },
  }])));
  await conn.write(maskedTextFrame(JSON.stringify([{
    OutputCmd: {
      Id: 2,
      DeviceIndex: fx.index,
      FeatureIndex: 0,
      Command: { Vibrate: { Value: 9 } },
    },
  }])));
  const detail = await left;
  await reader;
  conn.close();
  assert.equal(detail.clientName, "silent");
  assert.match(detail.reason, /no response to WebSocket keepalive ping/);
  assert.deepEqual(fx.device.history.map((h) => h.kind), ["output", "stop"]);
  assert.deepEqual(fx.device.history[0], {
    kind: "output",
    featureIndex: 0,
    type: "Vibrate",
    value: { Value: 9 },
  });
  assert.equal(outputOf(fx.device, 0), 0);
  // The server did send a ping frame (FIN + opcode 0x9) before giving up.
  assert.ok(bytes.includes(0x89), "expected a ping frame");
});

/** A client → server text frame (masked with a zero key, which leaves the payload as is). */
function maskedTextFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const header = payload.length < 126
    ? [0x81, 0x80 | payload.length]
    : [0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff];
  return new Uint8Array([...header, 0, 0, 0, 0, ...payload]);
}

Deno.test("websocket: shutdown closes the client with a reason and stops every device", async () => {
  await using fx = startServer();
  const client = await RawWsClient.connect(fx.server.url);
  await client.handshake();
  await vibrate(client, fx.index, 0, 18);
  assert.equal(outputOf(fx.device, 0), 18);
  await fx.server.shutdown("maintenance");
  const event = await client.closed;
  assert.equal(event.code, 1001);
  assert.equal(event.reason, "maintenance");
  assert.equal(outputOf(fx.device, 0), 0);
  await fx.server.finished;
});

Deno.test("websocket: aborting the signal shuts the server down", async () => {
  const controller = new AbortController();
  await using fx = startServer({ signal: controller.signal });
  const client = await RawWsClient.connect(fx.server.url);
  await client.handshake();
  controller.abort();
  const event = await client.closed;
  assert.match(event.reason, /aborted/);
  await fx.server.finished;
});

Deno.test("websocket: a port in use throws AddrInUse", async () => {
  await using fx = startServer();
  const manager = new DeviceManager();
  assert.throws(
    () => serveWebSocket({ deviceManager: manager, port: fx.server.port }),
    Deno.errors.AddrInUse,
  );
});

Deno.test("websocket: a session ending by itself closes the socket and frees the slot", async () => {
  await using fx = startServer();
  const client = await RawWsClient.connect(fx.server.url);
  const left = nextDisconnect(fx.server);
  client.send([{
    RequestServerInfo: {
      Id: 1,
      ClientName: "future",
      ProtocolVersionMajor: 9,
      ProtocolVersionMinor: 0,
    },
  }]);
  const error = await client.next();
  assert.equal(bodyOf(error).ErrorCode, ErrorCode.Init);
  const event = await client.closed;
  assert.equal(event.code, 1000);
  await left;
  await using next = await RawWsClient.connect(fx.server.url);
  await next.handshake();
});

Deno.test("websocket: invalid options are refused up front", () => {
  const deviceManager = new DeviceManager();
  for (
    const bad of [
      { maxPingTime: -1 },
      { handshakeTimeout: 1.5 },
      { keepaliveInterval: Number.NaN },
      { maxFrameBytes: 0 },
    ]
  ) {
    assert.throws(() => new ButtplugWebSocketHandler({ deviceManager, ...bad }), RangeError);
  }
});

Deno.test("websocket: onListen reports the real port on 127.0.0.1", async () => {
  let reported: Deno.NetAddr | undefined;
  await using fx = startServer({ onListen: (addr) => reported = addr });
  assert.equal(reported?.hostname, "127.0.0.1");
  assert.equal(reported?.port, fx.server.port);
  assert.notEqual(fx.server.port, 0);
  assert.equal(fx.server.url, `ws://127.0.0.1:${fx.server.port}`);
});

// ---------------------------------------------------------------------------------------------
// Our own ButtplugClient + WebSocketConnector against the listener
// ---------------------------------------------------------------------------------------------

Deno.test("websocket + ButtplugClient: scan, vibrate, battery, disconnect stops the device", async () => {
  await using fx = startServer();
  await using client = new ButtplugClient("deno e2e");
  const added: string[] = [];
  client.addEventListener("deviceadded", ({ device }) => added.push(device.name));
  await client.connect(new WebSocketConnector(fx.server.url));
  assert.equal(client.serverName, "ws test");
  assert.deepEqual(added, ["Test Device"]);
  await client.startScanning();
  await client.stopScanning();

  const device = client.devices.get(fx.index);
  assert.ok(device);
  assert.deepEqual(device.features.map((f) => f.FeatureDescription), [
    "Vibrator 1",
    "Vibrator 2",
    "Rotator",
    "Stroker",
    "Battery",
  ]);
  await device.vibrate(0.5);
  assert.equal(fx.device.outputValue(0, "Vibrate"), 10);
  assert.equal(fx.device.outputValue(1, "Vibrate"), 5);
  await device.rotate(0.25, false);
  assert.equal(fx.device.outputValue(2, "Rotate"), -5);
  assert.equal(await device.battery(), 0.75);
  assert.equal(fx.server.handler.status().client?.name, "deno e2e");

  const left = nextDisconnect(fx.server);
  const gone = new Promise<string>((resolve) =>
    client.addEventListener("disconnect", (e) => resolve(e.reason), { once: true })
  );
  await client.disconnect();
  assert.equal(await gone, "client disconnected");
  assert.equal((await left).clientName, "deno e2e");
  assert.equal(fx.device.outputValue(0, "Vibrate"), 0);
  assert.equal(fx.device.outputValue(2, "Rotate"), 0);
});

Deno.test("websocket + ButtplugClient: a second client is refused, the first keeps working", async () => {
  await using fx = startServer();
  await using first = new ButtplugClient("first");
  await first.connect(new WebSocketConnector(fx.server.url));
  const second = new ButtplugClient("second", { requestTimeout: 2000 });
  await assert.rejects(second.connect(new WebSocketConnector(fx.server.url)), ButtplugError);
  assert.equal(second.connected, false);
  await first.devices.get(fx.index)!.vibrate(1);
  assert.equal(fx.device.outputValue(0, "Vibrate"), 20);
  assert.equal(fx.server.handler.session?.clientName, "first");
});

Deno.test("websocket + ButtplugClient: reconnecting keeps the device index", async () => {
  await using fx = startServer();
  const manager = fx.manager;
  const extra = createTestDevice({ address: "SIM-0002", name: "Second Device" });
  const extraIndex = manager.add(extra);
  for (const round of [1, 2, 3]) {
    await using client = new ButtplugClient(`round ${round}`);
    await client.connect(new WebSocketConnector(fx.server.url));
    assert.deepEqual(
      [...client.devices].map(([index, d]) => [index, d.name]),
      [[fx.index, "Test Device"], [extraIndex, "Second Device"]],
    );
    await client.devices.get(extraIndex)!.vibrate(round / 4);
    assert.equal(extra.outputValue(0, "Vibrate"), 5 * round);
    const left = nextDisconnect(fx.server);
    await client.disconnect();
    await left;
    assert.equal(extra.outputValue(0, "Vibrate"), 0);
  }
});

Deno.test("websocket + ButtplugClient: server shutdown disconnects the client with the reason", async () => {
  await using fx = startServer();
  await using client = new ButtplugClient("shutdown watcher");
  await client.connect(new WebSocketConnector(fx.server.url));
  await client.devices.get(fx.index)!.vibrate(0.5);
  const gone = new Promise<string>((resolve) =>
    client.addEventListener("disconnect", (e) => resolve(e.reason), { once: true })
  );
  await fx.server.shutdown("server shutting down (test)");
  assert.match(await gone, /server shutting down \(test\)/);
  assert.equal(fx.device.outputValue(0, "Vibrate"), 0);
  await assert.rejects(client.startScanning(), ButtplugClientConnectorError);
});
