/**
 * Test harness for server sessions: a `ButtplugServer` wired to a recording output, a
 * `DeviceManager` with a `SimulatedDeviceSource`, the fixture device, a `FakeClock`, and schema
 * validation of every frame the server sends. Plus the vectors' message matcher (multiset,
 * `"*"` wildcards, exact key sets).
 *
 * @module
 */
import type { RawMessage, SpecVersion } from "../../protocol/messages.ts";
import { ButtplugServer } from "../../server/server.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import {
  createTestDevice,
  type SimulatedDevice,
  SimulatedDeviceSource,
} from "../../hardware/simulated.ts";
import { FakeClock } from "./fake_clock.ts";
import { buttplugSchema, type SchemaValidator, validateFrame } from "./schema_validator.ts";

/** Options of {@linkcode createSession}. */
export interface SessionOptions {
  /** Connect the fixture device at index 0 before the session starts (default true). */
  readonly deviceConnected?: boolean;
  /** `MaxPingTime` (default 0). */
  readonly maxPingTime?: number;
  /** `ServerName` (default "test"). */
  readonly serverName?: string;
  /** Handshake timeout (default 0). */
  readonly handshakeTimeout?: number;
  /** Spec version frames are validated against; default: the session's negotiated version. */
  readonly schemaVersion?: SpecVersion;
}

/** A running session under test. Dispose it with `await using`. */
export interface Session extends AsyncDisposable {
  readonly clock: FakeClock;
  readonly manager: DeviceManager;
  readonly source: SimulatedDeviceSource;
  readonly server: ButtplugServer;
  /** The fixture device (the latest one connected). */
  device: SimulatedDevice | undefined;
  /** Every frame the server sent. */
  readonly frames: RawMessage[][];
  /** Every message the server sent, flattened. */
  readonly received: RawMessage[];
  /** Reasons passed to `output.close`. */
  readonly closes: string[];
  /** Schema problems of sent frames. */
  readonly schemaErrors: string[];
  /** Sends a frame (arrays and objects are serialized first, strings go verbatim). */
  send(frame: unknown): Promise<void>;
  /** Messages received since the last call (and forgets them). */
  take(): RawMessage[];
  /**
   * Performs the handshake for `version` and returns the ServerInfo reply. Device events held
   * back until the handshake (devices connected after the session was created) are consumed.
   */
  handshake(version: SpecVersion, id?: number): Promise<RawMessage>;
  /** Connects a fresh fixture device through the simulated source. */
  connectDevice(): SimulatedDevice;
}

/** The RequestServerInfo of each spec version, as the vectors send it. */
export function handshakeFrame(version: SpecVersion, id = 1): RawMessage[] {
  if (version === 4) {
    return [{
      RequestServerInfo: {
        Id: id,
        ClientName: "vectors",
        ProtocolVersionMajor: 4,
        ProtocolVersionMinor: 0,
      },
    }];
  }
  if (version === 0) return [{ RequestServerInfo: { Id: id, ClientName: "vectors" } }];
  return [{ RequestServerInfo: { Id: id, ClientName: "vectors", MessageVersion: version } }];
}

/** Starts a session with the fixture device. */
export async function createSession(options: SessionOptions = {}): Promise<Session> {
  const schema: SchemaValidator = await buttplugSchema();
  const clock = new FakeClock();
  const manager = new DeviceManager();
  const source = new SimulatedDeviceSource({ clock });
  manager.addSource(source);
  const frames: RawMessage[][] = [];
  const received: RawMessage[] = [];
  const closes: string[] = [];
  const schemaErrors: string[] = [];
  let taken = 0;
  const session = {} as Session;
  // Devices "already connected when the client arrives" must exist before the session.
  const initialDevice = options.deviceConnected ?? true
    ? source.connect(createTestDevice())
    : undefined;
  const server = new ButtplugServer(
    {
      send(messages) {
        frames.push(messages);
        received.push(...messages);
        const version = options.schemaVersion ?? server.specVersion ?? 4;
        for (const problem of validateFrame(schema, messages, version)) {
          schemaErrors.push(`${JSON.stringify(messages)}: ${problem}`);
        }
      },
      close(reason) {
        closes.push(reason);
      },
    },
    {
      deviceManager: manager,
      serverName: options.serverName ?? "test",
      maxPingTime: options.maxPingTime ?? 0,
      handshakeTimeout: options.handshakeTimeout ?? 0,
      clock,
    },
  );
  Object.assign(session, {
    clock,
    manager,
    source,
    server,
    device: initialDevice,
    frames,
    received,
    closes,
    schemaErrors,
    send(frame: unknown): Promise<void> {
      return server.receive(typeof frame === "string" ? frame : JSON.stringify(frame));
    },
    take(): RawMessage[] {
      const out = received.slice(taken);
      taken = received.length;
      return out;
    },
    async handshake(version: SpecVersion, id = 1): Promise<RawMessage> {
      await session.send(handshakeFrame(version, id));
      const reply = session.take();
      if (reply.length === 0 || !("ServerInfo" in reply[0])) {
        throw new Error(`handshake failed: ${JSON.stringify(reply)}`);
      }
      return reply[0];
    },
    connectDevice(): SimulatedDevice {
      session.device = source.connect(createTestDevice());
      return session.device;
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await server.close();
      await manager[Symbol.asyncDispose]();
    },
  });
  return session;
}

/**
 * Whether `actual` matches `expected` (vector rules): `"*"` matches anything, arrays are
 * ordered, objects must have exactly the listed keys, numbers compare numerically.
 */
export function matches(actual: unknown, expected: unknown): boolean {
  if (expected === "*") return true;
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length &&
      expected.every((e, i) => matches(actual[i], e));
  }
  if (typeof expected === "object" && expected !== null) {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const keys = Object.keys(e);
    return Object.keys(a).length === keys.length &&
      keys.every((k) => Object.hasOwn(a, k) && matches(a[k], e[k]));
  }
  return actual === expected;
}

/**
 * Matches `actual` against `expected` as multisets (order-insensitive), with a proper bipartite
 * matching so wildcards cannot steal a message a stricter expectation needs. Returns a
 * description of the mismatch, or null.
 */
export function multisetMismatch(actual: unknown[], expected: unknown[]): string | null {
  const owner = new Array<number>(actual.length).fill(-1);
  const tryAssign = (e: number, seen: boolean[]): boolean => {
    for (let a = 0; a < actual.length; a++) {
      if (seen[a] || !matches(actual[a], expected[e])) continue;
      seen[a] = true;
      if (owner[a] === -1 || tryAssign(owner[a], seen)) {
        owner[a] = e;
        return true;
      }
    }
    return false;
  };
  const missing: unknown[] = [];
  for (let e = 0; e < expected.length; e++) {
    if (!tryAssign(e, new Array<boolean>(actual.length).fill(false))) missing.push(expected[e]);
  }
  const extra = actual.filter((_, a) => owner[a] === -1);
  if (missing.length === 0 && extra.length === 0) return null;
  return [
    missing.length ? `missing: ${missing.map((m) => JSON.stringify(m)).join("\n  ")}` : "",
    extra.length ? `unexpected: ${extra.map((m) => JSON.stringify(m)).join("\n  ")}` : "",
    `received: ${actual.map((m) => JSON.stringify(m)).join("\n  ")}`,
  ].filter(Boolean).join("\n");
}
