import assert from "node:assert/strict";
import {
  DEFAULT_DEVICE_WEBSOCKET_PORT,
  parseIdentification,
  type WebSocketDeviceConnector,
  WebSocketDeviceManager,
  type WebSocketDeviceManagerOptions,
} from "../../hardware/websocket_devices.ts";
import { ButtplugDeviceError } from "../../protocol/errors.ts";
import {
  DeviceConfiguration,
  embeddedDeviceConfig,
  parseUserConfig,
} from "../../server/devices/config.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import { ProtocolDeviceSource } from "../../server/devices/pipeline.ts";
import { ProtocolDevice } from "../../server/devices/device.ts";
import { createLogger } from "../../server/log.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function startManager(options: WebSocketDeviceManagerOptions = {}): WebSocketDeviceManager {
  return new WebSocketDeviceManager({ port: 0, ...options });
}

function nextFound(manager: WebSocketDeviceManager): Promise<WebSocketDeviceConnector> {
  return new Promise((resolve) => {
    manager.addEventListener(
      "found",
      (e) => resolve(e.detail as WebSocketDeviceConnector),
      { once: true },
    );
  });
}

/** A simulated DIY device: a WebSocket client that records what it receives. */
class TestPeer implements AsyncDisposable {
  readonly socket: WebSocket;
  readonly closed: Promise<CloseEvent>;
  /** Frames received, as [kind, text]. */
  readonly received: { binary: boolean; text: string }[] = [];
  #wake: (() => void)[] = [];

  private constructor(socket: WebSocket, answer?: (text: string) => string | undefined) {
    this.socket = socket;
    socket.binaryType = "arraybuffer";
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (e) => {
        resolve(e);
        this.#notify();
      }, { once: true });
    });
    socket.addEventListener("message", (e) => {
      const binary = typeof e.data !== "string";
      const text = binary ? dec.decode(new Uint8Array(e.data as ArrayBuffer)) : e.data as string;
      this.received.push({ binary, text });
      const reply = answer?.(text);
      if (reply !== undefined) socket.send(reply);
      this.#notify();
    });
  }

  static async connect(
    url: string,
    answer?: (text: string) => string | undefined,
  ): Promise<TestPeer> {
    const peer = new TestPeer(new WebSocket(url), answer);
    await new Promise<void>((resolve, reject) => {
      peer.socket.addEventListener("open", () => resolve(), { once: true });
      peer.socket.addEventListener("error", () => reject(new Error("cannot connect")), {
        once: true,
      });
    });
    return peer;
  }

  identify(identifier: string, address: string, version = 1): void {
    this.socket.send(JSON.stringify({ identifier, address, version }));
  }

  #notify(): void {
    for (const w of this.#wake.splice(0)) w();
  }

  /** Waits until `n` frames were received (or the socket closed). */
  async waitFrames(n: number, ms = 2000): Promise<string[]> {
    const deadline = Date.now() + ms;
    while (this.received.length < n && this.socket.readyState === WebSocket.OPEN) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return this.received.map((r) => r.text);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    await this.closed;
  }
}

/** A fake Lovense DIY device over the WebSocket device server. */
const lovenseAnswers = (text: string): string | undefined => {
  if (text === "DeviceType;") return "Z:11:0082059AD3BD;";
  if (text === "Battery;") return "85;";
  return undefined;
};

Deno.test("websocket devices: a DIY Lovense drives through the real pipeline end to end", async () => {
  const config = new DeviceConfiguration(
    embeddedDeviceConfig(),
    parseUserConfig({
      version: { major: 4, minor: 0 },
      user_configs: {
        protocols: { lovense: { communication: [{ websocket: { name: "LVS-Test" } }] } },
      },
    }, "test user config"),
  );
  const lines: string[] = [];
  const logger = createLogger("debug", (l) => lines.push(l));
  const ws = startManager({ logger });
  const source = new ProtocolDeviceSource({ managers: [ws], config, logger });
  await using manager = new DeviceManager({ reservedIndexes: config.reservedIndexes() });
  manager.addSource(source);
  const added = new Promise<number>((resolve) =>
    manager.addEventListener("deviceadded", (e) => resolve(e.detail.index), { once: true })
  );
  await using peer = await TestPeer.connect(ws.url, lovenseAnswers);
  peer.identify("LVS-Test", "abc");
  const index = await added;
  const device = manager.get(index)!;
  assert.ok(device instanceof ProtocolDevice);
  assert.equal(device.name, "Lovense Hush");
  assert.equal(device.hardware.name, "LVS-Test");
  assert.equal(device.hardware.address, "abc");
  assert.deepEqual(device.hardware.endpoints, ["rx", "tx"]);
  assert.equal(device.messageTimingGap, 0);

  await device.output(0, "Vibrate", { Value: 10 });
  assert.deepEqual(await peer.waitFrames(2), ["DeviceType;", "Vibrate:10;"]);
  assert.ok(peer.received.every((r) => r.binary), "every write arrives as a binary frame");
  assert.equal(await device.readInput(1, "Battery"), 85);
  assert.deepEqual(peer.received.map((r) => r.text), ["DeviceType;", "Vibrate:10;", "Battery;"]);
  assert.ok(lines.some((l) => /websocket device "LVS-Test" \(abc, version 1\) connected/.test(l)));

  // The device leaves: it is removed from the registry.
  const removed = new Promise<number>((resolve) =>
    manager.addEventListener("deviceremoved", (e) => resolve(e.detail.index), { once: true })
  );
  peer.socket.close(1000, "bye");
  assert.equal(await removed, index);
  assert.equal(manager.devices.size, 0);
  assert.ok(
    lines.some((l) => /disconnected: device closed the connection \(code 1000: bye\)/.test(l)),
  );
});

Deno.test("websocket devices: disposing the registry stops the device, then closes its socket", async () => {
  const config = new DeviceConfiguration(
    embeddedDeviceConfig(),
    parseUserConfig({
      version: { major: 4, minor: 0 },
      user_configs: {
        protocols: { lovense: { communication: [{ websocket: { name: "LVS-Test" } }] } },
      },
    }, "test user config"),
  );
  const ws = startManager();
  const source = new ProtocolDeviceSource({ managers: [ws], config });
  const manager = new DeviceManager();
  manager.addSource(source);
  const added = new Promise<void>((resolve) =>
    manager.addEventListener("deviceadded", () => resolve(), { once: true })
  );
  await using peer = await TestPeer.connect(ws.url, lovenseAnswers);
  peer.identify("LVS-Test", "stop-me");
  await added;
  await manager.get(0)!.output(0, "Vibrate", { Value: 20 });
  await manager[Symbol.asyncDispose]();
  const close = await peer.closed;
  assert.deepEqual(peer.received.map((r) => r.text), [
    "DeviceType;",
    "Vibrate:20;",
    "Vibrate:0;",
  ]);
  assert.equal(close.code, 1000);
  assert.equal(close.reason, "disconnected by server");
});

Deno.test("websocket devices: found advertisement, hardware writes, notifications and labels", async () => {
  await using ws = startManager();
  const found = nextFound(ws);
  await using peer = await TestPeer.connect(ws.url);
  peer.identify("DIY-1", "diy-address", 3);
  const connector = await found;
  assert.deepEqual(connector.advertisement, {
    transport: "websocket",
    name: "Websocket Device DIY-1",
    address: "diy-address",
  });
  assert.deepEqual(connector.identification, {
    identifier: "DIY-1",
    address: "diy-address",
    version: 3,
  });
  const hw = await connector.connect({ websocket: { name: "DIY-1" } });
  assert.equal(hw.messageGapMs, 0);
  assert.equal(hw.requiresKeepalive, false);
  await assert.rejects(
    connector.connect({ websocket: { name: "DIY-1" } }),
    (e) => e instanceof ButtplugDeviceError && /in use/.test(e.message),
  );

  // Writes: raw bytes, one binary frame each (also non-UTF-8 bytes).
  await hw.write("tx", Uint8Array.of(0xa0, 0x01, 0xff), false);
  await hw.write("tx", enc.encode("Vibrate:3;"), true);
  await peer.waitFrames(2);
  assert.ok(peer.received.every((r) => r.binary));
  assert.equal(peer.received[1].text, "Vibrate:3;");
  await assert.rejects(
    hw.write("txvibrate", Uint8Array.of(1), false),
    (e) => e instanceof ButtplugDeviceError && /no endpoint "txvibrate"/.test(e.message),
  );

  // Reads are not supported.
  await assert.rejects(
    hw.read("rx", 1, 100),
    (e) => e instanceof ButtplugDeviceError && /does not support reads/.test(e.message),
  );

  // Notifications: none while unsubscribed; `rx` while rx is subscribed; `tx` when only tx is.
  const got: { endpoint: string; text: string }[] = [];
  let wake: (() => void) | undefined;
  hw.addEventListener("notification", (e) => {
    got.push({ endpoint: e.detail.endpoint, text: dec.decode(e.detail.data) });
    wake?.();
  });
  const nextNotification = () => new Promise<void>((resolve) => wake = resolve);
  peer.socket.send("dropped");
  await new Promise((r) => setTimeout(r, 50)); // let the server see it while unsubscribed
  assert.deepEqual(got, []);
  await hw.subscribe("rx");
  await hw.subscribe("tx");
  let n = nextNotification();
  peer.socket.send("text-frame;");
  await n;
  n = nextNotification();
  peer.socket.send(Uint8Array.of(0x41, 0x42));
  await n;
  await hw.unsubscribe("rx");
  n = nextNotification();
  peer.socket.send("only-tx");
  await n;
  assert.deepEqual(got, [
    { endpoint: "rx", text: "text-frame;" },
    { endpoint: "rx", text: "AB" },
    { endpoint: "tx", text: "only-tx" },
  ]);
  await assert.rejects(
    hw.unsubscribe("rx"),
    (e) => e instanceof ButtplugDeviceError && /not subscribed/.test(e.message),
  );
  assert.deepEqual([...hw.subscribed], ["tx"]);

  // The server disconnects: the peer sees a normal close, `disconnected` fires once.
  let disconnected = 0;
  hw.addEventListener("disconnected", () => disconnected++);
  await hw.disconnect();
  await hw.disconnect();
  const close = await peer.closed;
  assert.equal(close.code, 1000);
  assert.equal(disconnected, 1);
  assert.equal(hw.disconnected, true);
  await assert.rejects(hw.write("tx", Uint8Array.of(1), false), /disconnected/);
  await assert.rejects(connector.connect({ websocket: { name: "DIY-1" } }), /went away/);
});

Deno.test("websocket devices: the peer closing emits disconnected", async () => {
  await using ws = startManager();
  const found = nextFound(ws);
  await using peer = await TestPeer.connect(ws.url);
  peer.identify("DIY-2", "addr-2");
  const hw = await (await found).connect({ websocket: { name: "DIY-2" } });
  const gone = new Promise<void>((resolve) => hw.addEventListener("disconnected", () => resolve()));
  assert.deepEqual(ws.connectedAddresses, ["addr-2"]);
  peer.socket.close(4000, "unplugged");
  await gone;
  assert.match(hw.closeReason ?? "", /device closed the connection \(code 4000: unplugged\)/);
  await peer.closed;
  assert.deepEqual(ws.connectedAddresses, []);
});

Deno.test("websocket devices: bad identification frames close the connection with a reason", async () => {
  await using ws = startManager();
  let found = 0;
  ws.addEventListener("found", () => found++);
  const cases: { send: string | Uint8Array; code: number; reason: RegExp }[] = [
    { send: Uint8Array.of(1, 2, 3), code: 1003, reason: /first frame must be a text frame/ },
    { send: "DeviceType;", code: 1008, reason: /first frame is not JSON/ },
    { send: "[1,2]", code: 1008, reason: /must be a JSON object/ },
    {
      send: JSON.stringify({ address: "a", version: 1 }),
      code: 1008,
      reason: /"identifier" must be a non-empty string/,
    },
    {
      send: JSON.stringify({ identifier: "x", address: "", version: 1 }),
      code: 1008,
      reason: /"address" must be a non-empty string/,
    },
    {
      send: JSON.stringify({ identifier: "x", address: "a", version: "1" }),
      code: 1008,
      reason: /"version" must be a non-negative integer/,
    },
    { send: "x".repeat(70_000), code: 1008, reason: /first frame too large/ },
  ];
  for (const c of cases) {
    await using peer = await TestPeer.connect(ws.url);
    peer.socket.send(c.send);
    const close = await peer.closed;
    assert.equal(close.code, c.code, `code for ${String(c.send).slice(0, 20)}`);
    assert.match(close.reason, c.reason);
    assert.ok(new TextEncoder().encode(close.reason).length <= 123);
  }
  assert.equal(found, 0);
});

Deno.test("websocket devices: a second connection with a connected address is refused", async () => {
  await using ws = startManager();
  let found = 0;
  ws.addEventListener("found", () => found++);
  const first = nextFound(ws);
  await using a = await TestPeer.connect(ws.url);
  a.identify("DIY", "same");
  await first;
  await using b = await TestPeer.connect(ws.url);
  b.identify("DIY", "same");
  const close = await b.closed;
  assert.equal(close.code, 1008);
  assert.match(close.reason, /address "same" is already connected/);
  assert.equal(found, 1);
  assert.equal(a.socket.readyState, WebSocket.OPEN);
});

Deno.test("websocket devices: a peer that never identifies is closed at the deadline (clock)", async () => {
  const clock = new FakeClock();
  await using ws = startManager({ clock, handshakeTimeoutMs: 5000 });
  await using peer = await TestPeer.connect(ws.url);
  // Let the server register the connection and arm its timer.
  for (let i = 0; i < 50 && clock.pending === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(clock.pending, 1);
  await clock.tick(4999);
  assert.equal(peer.socket.readyState, WebSocket.OPEN);
  await clock.tick(1);
  const close = await peer.closed;
  assert.equal(close.code, 1008);
  assert.match(close.reason, /no identification frame .* within 5000 ms/);
  assert.equal(clock.pending, 0);
});

Deno.test("websocket devices: an identified peer's deadline is cancelled", async () => {
  const clock = new FakeClock();
  await using ws = startManager({ clock, handshakeTimeoutMs: 5000 });
  const found = nextFound(ws);
  await using peer = await TestPeer.connect(ws.url);
  peer.identify("DIY", "in-time");
  await found;
  assert.equal(clock.pending, 0);
  await clock.tick(10_000);
  assert.equal(peer.socket.readyState, WebSocket.OPEN);
});

/** A client → server text frame (masked with a zero key, which leaves the payload as is). */
function maskedTextFrame(text: string): Uint8Array {
  const payload = enc.encode(text);
  assert.ok(payload.length < 126);
  return Uint8Array.of(0x81, 0x80 | payload.length, 0, 0, 0, 0, ...payload);
}

Deno.test("websocket devices: a peer that misses the liveness pong is disconnected", async () => {
  await using ws = startManager({ pingIntervalMs: 100 });
  const found = nextFound(ws);
  // A raw TCP peer speaking just enough WebSocket to identify, then never answering pings.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: ws.port });
  await conn.write(enc.encode(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${ws.port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${btoa("0123456789abcdef")}\r\n` +
      `Sec-WebSocket-Version: 13\r\n\r\n`,
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
  await conn.write(
    maskedTextFrame(JSON.stringify({ identifier: "silent", address: "s", version: 1 })),
  );
  const hw = await (await found).connect({ websocket: { name: "silent" } });
  const started = Date.now();
  await new Promise<void>((resolve) => hw.addEventListener("disconnected", () => resolve()));
  const elapsed = Date.now() - started;
  await reader;
  conn.close();
  assert.match(hw.closeReason ?? "", /no response to the liveness ping/);
  assert.ok(elapsed >= 100, `dropped after ${elapsed} ms`);
  assert.ok(bytes.includes(0x89), "expected a ping frame");
});

Deno.test("websocket devices: a live peer answers pings and stays connected", async () => {
  await using ws = startManager({ pingIntervalMs: 50 });
  const found = nextFound(ws);
  await using peer = await TestPeer.connect(ws.url);
  peer.identify("alive", "alive");
  const hw = await (await found).connect({ websocket: { name: "alive" } });
  await new Promise((r) => setTimeout(r, 400)); // four ping intervals of silence
  assert.equal(hw.disconnected, false);
  assert.equal(peer.socket.readyState, WebSocket.OPEN);
});

Deno.test("websocket devices: binding, scanning no-ops, abort signal shutdown", async () => {
  assert.equal(DEFAULT_DEVICE_WEBSOCKET_PORT, 54817);
  const controller = new AbortController();
  let listened: Deno.NetAddr | undefined;
  const ws = startManager({ signal: controller.signal, onListen: (a) => listened = a });
  assert.equal(ws.addr.hostname, "127.0.0.1");
  assert.ok(ws.port > 0);
  assert.equal(listened?.port, ws.port);
  assert.equal(ws.url, `ws://127.0.0.1:${ws.port}`);
  assert.equal(ws.scanning, false);
  await ws.startScanning();
  assert.equal(ws.scanning, false);
  await ws.stopScanning();

  const plain = await fetch(`http://127.0.0.1:${ws.port}/`);
  assert.equal(plain.status, 426);
  assert.match(await plain.text(), /identifier/);

  const found = nextFound(ws);
  await using peer = await TestPeer.connect(ws.url);
  peer.identify("DIY", "x");
  await found;
  controller.abort();
  const close = await peer.closed;
  assert.equal(close.code, 1001);
  assert.equal(close.reason, "server shutting down");
  await ws[Symbol.asyncDispose]();
  await assert.rejects(fetch(`http://127.0.0.1:${ws.port}/`));

  await using all = startManager({ allInterfaces: true });
  assert.equal(all.addr.hostname, "0.0.0.0");
  assert.throws(() => startManager({ port: 70000 }), RangeError);
  assert.throws(() => startManager({ pingIntervalMs: -1 }), RangeError);
});

Deno.test("websocket devices: parseIdentification", () => {
  assert.deepEqual(parseIdentification('{"identifier":"A","address":"b","version":0}'), {
    identifier: "A",
    address: "b",
    version: 0,
  });
  assert.throws(() => parseIdentification('{"identifier":"A","address":"b","version":1.5}'), {
    name: "ButtplugDeviceError",
  });
  assert.throws(() => parseIdentification("null"), /must be a JSON object/);
});
