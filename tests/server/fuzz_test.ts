/**
 * Fuzzing the WebSocket server with 10,000+ generated frames over a real socket: random JSON,
 * mutated valid messages of every spec version (0..4), random bytes (as text and as binary
 * frames), truncated frames and a few oversize ones. Seeded, so a failure replays exactly.
 *
 * The server must answer every frame (one reply per element of a JSON array, else exactly one
 * Error), never log an internal error, and still serve a valid command afterwards.
 */
import assert from "node:assert/strict";
import { serveWebSocket } from "../../server/websocket.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import { createLogger } from "../../server/log.ts";
import { createTestDevice } from "../../hardware/simulated.ts";
import { bodyOf, nameOf, RawWsClient, type WireMessage } from "./_ws_client.ts";

const SEED = 0x5eed_b077;
const FRAMES = 10_000;
/** Frames in flight before waiting for their replies. */
const WINDOW = 32;
const TIME_LIMIT_MS = 20_000;
const MAX_FRAME_BYTES = 64 * 1024;

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  readonly random: () => number;
  constructor(seed: number) {
    this.random = prng(seed);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  string(): string {
    const alphabets = [
      "abcdefghijklmnopqrstuvwxyz",
      "ABCXYZ0123456789 _-",
      '"\\/\b\f\n\r\t{}[]:,',
      "éß漢字🙂",
      "\u0000\u0001\u001f\u007f\ud800\udfff",
    ];
    const alphabet = this.pick(alphabets);
    const chars = [...alphabet];
    let out = "";
    for (let i = this.int(0, 12); i > 0; i--) out += this.pick(chars);
    return out;
  }
  number(): number {
    return this.pick([
      0,
      -0,
      1,
      -1,
      0.5,
      1.0000001,
      -0.000001,
      255,
      256,
      2147483647,
      2147483648,
      -2147483649,
      4294967295,
      4294967296,
      Number.MAX_SAFE_INTEGER,
      1e308,
      -1e308,
      5e-324,
      this.int(-1000, 1000),
      this.random() * 100,
    ]);
  }
  json(depth = 0): unknown {
    const kind = this.int(0, depth > 3 ? 3 : 6);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.number();
      case 3:
        return this.string();
      case 4: {
        const out: unknown[] = [];
        for (let i = this.int(0, 4); i > 0; i--) out.push(this.json(depth + 1));
        return out;
      }
      default: {
        const out: Record<string, unknown> = {};
        for (let i = this.int(0, 4); i > 0; i--) {
          const key = this.chance(0.5) ? this.pick(FIELD_NAMES) : this.string();
          out[key] = this.json(depth + 1);
        }
        if (this.chance(0.3)) return { [this.pick(MESSAGE_NAMES)]: out };
        return out;
      }
    }
  }
}

/** Valid client messages of every spec version (Id is replaced per use). */
const TEMPLATES: readonly WireMessage[] = [
  // v0
  { RequestServerInfo: { Id: 1, ClientName: "fuzz v0" } },
  { Ping: { Id: 1 } },
  { StartScanning: { Id: 1 } },
  { StopScanning: { Id: 1 } },
  { RequestDeviceList: { Id: 1 } },
  { StopDeviceCmd: { Id: 1, DeviceIndex: 0 } },
  { StopAllDevices: { Id: 1 } },
  { SingleMotorVibrateCmd: { Id: 1, DeviceIndex: 0, Speed: 0.5 } },
  { FleshlightLaunchFW12Cmd: { Id: 1, DeviceIndex: 0, Position: 50, Speed: 50 } },
  { VorzeA10CycloneCmd: { Id: 1, DeviceIndex: 0, Speed: 50, Clockwise: true } },
  { LovenseCmd: { Id: 1, DeviceIndex: 0, Command: "Vibrate:20;" } },
  { KiirooCmd: { Id: 1, DeviceIndex: 0, Command: "4" } },
  { RequestLog: { Id: 1, LogLevel: "Warn" } },
  { Test: { Id: 1, TestString: "Moo" } },
  // v1
  { RequestServerInfo: { Id: 1, ClientName: "fuzz v1", MessageVersion: 1 } },
  { VibrateCmd: { Id: 1, DeviceIndex: 0, Speeds: [{ Index: 0, Speed: 0.5 }] } },
  { RotateCmd: { Id: 1, DeviceIndex: 0, Rotations: [{ Index: 0, Speed: 0.5, Clockwise: true }] } },
  { LinearCmd: { Id: 1, DeviceIndex: 0, Vectors: [{ Index: 0, Duration: 500, Position: 0.3 }] } },
  // v2
  { RequestServerInfo: { Id: 1, ClientName: "fuzz v2", MessageVersion: 2 } },
  { BatteryLevelCmd: { Id: 1, DeviceIndex: 0 } },
  { RSSILevelCmd: { Id: 1, DeviceIndex: 0 } },
  {
    RawWriteCmd: { Id: 1, DeviceIndex: 0, Endpoint: "tx", Data: [0, 1], WriteWithResponse: false },
  },
  { RawReadCmd: { Id: 1, DeviceIndex: 0, Endpoint: "rx", ExpectedLength: 0, WaitForData: false } },
  { RawSubscribeCmd: { Id: 1, DeviceIndex: 0, Endpoint: "rx" } },
  { RawUnsubscribeCmd: { Id: 1, DeviceIndex: 0, Endpoint: "rx" } },
  // v3
  { RequestServerInfo: { Id: 1, ClientName: "fuzz v3", MessageVersion: 3 } },
  {
    ScalarCmd: {
      Id: 1,
      DeviceIndex: 0,
      Scalars: [{ Index: 0, Scalar: 0.5, ActuatorType: "Vibrate" }],
    },
  },
  { SensorReadCmd: { Id: 1, DeviceIndex: 0, SensorIndex: 0, SensorType: "Battery" } },
  { SensorSubscribeCmd: { Id: 1, DeviceIndex: 0, SensorIndex: 0, SensorType: "Battery" } },
  { SensorUnsubscribeCmd: { Id: 1, DeviceIndex: 0, SensorIndex: 0, SensorType: "Battery" } },
  // v4
  {
    RequestServerInfo: {
      Id: 1,
      ClientName: "fuzz v4",
      ProtocolVersionMajor: 4,
      ProtocolVersionMinor: 0,
    },
  },
  // A client newer than the server: ERROR_INIT, then the server closes the connection.
  {
    RequestServerInfo: {
      Id: 1,
      ClientName: "fuzz v5",
      ProtocolVersionMajor: 5,
      ProtocolVersionMinor: 0,
    },
  },
  { OutputCmd: { Id: 1, DeviceIndex: 0, FeatureIndex: 0, Command: { Vibrate: { Value: 10 } } } },
  { OutputCmd: { Id: 1, DeviceIndex: 0, FeatureIndex: 2, Command: { Rotate: { Value: -5 } } } },
  {
    OutputCmd: {
      Id: 1,
      DeviceIndex: 0,
      FeatureIndex: 3,
      Command: { HwPositionWithDuration: { Value: 50, Duration: 100 } },
    },
  },
  { InputCmd: { Id: 1, DeviceIndex: 0, FeatureIndex: 4, Type: "Battery", Command: "Read" } },
  { StopCmd: { Id: 1 } },
  { StopCmd: { Id: 1, DeviceIndex: 0, FeatureIndex: 0, Inputs: true, Outputs: false } },
];

const MESSAGE_NAMES = [
  ...new Set(TEMPLATES.map(nameOf)),
  "Ok",
  "Error",
  "DeviceList",
  "Disconnect",
];
const FIELD_NAMES = [
  ...new Set(TEMPLATES.flatMap((t) => Object.keys(bodyOf(t)))),
  "Value",
  "Duration",
  "Index",
  "Speed",
];

function mutate(gen: Gen, message: WireMessage): unknown {
  const copy: Record<string, unknown> = structuredClone(message);
  let name = nameOf(message);
  for (let n = gen.int(0, 3); n > 0; n--) {
    const body = copy[name];
    if (body === null || typeof body !== "object" || Array.isArray(body)) break;
    const fields = body as Record<string, unknown>;
    const keys = Object.keys(fields);
    switch (gen.int(0, 8)) {
      case 0:
        if (keys.length) delete fields[gen.pick(keys)];
        break;
      case 1:
        if (keys.length) fields[gen.pick(keys)] = gen.json(1);
        break;
      case 2:
        fields[gen.chance(0.5) ? gen.pick(FIELD_NAMES) : gen.string()] = gen.json(1);
        break;
      case 3:
        fields.Id = gen.pick([0, -1, 1.5, 4294967295, 4294967296, "7", null, gen.int(1, 1e6)]);
        break;
      case 4: {
        const renamed = gen.pick([name.toLowerCase(), `${name}x`, gen.pick(MESSAGE_NAMES)]);
        delete copy[name];
        copy[renamed] = fields;
        name = renamed;
        break;
      }
      case 5:
        copy[name] = gen.json(2);
        break;
      case 6: {
        const numeric = keys.filter((k) => typeof fields[k] === "number");
        if (numeric.length) fields[gen.pick(numeric)] = gen.number();
        break;
      }
      case 7: {
        const arrays = keys.filter((k) => Array.isArray(fields[k]));
        if (arrays.length) {
          const key = gen.pick(arrays);
          const items = fields[key] as unknown[];
          fields[key] = gen.pick([[], [...items, ...items], [gen.json(1)], items.map(() => null)]);
        }
        break;
      }
      default:
        copy[gen.pick(MESSAGE_NAMES)] = gen.json(1); // a second key
    }
  }
  return copy;
}

/** One generated frame: text (JSON or not) or binary. */
type Frame = { text: string } | { binary: Uint8Array };

function generate(gen: Gen, nextId: () => number): Frame {
  const kind = gen.int(0, 99);
  if (kind < 45) {
    // Mutated (or valid) messages of every version, 1..5 per frame.
    const messages: unknown[] = [];
    for (let i = gen.int(1, 5); i > 0; i--) {
      const template = structuredClone(gen.pick(TEMPLATES));
      bodyOf(template).Id = nextId();
      messages.push(gen.chance(0.7) ? mutate(gen, template) : template);
    }
    if (gen.chance(0.05)) return { text: JSON.stringify(messages[0]) }; // not wrapped
    return { text: JSON.stringify(messages) };
  }
  if (kind < 70) return { text: JSON.stringify(gen.chance(0.7) ? [gen.json()] : gen.json()) };
  if (kind < 80) {
    const valid = JSON.stringify([gen.pick(TEMPLATES)]);
    return { text: valid.slice(0, gen.int(0, valid.length - 1)) }; // truncated
  }
  const bytes = new Uint8Array(gen.int(1, 64));
  for (let i = 0; i < bytes.length; i++) bytes[i] = gen.int(0, 255);
  if (kind < 90) return { binary: bytes };
  if (kind < 99) return { text: String.fromCharCode(...bytes) };
  return { text: `[${" ".repeat(MAX_FRAME_BYTES)}]` }; // oversize
}

/** Replies the server owes for a frame (an array of N elements: N; anything else: 1). */
function expectedReplies(frame: Frame): number {
  if (!("text" in frame)) return 1;
  if (frame.text.length > MAX_FRAME_BYTES) return 1;
  try {
    const value = JSON.parse(frame.text);
    return Array.isArray(value) && value.length > 0 ? value.length : 1;
  } catch {
    return 1;
  }
}

function assertWellFormedReply(message: WireMessage): void {
  const keys = Object.keys(message);
  assert.equal(keys.length, 1, `reply with ${keys.length} keys: ${JSON.stringify(message)}`);
  const body = bodyOf(message);
  assert.equal(typeof body.Id, "number", JSON.stringify(message));
  if (keys[0] === "Error") {
    assert.ok([0, 1, 2, 3, 4].includes(body.ErrorCode as number), JSON.stringify(message));
    assert.equal(typeof body.ErrorMessage, "string");
  }
}

Deno.test("fuzz: 10,000 generated frames over a real socket are all answered", async () => {
  const started = performance.now();
  const errors: string[] = [];
  const logger = createLogger("error", (line) => errors.push(line));
  const manager = new DeviceManager();
  const device = createTestDevice();
  manager.add(device);
  await using server = serveWebSocket({
    deviceManager: manager,
    port: 0,
    logger,
    maxFrameBytes: MAX_FRAME_BYTES,
  });
  const departures: string[] = [];
  server.handler.addEventListener("clientdisconnected", (e) => departures.push(e.detail.reason));
  const gen = new Gen(SEED);
  let id = 1;
  const nextId = () => (id = id >= 4294967295 ? 1 : id + 1);

  let sent = 0;
  let answered = 0;
  let replies = 0;
  let reconnects = 0;
  let serverCloses = 0;
  const names = new Map<string, number>();
  while (sent < FRAMES) {
    const client = await RawWsClient.connect(server.url);
    let expected = 0;
    let inFlight = 0;
    // Reconnect now and then, so every spec version gets its turn at a fresh handshake.
    const budget = Math.min(FRAMES - sent, gen.int(200, 1500));
    let used = 0;
    while (used < budget && client.open) {
      const frame = generate(gen, nextId);
      if ("text" in frame) client.send(frame.text);
      else client.socket.send(frame.binary);
      expected += expectedReplies(frame);
      sent++;
      used++;
      inFlight++;
      if (inFlight >= WINDOW || used === budget) {
        // Wait until every reply owed so far has arrived (or the server ended the session).
        await client.waitForCount(expected, 5000);
        if (client.open) {
          assert.equal(
            client.received.length,
            expected,
            `frames ${sent - inFlight + 1}..${sent}: expected ${expected} replies`,
          );
          answered += inFlight;
        }
        inFlight = 0;
      }
    }
    for (const message of client.received) {
      assertWellFormedReply(message);
      names.set(nameOf(message), (names.get(nameOf(message)) ?? 0) + 1);
    }
    replies += client.received.length;
    assert.deepEqual(client.garbage, [], "every frame from the server is a JSON array");
    const serverEnded = !client.open;
    if (client.open) await client.close();
    else await client.closed;
    const waitUntil = Date.now() + 5000;
    while (departures.length <= reconnects) {
      assert.ok(Date.now() < waitUntil, "the server never reported the client's departure");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const reason = departures[reconnects];
    if (serverEnded) {
      // Only the session may end a connection early, after refusing a too-new handshake (the
      // client keeps sending, so its close may arrive unclean; the reason is the server's).
      serverCloses++;
      assert.match(reason, /MessageSpecVersionMismatch/);
      assert.ok(
        client.received.some((m) => nameOf(m) === "Error" && bodyOf(m).ErrorCode === 1),
        "a server close follows an ERROR_INIT",
      );
    } else {
      assert.match(reason, /^client closed the connection/);
    }
    reconnects++;
  }

  const elapsed = performance.now() - started;
  assert.ok(sent >= FRAMES);
  assert.ok(answered >= FRAMES * 0.95, `only ${answered} of ${sent} frames fully answered`);
  assert.deepEqual(errors, [], "the server logged internal errors");
  // The mix reached deep into the protocol, not just the parser.
  for (const name of ["Error", "Ok", "ServerInfo", "DeviceList"]) {
    assert.ok((names.get(name) ?? 0) > 0, `no ${name} reply in ${JSON.stringify([...names])}`);
  }
  assert.ok(elapsed < TIME_LIMIT_MS, `fuzzing took ${Math.round(elapsed)} ms`);

  // Still alive and correct: a fresh client drives the device.
  await using check = await RawWsClient.connect(server.url);
  await check.handshake("after fuzz");
  const reply = await check.request("OutputCmd", {
    DeviceIndex: 0,
    FeatureIndex: 0,
    Command: { Vibrate: { Value: 20 } },
  });
  assert.equal(nameOf(reply), "Ok");
  assert.equal(device.outputValue(0, "Vibrate"), 20);
  console.log(
    `fuzz: ${sent} frames, ${replies} replies, ${reconnects} connections (${serverCloses} ended by the server), ${
      Math.round(elapsed)
    } ms; replies: ${JSON.stringify(Object.fromEntries(names))}`,
  );
  await check.close();
  await manager[Symbol.asyncDispose]();
});
