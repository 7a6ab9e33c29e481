import assert from "node:assert/strict";
import { ButtplugClient } from "../../client/client.ts";
import type { ButtplugDisconnectEvent, ButtplugErrorEvent } from "../../client/events.ts";
import { WebSocketConnector } from "../../client/websocket_connector.ts";
import { ButtplugClientConnectorError } from "../../protocol/errors.ts";
import type { RawMessage } from "../../protocol/messages.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { FakeServer, TEST_DEVICE } from "./_fake_server.ts";

/** A port nothing listens on (bound, read, released). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Deno.serve on a random local port; `onSocket` gets every upgraded socket. */
function serveWebSocket(onSocket: (socket: WebSocket) => void) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    onSocket(socket);
    return response;
  });
  return {
    url: `ws://127.0.0.1:${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

Deno.test("connection refused rejects with a clear connector error", async () => {
  const url = `ws://127.0.0.1:${freePort()}`;
  const connector = new WebSocketConnector(url, { connectTimeout: 5000 });
  await assert.rejects(
    connector.connect(),
    (err) =>
      err instanceof ButtplugClientConnectorError &&
      err.message.startsWith(`cannot connect to ${url}`),
  );
  assert.equal(connector.connected, false);
  // The client reports the same error and stays disconnected.
  const client = new ButtplugClient("refused");
  await assert.rejects(client.connect(new WebSocketConnector(url)), ButtplugClientConnectorError);
  assert.equal(client.connected, false);
});

Deno.test("a connect that never completes times out", async () => {
  const clock = new FakeClock();
  let arrived!: () => void;
  const requestArrived = new Promise<void>((resolve) => arrived = resolve);
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
    arrived();
    await held; // never answers the upgrade while the client waits
    return new Response("too late", { status: 503 });
  });
  try {
    const url = `ws://127.0.0.1:${server.addr.port}`;
    const connector = new WebSocketConnector(url, { connectTimeout: 3000, clock });
    let settled = false;
    const attempt = connector.connect().finally(() => settled = true);
    const check = assert.rejects(
      attempt,
      (err) =>
        err instanceof ButtplugClientConnectorError &&
        err.message === `connecting to ${url} timed out after 3000 ms`,
    );
    await requestArrived;
    await clock.tick(2999);
    assert.equal(settled, false);
    await clock.tick(1);
    await check;
    assert.equal(connector.connected, false);
    assert.equal(clock.pending, 0);
  } finally {
    release();
    await server.shutdown();
  }
});

Deno.test("frames travel as JSON text; bad frames are reported; close reason is kept", async () => {
  const serverSockets: WebSocket[] = [];
  await using srv = serveWebSocket((socket) => {
    serverSockets.push(socket);
    socket.onmessage = (e) => {
      const frame = JSON.parse(e.data);
      if (frame[0].Ping) socket.send(JSON.stringify([{ Ok: { Id: frame[0].Ping.Id } }]));
      else if (frame[0].Test) {
        socket.send("not json");
        socket.send("{}");
        socket.send(new Uint8Array([1, 2]));
        socket.close(4000, "server going away");
      }
    };
  });
  const connector = new WebSocketConnector(srv.url);
  const frames: RawMessage[][] = [];
  const errors: string[] = [];
  let closed!: (reason: string) => void;
  const disconnected = new Promise<string>((resolve) => closed = resolve);
  connector.addEventListener("message", (e) => frames.push(e.detail));
  connector.addEventListener("error", (e: ButtplugErrorEvent) => errors.push(e.error.message));
  connector.addEventListener("disconnect", (e: ButtplugDisconnectEvent) => closed(e.reason));
  await connector.connect();
  assert.equal(connector.connected, true);
  await assert.rejects(connector.connect(), /already connected/);

  const reply = new Promise<void>((resolve) =>
    connector.addEventListener("message", () => resolve(), { once: true })
  );
  connector.send([{ Ping: { Id: 7 } }]);
  await reply;
  assert.deepEqual(frames, [[{ Ok: { Id: 7 } }]]);

  connector.send([{ Test: { Id: 8 } }]);
  assert.equal(await disconnected, "server going away");
  assert.deepEqual(errors.map((m) => m.split(":")[0]), [
    "invalid JSON from server",
    "invalid frame from server",
    "binary frame from server ignored (Buttplug uses text frames)",
  ]);
  assert.equal(connector.connected, false);
  assert.throws(() => connector.send([{ Ping: { Id: 9 } }]), ButtplugClientConnectorError);
});

Deno.test("ButtplugClient over WebSocket: handshake, commands, polite disconnect", async () => {
  const fake = new FakeServer({ devices: [TEST_DEVICE], serverName: "ws fake" });
  let serverSawClose!: () => void;
  const serverClosed = new Promise<void>((resolve) => serverSawClose = resolve);
  await using srv = serveWebSocket((socket) => {
    const session = fake.factory({
      send: (messages) => socket.send(JSON.stringify(messages)),
      close: (reason) => socket.close(1000, reason),
    });
    socket.onmessage = (e) => session.receive(JSON.parse(e.data));
    socket.onclose = () => {
      session.close("socket closed");
      serverSawClose();
    };
  });
  const client = new ButtplugClient("ws client");
  const reasons: string[] = [];
  client.addEventListener("disconnect", (e) => reasons.push(e.reason));
  await client.connect(new WebSocketConnector(srv.url));
  assert.equal(client.serverName, "ws fake");
  const device = client.devices.get(0)!;
  await device.vibrate(0.5);
  assert.equal(await device.battery(), 0.75);
  await client.disconnect();
  await serverClosed;
  assert.deepEqual(fake.outputs.map((o) => o.value), [10, 5]);
  assert.deepEqual(fake.received[fake.received.length - 1], { StopCmd: { Id: 6 } });
  assert.deepEqual(reasons, ["client disconnected"]);
  assert.equal(client.connected, false);
});
