import assert from "node:assert/strict";
import {
  LOVENSE_CONNECT_DISCOVERY_URL,
  type LovenseConnectConnector,
  type LovenseConnectFetch,
  LovenseConnectManager,
  type LovenseConnectManagerOptions,
  normalizeLovenseConnectHost,
  parseLovenseDiscovery,
  parseLovenseGetToys,
} from "../../hardware/lovense_connect.ts";
import { ButtplugDeviceError } from "../../protocol/errors.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import { ProtocolDeviceSource } from "../../server/devices/pipeline.ts";
import { createLogger } from "../../server/log.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

interface FakeToy {
  id: string;
  name: string;
  nickName: string;
  status: number | string;
  version: string;
  battery: number | null;
}

const toy = (id: string, name: string, battery: number | null = 80, status = 1): FakeToy => ({
  id,
  name,
  nickName: "",
  status,
  version: "",
  battery,
});

/** A local stand-in for the Lovense Connect app (and the lookup service). */
class FakeLovenseApp implements AsyncDisposable {
  toys: Record<string, FakeToy> = {};
  /** Path and query of every request, in order. */
  readonly requests: string[] = [];
  /** Status of command (non-GetToys) replies. */
  commandStatus = 200;
  commandCode = 200;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  #down = false;

  constructor() {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const url = new URL(req.url);
      this.requests.push(url.pathname + url.search);
      if (url.pathname === "/api/lan/getToys") {
        return Response.json({
          "127-0-0-1.lovense.club": {
            domain: "127-0-0-1.lovense.club",
            httpPort: String(this.port),
            wsPort: 34567,
            httpsPort: 34568,
            wssPort: 34568,
            toys: {},
          },
        });
      }
      if (url.pathname === "/GetToys") {
        return Response.json({ type: "OK", code: 200, data: this.toys });
      }
      return Response.json({ type: "OK", code: this.commandCode }, { status: this.commandStatus });
    });
  }

  get port(): number {
    return this.#server.addr.port;
  }

  get host(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests other than lookups and GetToys polls. */
  get commands(): string[] {
    return this.requests.filter((r) => r !== "/GetToys" && r !== "/api/lan/getToys");
  }

  /** The app quits: the port stops answering. */
  async shutDown(): Promise<void> {
    if (this.#down) return;
    this.#down = true;
    await this.#server.shutdown();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutDown();
  }
}

async function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function collectFound(manager: LovenseConnectManager): LovenseConnectConnector[] {
  const found: LovenseConnectConnector[] = [];
  manager.addEventListener("found", (e) => found.push(e.detail as LovenseConnectConnector));
  return found;
}

function manager(options: LovenseConnectManagerOptions): LovenseConnectManager {
  return new LovenseConnectManager(options);
}

Deno.test("lovense connect: lookup, discovery and a vibrate through the real pipeline", async () => {
  await using app = new FakeLovenseApp();
  app.toys = {
    c1d2: toy("c1d2", "Hush", 64),
    off1: toy("off1", "Edge", 90, 0),
    junk: { id: "../x", name: "Bad" } as unknown as FakeToy,
  };
  const clock = new FakeClock();
  const lines: string[] = [];
  const logger = createLogger("debug", (l) => lines.push(l));
  const lovense = manager({
    discoveryUrl: `http://127.0.0.1:${app.port}/api/lan/getToys`,
    clock,
    logger,
  });
  const source = new ProtocolDeviceSource({ managers: [lovense], logger });
  await using devices = new DeviceManager();
  devices.addSource(source);
  const added = new Promise<number>((resolve) =>
    devices.addEventListener("deviceadded", (e) => resolve(e.detail.index), { once: true })
  );
  await devices.startScanning();
  assert.equal(lovense.scanning, true);
  const index = await added;
  assert.deepEqual(lovense.hosts, [app.host]);
  assert.deepEqual(app.requests, ["/api/lan/getToys", "/GetToys"]);
  const device = devices.get(index)!;
  assert.equal(device.name, "Lovense Hush");
  assert.equal(devices.devices.size, 1, "the toy with status 0 is not reported");

  await device.output(0, "Vibrate", { Value: 10 });
  await until(() => app.commands.length === 1, "the vibrate GET");
  assert.deepEqual(app.commands, ["/Vibrate1?v=10&t=c1d2"]);

  // Battery: the level GetToys reported, then what the 1 s poll sees.
  assert.equal(await device.readInput(1, "Battery"), 64);
  app.toys.c1d2.battery = 51;
  await clock.tick(1000);
  await lovense.settled();
  assert.equal(await device.readInput(1, "Battery"), 51);
  assert.equal(app.requests.filter((r) => r === "/GetToys").length, 2);

  // The toy disappears from the app: the next poll disconnects it.
  const removed = new Promise<number>((resolve) =>
    devices.addEventListener("deviceremoved", (e) => resolve(e.detail.index), { once: true })
  );
  delete app.toys.c1d2;
  await clock.tick(1000);
  await lovense.settled();
  assert.equal(await removed, index);
  assert.equal(devices.devices.size, 0);
  assert.ok(lines.some((l) => /c1d2\) disconnected: the toy is no longer listed/.test(l)));
  assert.equal(clock.pending, 1, "only the scan timer is left (no poll of a gone toy)");
});

Deno.test("lovense connect: a device is stopped when the registry closes", async () => {
  await using app = new FakeLovenseApp();
  app.toys = { e1: toy("e1", "Edge") };
  const clock = new FakeClock();
  const lovense = manager({ hosts: [app.host], clock });
  const source = new ProtocolDeviceSource({ managers: [lovense] });
  const devices = new DeviceManager();
  devices.addSource(source);
  const added = new Promise<void>((resolve) =>
    devices.addEventListener("deviceadded", () => resolve(), { once: true })
  );
  await devices.startScanning();
  await added;
  const device = devices.get(0)!;
  assert.equal(device.name, "Lovense Edge");
  await device.output(1, "Vibrate", { Value: 20 });
  await until(() => app.commands.length === 1, "the vibrate GET");
  await devices[Symbol.asyncDispose]();
  assert.deepEqual(app.commands[0], "/Vibrate2?v=20&t=e1");
  assert.deepEqual(app.commands.slice(1).sort(), ["/Vibrate1?v=0&t=e1", "/Vibrate2?v=0&t=e1"]);
  assert.equal(app.requests[0], "/GetToys", "a configured host skips the Internet lookup");
  assert.equal(clock.pending, 0, "no timer left behind");
});

Deno.test("lovense connect: the app going away or turning the toy off disconnects", async () => {
  const clock = new FakeClock();
  const app = new FakeLovenseApp();
  app.toys = { a: toy("a", "Lush"), b: toy("b", "Nora") };
  await using lovense = manager({ hosts: [app.host], clock });
  const found = collectFound(lovense);
  await lovense.startScanning();
  await lovense.settled();
  assert.deepEqual(found.map((f) => [f.advertisement.name, f.advertisement.address]), [
    ["Lush", "a"],
    ["Nora", "b"],
  ]);
  assert.deepEqual(found[0].advertisement.transport, "lovense_connect_service");
  const lush = await found[0].connect({ lovense_connect_service: { exists: true } });
  const nora = await found[1].connect({ lovense_connect_service: { exists: true } });
  let lushGone = 0;
  lush.addEventListener("disconnected", () => lushGone++);
  app.toys.a.status = "0";
  await clock.tick(1000);
  await lovense.settled();
  assert.equal(lushGone, 1);
  assert.match(lush.disconnectReason ?? "", /reports the toy disconnected/);
  assert.equal(nora.disconnected, false);
  await assert.rejects(lush.write("tx", new TextEncoder().encode("Vibrate1?v=1&t=a"), false), {
    name: "ButtplugDeviceError",
  });

  await app.shutDown();
  await clock.tick(1000);
  await lovense.settled();
  assert.equal(nora.disconnected, true);
  assert.match(nora.disconnectReason ?? "", /stopped answering/);
  await clock.tick(5000);
  await lovense.settled();
  assert.equal(lushGone, 1, "disconnected is emitted once");
});

Deno.test("lovense connect: hardware endpoints, battery read and command failures", async () => {
  await using app = new FakeLovenseApp();
  app.toys = { m: toy("m", "Max", null) };
  const clock = new FakeClock();
  await using lovense = manager({ hosts: [`127.0.0.1:${app.port}/`], clock });
  const found = collectFound(lovense);
  await lovense.startScanning();
  await lovense.settled();
  const hw = await found[0].connect({ lovense_connect_service: { exists: true } });
  assert.equal(hw.host, app.host);
  assert.deepEqual([...hw.endpoints].sort(), ["rx", "tx"]);
  assert.equal(hw.messageGapMs, 0);
  assert.equal(hw.requiresKeepalive, false);
  assert.deepEqual(await hw.read("rx", 1, 100), Uint8Array.of(100), "no level reported: 100");

  await hw.write("tx", new TextEncoder().encode("AirAuto?v=2&t=m"), false);
  assert.deepEqual(app.commands, ["/AirAuto?v=2&t=m"]);
  const isDeviceError = (re: RegExp) => (e: unknown) =>
    e instanceof ButtplugDeviceError && re.test(e.message);
  await assert.rejects(hw.write("rx", Uint8Array.of(65), false), isDeviceError(/endpoint "rx"/));
  await assert.rejects(hw.read("tx", 1, 100), isDeviceError(/endpoint "tx"/));
  await assert.rejects(hw.write("tx", Uint8Array.of(0xff), false), isDeviceError(/not UTF-8/));
  await assert.rejects(hw.subscribe("rx"), isDeviceError(/does not support subscriptions/));
  await assert.rejects(hw.unsubscribe("rx"), isDeviceError(/does not support subscriptions/));
  app.commandCode = 402;
  await assert.rejects(
    hw.write("tx", new TextEncoder().encode("Vibrate1?v=1&t=m"), false),
    isDeviceError(/Vibrate1 refused \(code 402\)/),
  );
  app.commandCode = 200;
  app.commandStatus = 500;
  await assert.rejects(
    hw.write("tx", new TextEncoder().encode("Vibrate1?v=1&t=m"), false),
    isDeviceError(/answered HTTP 500/),
  );
  await hw.disconnect();
  assert.equal(hw.disconnectReason, "disconnected by server");
  await assert.rejects(hw.read("rx", 1, 100), isDeviceError(/disconnected/));
});

/** A scripted fetch: answers by URL, records every call, never touches the network. */
function scriptedFetch(
  answer: (url: string) => Response | "hang" | Error,
): { fetch: LovenseConnectFetch; calls: string[] } {
  const calls: string[] = [];
  const fetch: LovenseConnectFetch = (url, init) => {
    calls.push(url);
    const a = answer(url);
    if (a instanceof Error) return Promise.reject(a);
    if (a === "hang") {
      return new Promise((_, reject) => {
        init.signal?.addEventListener("abort", () => reject(new Error("aborted")));
      });
    }
    return Promise.resolve(a);
  };
  return { fetch, calls };
}

Deno.test("lovense connect: lookup service hosts, forgetting a failing host, scan interval", async () => {
  const clock = new FakeClock();
  let appUp = true;
  const { fetch, calls } = scriptedFetch((url) => {
    if (url === LOVENSE_CONNECT_DISCOVERY_URL) {
      return Response.json({
        "192-168-1-5.lovense.club": { domain: "192-168-1-5.lovense.club", httpPort: 30010 },
        "nonsense": { httpPort: 1 },
      });
    }
    if (url === "http://192.168.1.5:30010/GetToys" && appUp) {
      return Response.json({
        type: "OK",
        code: 200,
        data: { toys: JSON.stringify({ z9: toy("z9", "Hush") }) },
      });
    }
    return new Error("connection refused");
  });
  await using lovense = manager({ fetch, clock });
  const found = collectFound(lovense);
  await lovense.startScanning();
  await lovense.settled();
  assert.deepEqual(calls, [LOVENSE_CONNECT_DISCOVERY_URL, "http://192.168.1.5:30010/GetToys"]);
  assert.deepEqual(found.map((f) => f.host), ["http://192.168.1.5:30010"]);
  assert.equal(found[0].toy.battery, 80);

  // A known host is polled without a new lookup, every 10 s.
  await clock.tick(9999);
  await lovense.settled();
  assert.equal(calls.length, 2);
  await clock.tick(1);
  await lovense.settled();
  assert.deepEqual(calls.slice(2), ["http://192.168.1.5:30010/GetToys"]);
  assert.equal(found.length, 2, "toys are re-reported; the pipeline ignores known addresses");

  // The app stops answering: the host is forgotten, the next scan asks the lookup service.
  appUp = false;
  await clock.tick(10_000);
  await lovense.settled();
  assert.deepEqual(lovense.hosts, []);
  await clock.tick(10_000);
  await lovense.settled();
  assert.equal(calls.at(-2), LOVENSE_CONNECT_DISCOVERY_URL);

  await lovense.stopScanning();
  assert.equal(lovense.scanning, false);
  const before = calls.length;
  await clock.tick(60_000);
  await lovense.settled();
  assert.equal(calls.length, before, "no scan after stopScanning");
  assert.equal(clock.pending, 0);
});

Deno.test("lovense connect: request timeout and disposal cancel requests", async () => {
  const clock = new FakeClock();
  const { fetch } = scriptedFetch(() => "hang");
  const lines: string[] = [];
  const lovense = manager({
    hosts: ["http://127.0.0.1:1"],
    fetch,
    clock,
    requestTimeoutMs: 3000,
    logger: createLogger("debug", (l) => lines.push(l)),
  });
  await lovense.startScanning();
  await clock.tick(2999);
  assert.ok(!lines.some((l) => /no answer within/.test(l)));
  await clock.tick(1);
  await lovense.settled();
  assert.ok(lines.some((l) => /GetToys failed: no answer within 3000 ms/.test(l)));

  // A scan in flight when the manager is disposed is cancelled, not left running.
  await clock.tick(10_000);
  await lovense[Symbol.asyncDispose]();
  assert.ok(lines.some((l) => /GetToys failed: manager closed/.test(l)));
  assert.equal(lovense.scanning, false);
  assert.equal(clock.pending, 0);
});

Deno.test("lovense connect: aborting the signal disposes and disconnects toys", async () => {
  const clock = new FakeClock();
  const { fetch } = scriptedFetch(() =>
    Response.json({ data: { q: { id: "q", name: "Lush", status: true } } })
  );
  const controller = new AbortController();
  const lovense = manager({
    hosts: ["http://127.0.0.1:1"],
    fetch,
    clock,
    signal: controller.signal,
  });
  const found = collectFound(lovense);
  await lovense.startScanning();
  await lovense.settled();
  const hw = await found[0].connect({ lovense_connect_service: { exists: true } });
  controller.abort();
  await lovense[Symbol.asyncDispose]();
  assert.equal(hw.disconnected, true);
  assert.equal(hw.disconnectReason, "Lovense Connect manager closed");
  await assert.rejects(found[0].connect({ lovense_connect_service: { exists: true } }), /closed/);
  await lovense.startScanning();
  assert.equal(lovense.scanning, false, "a disposed manager does not scan");
  assert.equal(clock.pending, 0);
});

Deno.test("lovense connect: reply parsing and host options", () => {
  assert.deepEqual(
    parseLovenseGetToys({
      type: "OK",
      code: 200,
      data: {
        a: { id: "a1", name: "Hush", status: "1", battery: "70" },
        b: { id: "b1", name: "Edge", status: 0, battery: null },
        c: { id: "c1", name: "Max", status: "true", battery: 140 },
        d: { id: "d 1", name: "Nora", status: 1 },
        e: { id: "e1", name: "", status: 1 },
        f: "nonsense",
      },
    }),
    [
      { id: "a1", name: "Hush", connected: true, battery: 70 },
      { id: "b1", name: "Edge", connected: false },
      { id: "c1", name: "Max", connected: true, battery: 100 },
    ],
  );
  assert.deepEqual(parseLovenseGetToys({ code: 200 }), []);
  assert.throws(() => parseLovenseGetToys([1]), ButtplugDeviceError);
  assert.throws(() => parseLovenseGetToys({ data: { toys: "{" } }), /not JSON/);
  assert.throws(() => parseLovenseGetToys({ data: 5 }), /no toy map/);

  const d = parseLovenseDiscovery({
    "10-0-0-7.lovense.club": { httpPort: "20010" },
    "300-1-1-1.lovense.club": { httpPort: 1 },
    "10-0-0-8.lovense.club": { httpPort: 0 },
    "example.com": { httpPort: 80 },
  });
  assert.deepEqual(d.hosts, ["http://10.0.0.7:20010"]);
  assert.equal(d.skipped.length, 3);
  assert.deepEqual(parseLovenseDiscovery("x").hosts, []);

  assert.equal(normalizeLovenseConnectHost("http://127.0.0.1:30010/"), "http://127.0.0.1:30010");
  assert.equal(normalizeLovenseConnectHost("10.0.0.2:20010"), "http://10.0.0.2:20010");
  assert.throws(() => normalizeLovenseConnectHost("ftp://10.0.0.2"), TypeError);
  assert.throws(() => new LovenseConnectManager({ hosts: ["http://"] }), TypeError);
  assert.throws(() => new LovenseConnectManager({ pollIntervalMs: 0 }), RangeError);
});
