/**
 * Automatic Bluetooth LE reconnect through the Deno bridge (hardware/sidecar.ts), against the
 * scriptable fake sidecar, with the real device pipeline (ProtocolDeviceSource + DeviceManager):
 * an unexpected drop is watched for and reconnected with the same index, failed attempts back off
 * on the injected clock, requested disconnects and devices the device layer will not take are not
 * reconnected, client StartScanning/StopScanning and the watch leave each other alone, the watch
 * survives a sidecar crash, and disposal ends it.
 *
 * The sidecar half (the watch scan in hardware/sidecar/ble.mjs) is covered by
 * hardware/sidecar/test/ble.spec.mjs under `node --test`.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../_helpers/fake_clock.ts";
import {
  SidecarConnector,
  SidecarHardware,
  type SidecarHardwareManager,
  SidecarProcess,
  type SidecarProcessOptions,
  SidecarRequestError,
} from "../../hardware/sidecar.ts";
import { ensureSidecar } from "../../hardware/sidecar_setup.ts";
import type { HardwareConnector } from "../../hardware/mod.ts";
import {
  defaultDeviceConfiguration,
  DeviceConfiguration,
  embeddedDeviceConfig,
  parseUserConfig,
} from "../../server/devices/config.ts";
import type { ProtocolDevice } from "../../server/devices/device.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import { ProtocolDeviceSource } from "../../server/devices/pipeline.ts";
import type { Logger } from "../../server/log.ts";
import { captureLogger, FAKE_SIDECAR, nextEvent, until } from "./_sidecar_helpers.ts";

/** The Aneros Vivi advertises as "Massage Demo": no identify step, one `tx` endpoint. */
const NAME = "Massage Demo";
const A = "aa:bb:cc:dd:ee:01";
const B = "aa:bb:cc:dd:ee:02";
const ANEROS = {
  btle: {
    names: [NAME],
    services: {
      "0000ff00-0000-1000-8000-00805f9b34fb": { tx: "0000ff01-0000-1000-8000-00805f9b34fb" },
    },
  },
};

const found = (address: string, watched = false) => ({
  event: "found",
  params: { transport: "btle", address, name: NAME, services: [], ...(watched ? { watched } : {}) },
});
/** Connect reply: handle `btle-<n>` for the n-th connect, the requested address. */
const CONNECTED = {
  result: {
    handle: "btle-$seq",
    transport: "btle",
    name: NAME,
    address: "$address",
    endpoints: ["tx"],
    missing: [],
    messageGapMs: 75,
  },
};
const CONNECT_TIMEOUT = {
  error: { code: "timeout", message: "connect to the toy timed out after 10000 ms" },
};

/** A temporary file the fake sidecar appends every request line to (`requestLog`). */
class RequestLog implements Disposable {
  readonly path: string = Deno.makeTempFileSync({ prefix: "fake-sidecar-reconnect-" });

  /** The requests received so far (optionally of one method), as `{method, ...params}`. */
  requests(method?: string): Record<string, unknown>[] {
    return Deno.readTextFileSync(this.path).split("\n").filter(Boolean).flatMap((line) => {
      const req = JSON.parse(line) as { method: string; params?: Record<string, unknown> };
      if (req.method === "fake.emit") return [];
      return method === undefined || req.method === method
        ? [{ method: req.method, ...req.params }]
        : [];
    });
  }

  /** The address lists of the `watch` requests so far. */
  watches(): unknown[] {
    return this.requests("watch").map((r) => r.addresses);
  }

  [Symbol.dispose](): void {
    Deno.removeSync(this.path);
  }
}

function fake(
  log: RequestLog,
  methods: Record<string, unknown>,
  extra: Partial<SidecarProcessOptions> = {},
  scenario: Record<string, unknown> = {},
): Promise<SidecarProcess> {
  return SidecarProcess.start({
    script: FAKE_SIDECAR,
    env: {
      FAKE_SIDECAR: JSON.stringify({
        transports: { btle: { available: true } },
        requestLog: log.path,
        methods,
        ...scenario,
      }),
    },
    ...extra,
  });
}

/** A round trip: every request sent before it has been logged, every line before its reply read. */
async function sync(sidecar: SidecarProcess): Promise<void> {
  await sidecar.request("hello");
}

/** The sidecar reports that the device behind `handle` dropped. */
async function drop(sidecar: SidecarProcess, handle: string, address: string): Promise<void> {
  await sidecar.request("fake.emit", {
    events: [{
      event: "disconnected",
      params: { handle, transport: "btle", address, reason: "HCI reason 8" },
    }],
  });
}

/** The sidecar's reconnect watch reports that `address` advertises again. */
async function advertise(sidecar: SidecarProcess, address: string): Promise<void> {
  await sidecar.request("fake.emit", { events: [found(address, true)] });
  await sync(sidecar);
}

interface Added {
  readonly index: number;
  readonly address: string;
  readonly identity: string;
}

/** A device pipeline (ProtocolDeviceSource + DeviceManager) over the btle manager. */
class Rig implements AsyncDisposable {
  readonly manager: DeviceManager = new DeviceManager();
  readonly source: ProtocolDeviceSource;
  /** Every `deviceadded`, in order. */
  readonly added: Added[] = [];

  constructor(ble: SidecarHardwareManager, logger: Logger, config?: DeviceConfiguration) {
    this.source = new ProtocolDeviceSource({
      managers: [ble],
      config: config ?? defaultDeviceConfiguration(),
      logger,
      name: "hardware",
    });
    this.manager.addSource(this.source);
    this.manager.addEventListener("deviceadded", (e) => {
      const device = e.detail.device as ProtocolDevice;
      this.added.push({
        index: e.detail.index,
        address: device.hardware.address,
        identity: device.identity,
      });
    });
  }

  /** The index the device at `address` was last added under. */
  indexOf(address: string): number {
    return this.added.findLast((d) => d.address === address)!.index;
  }

  /** The sidecar handle of the device connected at `address`. */
  handleOf(address: string): string {
    return (this.source.devices.get(address)!.hardware as SidecarHardware).handle;
  }

  /** Waits for the next device to be added and returns its index. */
  async nextAdded(): Promise<number> {
    const e = await nextEvent<CustomEvent<{ index: number }>>(this.manager, "deviceadded", 5000);
    return e.detail.index;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.manager[Symbol.asyncDispose]();
  }
}

Deno.test("an unexpected drop is watched for without a scan and reconnected with the same index", async () => {
  using log = new RequestLog();
  const clock = new FakeClock();
  const { lines, logger } = captureLogger();
  await using sidecar = await fake(log, {
    "scan.start": { events: [found(A), found(B)] },
    connect: CONNECTED,
  }, { clock, logger });
  const ble = sidecar.manager("btle");
  await using rig = new Rig(ble, logger);
  await rig.manager.startScanning();
  await until(() => rig.added.length === 2, 5000, "both devices added");
  await rig.manager.stopScanning();
  const indexA = rig.indexOf(A);
  const indexB = rig.indexOf(B);
  assert.deepEqual([indexA, indexB].sort(), [0, 1]);
  const identityB = rig.added.find((d) => d.address === B)!.identity;

  // Both drop (out of range). The device layer removes them; the bridge watches for them.
  await drop(sidecar, rig.handleOf(A), A);
  await drop(sidecar, rig.handleOf(B), B);
  assert.equal(rig.manager.devices.size, 0);
  assert.deepEqual(ble.reconnecting, [A, B]);
  await sync(sidecar);
  assert.deepEqual(log.watches(), [[A], [A, B]]);
  assert.ok(lines.some((l) => l.includes(`${NAME} (${A}) dropped unexpectedly`)));

  // B comes back first: it gets its old index although the lower one is free. No client scan runs,
  // and nothing pretends to scan.
  const backB = rig.nextAdded();
  await advertise(sidecar, B);
  assert.equal(await backB, indexB);
  assert.equal(rig.added.at(-1)!.identity, identityB);
  assert.equal(rig.manager.scanning, false);
  assert.equal(ble.scanning, false);
  const backA = rig.nextAdded();
  await advertise(sidecar, A);
  assert.equal(await backA, indexA);
  assert.equal(rig.manager.devices.size, 2);
  assert.deepEqual(ble.reconnecting, []);
  await sync(sidecar);
  assert.deepEqual(log.watches(), [[A], [A, B], [A], []]);
  assert.deepEqual(log.requests("connect").map((r) => r.address), [A, B, B, A]);
  assert.ok(lines.some((l) => l.includes(`${NAME} (${B}) reconnected after 0 s (1 attempt)`)));
});

Deno.test("failed reconnect attempts back off 1 s, then 2 s, on the injected clock", async () => {
  using log = new RequestLog();
  const clock = new FakeClock();
  const { lines, logger } = captureLogger();
  await using sidecar = await fake(log, {
    "scan.start": { events: [found(A)] },
    connect: [CONNECTED, CONNECT_TIMEOUT, CONNECT_TIMEOUT, CONNECTED],
  }, { clock, logger });
  const ble = sidecar.manager("btle");
  const tracker = ble.reconnectTracker!;
  await using rig = new Rig(ble, logger);
  await rig.manager.startScanning();
  await until(() => rig.added.length === 1, 5000, "device added");
  await rig.manager.stopScanning();
  await drop(sidecar, rig.handleOf(A), A);
  const connects = async () => {
    await sync(sidecar);
    return log.requests("connect").length;
  };
  const attemptOver = () =>
    until(() => tracker.status(A)?.attempting === false, 5000, "the attempt to end");

  // Attempt 1 at once: fails.
  await advertise(sidecar, A);
  assert.equal(await connects(), 2);
  await attemptOver();
  assert.equal(tracker.status(A)?.failures, 1);
  // Seen again 999 ms later: too soon, no connect.
  await clock.tick(999);
  await advertise(sidecar, A);
  assert.equal(await connects(), 2);
  // At 1 s: attempt 2, fails.
  await clock.tick(1);
  await advertise(sidecar, A);
  assert.equal(await connects(), 3);
  await attemptOver();
  assert.equal(tracker.status(A)?.failures, 2);
  // Now 2 s apart.
  await clock.tick(1999);
  await advertise(sidecar, A);
  assert.equal(await connects(), 3);
  await clock.tick(1);
  const back = rig.nextAdded();
  await advertise(sidecar, A);
  assert.equal(await connects(), 4);
  assert.equal(await back, 0, "the same index");
  assert.deepEqual(ble.reconnecting, []);
  assert.ok(lines.some((l) => l.includes("next attempt in 1 s at the earliest")));
  assert.ok(lines.some((l) => l.includes("next attempt in 2 s at the earliest")));
  assert.ok(lines.some((l) => l.includes(`${NAME} (${A}) reconnected after 3 s (3 attempts)`)));
});

Deno.test("a device disconnected on purpose is not reconnected", async () => {
  using log = new RequestLog();
  const clock = new FakeClock();
  const { logger } = captureLogger();
  await using sidecar = await fake(log, {
    "scan.start": { events: [found(A)] },
    connect: CONNECTED,
  }, { clock, logger });
  const ble = sidecar.manager("btle");
  await using rig = new Rig(ble, logger);
  await rig.manager.startScanning();
  await until(() => rig.added.length === 1, 5000, "device added");
  await rig.manager.stopScanning();
  const hw = rig.source.devices.get(A)!.hardware;
  assert.ok(hw instanceof SidecarHardware);
  await rig.manager.remove(rig.indexOf(A)); // stops and disconnects it
  assert.equal(hw.connected, false);
  assert.equal(hw.disconnectRequested, true);
  assert.deepEqual(ble.reconnecting, []);
  // Even if the sidecar (wrongly) reported it as watched, nothing happens.
  let announced = 0;
  ble.addEventListener("found", () => announced++);
  await advertise(sidecar, A);
  assert.equal(announced, 0);
  assert.deepEqual(log.watches(), []);
  assert.equal(log.requests("connect").length, 1);
  assert.equal(log.requests("disconnect").length, 1);
});

Deno.test("a dropped device the device layer will not take (denied by the user config) is forgotten", async () => {
  using log = new RequestLog();
  const clock = new FakeClock();
  const { lines, logger } = captureLogger();
  await using sidecar = await fake(log, {
    "scan.start": { events: [found(A)] },
    connect: CONNECTED,
  }, { clock, logger });
  const ble = sidecar.manager("btle");
  // An app connects the toy itself, then it drops.
  const first = nextEvent<CustomEvent<HardwareConnector>>(ble, "found");
  await ble.startScanning();
  const hw = await (await first).detail.connect(ANEROS) as SidecarHardware;
  await ble.stopScanning();
  await drop(sidecar, hw.handle, A);
  assert.deepEqual(ble.reconnecting, [A]);
  // Now the device layer listens, with a user config denying that address.
  const aneros = embeddedDeviceConfig().protocols.get("aneros")!.defaults!;
  const denied = new DeviceConfiguration(
    embeddedDeviceConfig(),
    parseUserConfig({
      version: { major: 4, minor: 0 },
      user_configs: {
        devices: [{
          identifier: { address: A, protocol: "aneros", identifier: NAME },
          config: {
            id: crypto.randomUUID(),
            base_id: aneros.id,
            features: aneros.features.map((f) => ({ id: crypto.randomUUID(), base_id: f.id })),
            user_config: { allow: false, deny: true, index: 0 },
          },
        }],
      },
    }, "user.json"),
  );
  await using rig = new Rig(ble, logger, denied);
  const announced: SidecarConnector[] = [];
  ble.addEventListener("found", (e) => announced.push(e.detail as SidecarConnector));
  await advertise(sidecar, A);
  assert.equal(announced.length, 1, "announced once");
  assert.ok(announced[0] instanceof SidecarConnector);
  assert.equal(announced[0].reconnect, true);
  assert.deepEqual(ble.reconnecting, [], "forgotten: nobody connected it");
  await sync(sidecar);
  assert.deepEqual(log.watches(), [[A], []]);
  assert.equal(log.requests("connect").length, 1);
  assert.equal(rig.added.length, 0);
  assert.ok(
    lines.some((l) =>
      l.includes(
        `not reconnecting ${NAME} (${A}): seen again, but the device layer did not take it`,
      )
    ),
  );
  // Later sightings are ignored.
  await advertise(sidecar, A);
  assert.equal(announced.length, 1);
});

Deno.test("client StartScanning/StopScanning and the reconnect watch leave each other alone", async () => {
  using log = new RequestLog();
  const clock = new FakeClock();
  const { logger } = captureLogger();
  await using sidecar = await fake(log, {
    // Only the first scan reports the toy (the real sidecar reports watched devices only
    // through the watch).
    "scan.start": [{ events: [found(A)] }, "ok"],
    connect: CONNECTED,
  }, { clock, logger });
  const ble = sidecar.manager("btle");
  await using rig = new Rig(ble, logger);
  let finished = 0;
  ble.addEventListener("scanningfinished", () => finished++);
  await rig.manager.startScanning();
  await until(() => rig.added.length === 1, 5000, "device added");
  await drop(sidecar, rig.handleOf(A), A);
  // A client StopScanning does not touch the watch.
  await rig.manager.stopScanning();
  assert.deepEqual(ble.reconnecting, [A]);
  // A client StartScanning neither: and the reconnect does not touch the client scan.
  await rig.manager.startScanning();
  assert.equal(ble.scanning, true);
  const back = rig.nextAdded();
  await advertise(sidecar, A);
  assert.equal(await back, 0);
  assert.equal(ble.scanning, true, "the client scan is still on");
  assert.equal(rig.manager.scanning, true);
  await rig.manager.stopScanning();
  await sync(sidecar);
  assert.deepEqual(
    log.requests().filter((r) => r.method !== "hello").map((r) =>
      r.method === "watch" ? `watch ${JSON.stringify(r.addresses)}` : r.method
    ),
    [
      "scan.start",
      "connect",
      `watch ["${A}"]`,
      "scan.stop",
      "scan.start",
      "connect",
      "watch []",
      "scan.stop",
    ],
  );
  assert.equal(finished, 0, "no scanningfinished from the reconnect");
});

Deno.test("devices lost with a crashed sidecar are watched for by the restarted one and come back", async () => {
  using log = new RequestLog();
  const clock = new FakeClock();
  const { logger } = captureLogger();
  await using sidecar = await fake(log, {
    "scan.start": { events: [found(A)] },
    connect: CONNECTED,
  }, { clock, logger, restartDelayMs: 500 });
  const ble = sidecar.manager("btle");
  await using rig = new Rig(ble, logger);
  await rig.manager.startScanning();
  await until(() => rig.added.length === 1, 5000, "device added");
  await rig.manager.stopScanning();
  const exit = nextEvent(sidecar, "exit");
  Deno.kill(sidecar.pid!, "SIGKILL");
  await exit;
  assert.equal(rig.manager.devices.size, 0);
  assert.deepEqual(ble.reconnecting, [A]);
  const ready = nextEvent(sidecar, "ready");
  await clock.tick(500);
  await ready;
  await sync(sidecar);
  assert.deepEqual(log.watches(), [[A]], "sent to the new process");
  const back = rig.nextAdded();
  await advertise(sidecar, A);
  assert.equal(await back, 0);
  assert.deepEqual(ble.reconnecting, []);
});

Deno.test("dispose ends the watch: the manager tells the sidecar, the process clears its timers", async () => {
  using log = new RequestLog();
  const clock = new FakeClock();
  const { logger } = captureLogger();
  const sidecar = await fake(log, {
    "scan.start": { events: [found(A), found(B)] },
    connect: CONNECTED,
  }, { clock, logger });
  const ble = sidecar.manager("btle");
  const rig = new Rig(ble, logger);
  await rig.manager.startScanning();
  await until(() => rig.added.length === 2, 5000, "devices added");
  await rig.manager.stopScanning();
  await drop(sidecar, rig.handleOf(A), A);
  await sync(sidecar); // the watch request is answered (no request timer left)
  assert.equal(clock.pending, 1, "the give-up timer");
  // Disposing the device layer disconnects B on purpose and disposes the btle manager.
  await rig[Symbol.asyncDispose]();
  assert.deepEqual(ble.reconnecting, []);
  assert.equal(clock.pending, 0);
  await sync(sidecar);
  assert.deepEqual(log.watches(), [[A], []]);
  assert.equal(log.requests("disconnect").length, 1, "B, on purpose");
  await sidecar[Symbol.asyncDispose]();

  // Disposing only the process works too (its managers drop their timers).
  using log2 = new RequestLog();
  const clock2 = new FakeClock();
  await using sidecar2 = await fake(log2, {
    "scan.start": { events: [found(A)] },
    connect: CONNECTED,
  }, { clock: clock2 });
  const ble2 = sidecar2.manager("btle");
  const first = nextEvent<CustomEvent<HardwareConnector>>(ble2, "found");
  await ble2.startScanning();
  const hw = await (await first).detail.connect(ANEROS) as SidecarHardware;
  await drop(sidecar2, hw.handle, A);
  await sync(sidecar2);
  assert.deepEqual(ble2.reconnecting, [A]);
  assert.equal(clock2.pending, 1);
  const disposing = sidecar2[Symbol.asyncDispose]();
  assert.deepEqual(ble2.reconnecting, []);
  await disposing;
  assert.equal(clock2.pending, 0);
});

Deno.test("an older sidecar without the watch: one warning, devices still work", async () => {
  using log = new RequestLog();
  const clock = new FakeClock();
  const { lines, logger } = captureLogger();
  await using sidecar = await fake(log, {
    "scan.start": { events: [found(A), found(B)] },
    connect: CONNECTED,
    watch: { error: { code: "unknown_method", message: 'unknown method "watch"' } },
  }, { clock, logger });
  const ble = sidecar.manager("btle");
  await using rig = new Rig(ble, logger);
  await rig.manager.startScanning();
  await until(() => rig.added.length === 2, 5000, "devices added");
  await drop(sidecar, rig.handleOf(A), A);
  await until(
    () => lines.some((l) => l.includes("has no BLE reconnect watch")),
    5000,
    "the warning",
  );
  await drop(sidecar, rig.handleOf(B), B);
  await sync(sidecar);
  assert.equal(log.watches().length, 1, "not asked again");
  assert.equal(lines.filter((l) => l.includes("has no BLE reconnect watch")).length, 1);
  assert.equal(rig.manager.scanning, true);
});

Deno.test("bleReconnect: false turns it off", async () => {
  using log = new RequestLog();
  await using sidecar = await fake(log, {
    "scan.start": { events: [found(A)] },
    connect: CONNECTED,
  }, { bleReconnect: false });
  const ble = sidecar.manager("btle");
  assert.equal(ble.reconnectTracker, undefined);
  const first = nextEvent<CustomEvent<HardwareConnector>>(ble, "found");
  await ble.startScanning();
  const hw = await (await first).detail.connect(ANEROS) as SidecarHardware;
  await ble.stopScanning();
  await drop(sidecar, hw.handle, A);
  let announced = 0;
  ble.addEventListener("found", () => announced++);
  await advertise(sidecar, A);
  assert.equal(announced, 0);
  assert.deepEqual(log.watches(), []);
  await assert.rejects(
    SidecarProcess.start({ script: FAKE_SIDECAR, bleReconnect: { initialDelayMs: -1 } }),
    RangeError,
  );
});

Deno.test("real sidecar: btle takes a watch list (kept even while Bluetooth is unavailable); other transports refuse", async () => {
  const { script } = await ensureSidecar();
  await using sidecar = await SidecarProcess.start({ script, transports: ["btle", "serial"] });
  assert.deepEqual(await sidecar.request("watch", { transport: "btle", addresses: [A, B, A] }), {
    watching: 2,
  });
  assert.deepEqual(await sidecar.request("watch", { transport: "btle", addresses: [] }), {
    watching: 0,
  });
  await assert.rejects(
    sidecar.request("watch", { transport: "serial", addresses: [] }),
    (e) => e instanceof SidecarRequestError && e.reason === "unsupported",
  );
  await assert.rejects(
    sidecar.request("watch", { transport: "btle", addresses: [""] }),
    (e) => e instanceof SidecarRequestError && e.reason === "bad_request",
  );
});
