import assert from "node:assert/strict";
import {
  encodeDongleMessage,
  LOVENSE_DONGLE_PRODUCT_ID,
  LOVENSE_DONGLE_VENDOR_ID,
  LovenseDongleDecoder,
  type LovenseDongleIncoming,
  LovenseDongleManager,
  type LovenseDongleManagerOptions,
  type LovenseDongleToyHardware,
  parseDongleMessage,
  splitJsonObjects,
} from "../../hardware/lovense_dongle.ts";
import type {
  Advertisement,
  CommunicationSpecifier,
  Hardware,
  HardwareConnector,
  HardwareEventMap,
  HardwareManager,
  HardwareManagerEventMap,
} from "../../hardware/mod.ts";
import { SidecarProcess } from "../../hardware/sidecar.ts";
import { ButtplugDeviceError } from "../../protocol/errors.ts";
import { TypedEventTarget } from "../../protocol/typed_event_target.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import { ProtocolDeviceSource } from "../../server/devices/pipeline.ts";
import type { Logger } from "../../server/log.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { FAKE_SIDECAR, until } from "./_sidecar_helpers.ts";

// ---------------------------------------------------------------------------------------------
// A fake dongle behind a fake HID manager
// ---------------------------------------------------------------------------------------------

/** A toy the fake dongle can find and talk to. */
interface FakeToy {
  readonly id: string;
  /** Reply to `DeviceType;`. */
  readonly deviceType: string;
  /** Reply to `Battery;`. */
  readonly battery: string;
}

const HUSH: FakeToy = { id: "c9a1d2e3f4b5", deviceType: "Z:11:0082059AD3BD;", battery: "85;" };

type Json = Record<string, unknown>;

/**
 * Plays a Lovense USB dongle at the HID level: checks every output report (65 bytes, report id
 * 0, JSON + CRLF in 63-byte chunks), answers `statuss`, `search`, `stopSearch` and toy
 * commands, and sends its own messages as 64-byte input reports (63 text bytes + 0).
 */
class FakeDongle extends TypedEventTarget<HardwareEventMap> implements Hardware {
  readonly name = "USB Receiver";
  readonly address = "LVS-DONGLE-0001";
  readonly endpoints = ["rx", "tx"];
  readonly messageGapMs = 0;
  readonly requiresKeepalive = false;
  /** Every output report, as written. */
  readonly reports: Uint8Array[] = [];
  /** Every message the dongle understood, in order. */
  readonly received: Json[] = [];
  /** Report-level problems (a failing test shows them). */
  readonly problems: string[] = [];
  /** The toy in range (found by a search). */
  toy?: FakeToy;
  /** The toy the dongle holds. */
  connectedToy?: FakeToy;
  searching = false;
  /** Answer `stopSearch` with `search` 206. */
  confirmStop = true;
  /** Find the toy in range as soon as a search starts. */
  autoFind = true;
  subscribed = false;
  open = false;
  #text: number[] = [];
  #found?: FakeToy;

  get funcs(): string[] {
    return this.received.map((m) => String(m.func));
  }

  get commands(): string[] {
    return this.received.filter((m) => m.func === "command").map((m) => String(m.cmd));
  }

  write(endpoint: string, data: Uint8Array, _withResponse: boolean): Promise<void> {
    if (!this.open) return Promise.reject(new Error("dongle closed"));
    if (!this.endpoints.includes(endpoint)) return Promise.reject(new Error("bad endpoint"));
    this.reports.push(data.slice());
    if (data.length !== 65) this.problems.push(`report of ${data.length} bytes`);
    if (data[0] !== 0) this.problems.push(`report id ${data[0]}`);
    const chunk = data.subarray(1, 64);
    const end = chunk.indexOf(0);
    const text = end < 0 ? chunk : chunk.subarray(0, end);
    if (end >= 0 && chunk.subarray(end).some((b) => b !== 0)) this.problems.push("bad padding");
    if (data.subarray(64).some((b) => b !== 0)) this.problems.push("byte 64 not zero");
    this.#text.push(...text);
    const decoded = new TextDecoder().decode(new Uint8Array(this.#text));
    const crlf = decoded.indexOf("\r\n");
    if (crlf >= 0) {
      if (crlf !== decoded.length - 2) this.problems.push("text after CRLF");
      this.#text = [];
      const message = JSON.parse(decoded.slice(0, crlf)) as Json;
      this.received.push(message);
      this.#react(message);
    } else if (end >= 0) {
      this.problems.push("short chunk without CRLF");
    }
    return Promise.resolve();
  }

  read(): Promise<Uint8Array> {
    return Promise.reject(new Error("the fake dongle is read through subscriptions"));
  }

  subscribe(endpoint: string): Promise<void> {
    if (endpoint !== "rx") this.problems.push(`subscribe ${endpoint}`);
    this.subscribed = true;
    return Promise.resolve();
  }

  unsubscribe(): Promise<void> {
    this.subscribed = false;
    return Promise.resolve();
  }

  disconnect(): Promise<void> {
    if (this.open) {
      this.open = false;
      this.subscribed = false;
      this.dispatchEvent(new Event("disconnected"));
    }
    return Promise.resolve();
  }

  /** The dongle is pulled out. */
  unplug(): void {
    this.open = false;
    this.subscribed = false;
    this.searching = false;
    this.dispatchEvent(new Event("disconnected"));
  }

  /** Sends a message as input reports (63 text bytes + a 0 terminator each). */
  send(message: Json): void {
    this.sendText(`${JSON.stringify(message)}\n`);
  }

  sendText(text: string): void {
    const bytes = new TextEncoder().encode(text);
    for (let at = 0; at < bytes.length; at += 63) {
      const report = new Uint8Array(64);
      report.set(bytes.subarray(at, at + 63));
      this.sendReport(report);
    }
  }

  sendReport(report: Uint8Array): void {
    queueMicrotask(() => {
      if (!this.subscribed) return;
      this.dispatchEvent(
        new CustomEvent("notification", { detail: { endpoint: "rx", data: report } }),
      );
    });
  }

  /** A search finds the toy in range. */
  announceToy(): void {
    const toy = this.toy!;
    this.#found = toy;
    this.send({ type: "toy", func: "toyData", data: { id: toy.id, name: "Hush", rssi: -50 } });
  }

  /** The connected toy is switched off. */
  loseToy(): void {
    const toy = this.connectedToy!;
    this.connectedToy = undefined;
    this.send({ type: "toy", func: "status", result: 200, data: { id: toy.id, status: 403 } });
  }

  #react(m: Json): void {
    switch (m.func) {
      case "statuss":
        if (this.connectedToy) {
          this.send({
            type: "toy",
            func: "status",
            result: 200,
            data: { id: this.connectedToy.id, status: 202 },
          });
        } else {
          this.send({ type: "usb", func: "statuss", result: 404 });
        }
        return;
      case "search":
        this.searching = true;
        this.send({ type: "usb", func: "search", result: 205 });
        if (this.autoFind && this.toy && !this.connectedToy) this.announceToy();
        return;
      case "stopSearch":
        this.searching = false;
        if (this.#found) {
          this.connectedToy = this.#found;
          this.#found = undefined;
        }
        if (this.confirmStop) this.send({ type: "usb", func: "search", result: 206 });
        return;
      case "command": {
        const toy = this.connectedToy;
        if (!toy || m.id !== toy.id) {
          this.send({ type: "toy", func: "command", result: 404 });
          return;
        }
        if (m.cmd === "DeviceType;") {
          this.send({ type: "toy", func: "toyData", data: { id: toy.id, data: toy.deviceType } });
        } else if (m.cmd === "Battery;") {
          this.send({ type: "toy", func: "toyData", data: { id: toy.id, data: toy.battery } });
        } else {
          this.send({ type: "toy", func: "command", id: toy.id, result: 200 });
        }
        return;
      }
      default:
        this.send({ type: "usb", func: "error", result: 400 });
    }
  }
}

/** A HID manager with one dongle (and a Joy-Con that the dongle manager must leave alone). */
class FakeHidManager extends TypedEventTarget<HardwareManagerEventMap> implements HardwareManager {
  readonly name = "hid";
  readonly dongle = new FakeDongle();
  scanning = false;
  plugged = true;
  /** The transport cannot scan (the sidecar then reports scanningfinished at once). */
  unavailable = false;
  starts = 0;
  stops = 0;
  connects = 0;
  configured?: {
    readonly pairs?: readonly { readonly vendorId: number; readonly productId: number }[];
  };
  connectSpecifiers: CommunicationSpecifier[] = [];

  configure(options: NonNullable<FakeHidManager["configured"]>): Promise<void> {
    this.configured = options;
    return Promise.resolve();
  }

  startScanning(): Promise<void> {
    this.starts++;
    if (this.unavailable) {
      queueMicrotask(() => this.dispatchEvent(new Event("scanningfinished")));
      return Promise.resolve();
    }
    this.scanning = true;
    queueMicrotask(() => this.poll());
    return Promise.resolve();
  }

  stopScanning(): Promise<void> {
    if (this.scanning) this.stops++;
    this.scanning = false;
    return Promise.resolve();
  }

  /** One enumeration round (the sidecar does one every second while scanning). */
  poll(): void {
    if (!this.scanning) return;
    this.#announce({
      transport: "hid",
      name: "Joy-Con (L)",
      address: "JOYCON-1",
      vendorId: 0x057e,
      productId: 0x2006,
    });
    if (!this.plugged || this.dongle.open) return;
    this.#announce({
      transport: "hid",
      name: "USB Receiver",
      address: this.dongle.address,
      vendorId: LOVENSE_DONGLE_VENDOR_ID,
      productId: LOVENSE_DONGLE_PRODUCT_ID,
    });
  }

  #announce(advertisement: Advertisement): void {
    const connector: HardwareConnector = {
      advertisement,
      connect: (specifier) => {
        this.connects++;
        this.connectSpecifiers.push(specifier);
        if (advertisement.address !== this.dongle.address) {
          return Promise.reject(new Error("not a dongle"));
        }
        this.dongle.open = true;
        return Promise.resolve(this.dongle);
      },
    };
    this.dispatchEvent(new CustomEvent("found", { detail: connector }));
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.scanning = false;
    return Promise.resolve();
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Lets the fake's queued reports and the pipeline's promise chains run (real macrotasks). */
async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}

function captureLogger(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return {
    lines,
    logger: {
      error: at("error"),
      warn: at("warn"),
      info: at("info"),
      debug: at("debug"),
      trace: at("trace"),
    },
  };
}

/** The exact reports for `text` + CRLF, built by hand (independent of the encoder). */
function expectedReports(text: string): number[][] {
  const bytes = [...new TextEncoder().encode(`${text}\r\n`)];
  const reports: number[][] = [];
  for (let at = 0; at < bytes.length; at += 63) {
    const chunk = bytes.slice(at, at + 63);
    reports.push([0, ...chunk, ...new Array(64 - chunk.length).fill(0)]);
  }
  return reports;
}

interface Rig extends AsyncDisposable {
  readonly clock: FakeClock;
  readonly hid: FakeHidManager;
  readonly dongle: FakeDongle;
  readonly manager: LovenseDongleManager;
  readonly devices: DeviceManager;
  readonly lines: string[];
  /** `scanningfinished` events of the DeviceManager. */
  readonly finished: { count: number };
}

/** Dongle manager → ProtocolDeviceSource → DeviceManager, on one fake clock. */
function rig(
  options: Partial<LovenseDongleManagerOptions> = {},
  plugged = true,
  hidUnavailable = false,
): Rig {
  const clock = new FakeClock();
  const { lines, logger } = captureLogger();
  const hid = new FakeHidManager();
  hid.plugged = plugged;
  hid.unavailable = hidUnavailable;
  const manager = new LovenseDongleManager({ hid, clock, logger, ...options });
  const source = new ProtocolDeviceSource({ managers: [manager], clock, logger });
  const devices = new DeviceManager({ clock });
  devices.addSource(source);
  const finished = { count: 0 };
  devices.addEventListener("scanningfinished", () => finished.count++);
  return {
    clock,
    hid,
    dongle: hid.dongle,
    manager,
    devices,
    lines,
    finished,
    async [Symbol.asyncDispose]() {
      await devices[Symbol.asyncDispose]();
      await hid[Symbol.asyncDispose]();
      assert.deepEqual(hid.dongle.problems, [], "every report was well formed");
    },
  };
}

/** Brings the rig to Idle: dongle found, `statuss` asked, 250 ms waited. */
async function toIdle(r: Rig): Promise<void> {
  await settle();
  assert.equal(r.manager.state, "checking-connected");
  await r.clock.tick(250);
  await settle();
  assert.equal(r.manager.state, "idle");
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await settle(1);
  assert.ok(cond(), `timed out waiting for ${what}`);
}

// ---------------------------------------------------------------------------------------------
// End to end through the real device pipeline
// ---------------------------------------------------------------------------------------------

Deno.test("lovense dongle: a Hush found by search, vibrate, battery and toy loss through the pipeline", async () => {
  await using r = rig();
  const { dongle, devices, manager, clock } = r;
  dongle.toy = HUSH;
  dongle.autoFind = false;

  // Dongle bring-up: HID scan for the dongle pair only; the Joy-Con is not touched.
  await settle();
  assert.deepEqual(r.hid.configured, {
    pairs: [{ vendorId: 0x1915, productId: 0x520a }],
  });
  assert.equal(r.hid.connects, 1, "only the dongle is connected");
  assert.deepEqual(r.hid.connectSpecifiers, [
    { hid: { pairs: [{ vendor_id: 0x1915, product_id: 0x520a }] } },
  ]);
  assert.equal(dongle.subscribed, true);
  assert.equal(r.hid.scanning, false, "the HID scan stops once the dongle is open");
  assert.deepEqual(dongle.funcs, ["statuss"]);
  assert.deepEqual(
    dongle.reports.map((b) => [...b]),
    expectedReports(
      '{"type":"toy","func":"statuss"}',
    ),
  );
  await toIdle(r);
  assert.deepEqual(dongle.funcs, ["statuss"], "nothing is sent while idle");

  // StartScanning → search → toyData → stopSearch → search 206 → DeviceLoop → identify.
  const added = new Promise<number>((resolve) =>
    devices.addEventListener("deviceadded", (e) => resolve(e.detail.index), { once: true })
  );
  await devices.startScanning();
  await settle();
  assert.equal(manager.state, "scanning");
  assert.equal(manager.scanning, true);
  assert.equal(devices.scanning, true);
  assert.equal(r.finished.count, 0);
  dongle.announceToy();
  await waitFor(() => devices.devices.size === 1, "the Hush");
  const index = await added;
  const device = devices.get(index)!;
  assert.equal(device.name, "Lovense Hush");
  assert.equal(manager.state, "device");
  assert.equal(manager.toyId, HUSH.id);
  assert.equal(manager.scanning, false);
  assert.equal(r.finished.count, 1, "the search that found the toy finished the scan");
  assert.deepEqual(dongle.funcs, ["statuss", "search", "stopSearch", "command"]);
  assert.deepEqual(dongle.received[1], { type: "toy", func: "search" });
  assert.deepEqual(dongle.received[2], { type: "usb", func: "stopSearch" });
  assert.deepEqual(dongle.received[3], {
    type: "toy",
    func: "command",
    id: HUSH.id,
    cmd: "DeviceType;",
  });

  // Vibrate 10 of 20: one command, after the 75 ms batching window, chunked and padded exactly.
  const before = dongle.reports.length;
  await device.output(0, "Vibrate", { Value: 10 });
  await clock.tick(74);
  await settle();
  assert.equal(dongle.reports.length, before, "held for the 75 ms window");
  await clock.tick(1);
  await settle();
  const text = `{"type":"toy","func":"command","id":"${HUSH.id}","cmd":"Vibrate:10;"}`;
  assert.equal(text.length + 2, 73, "the command spans two reports");
  assert.deepEqual(dongle.reports.slice(before).map((b) => [...b]), expectedReports(text));
  assert.deepEqual(dongle.commands.at(-1), "Vibrate:10;");

  // Battery: `Battery;` through the dongle, the toy's `85;` back as toyData → rx.
  assert.equal(await device.readInput(1, "Battery"), 85);
  assert.equal(dongle.commands.at(-1), "Battery;");

  // The toy is switched off: status 403 → hardware disconnected → device removed.
  const removed = new Promise<number>((resolve) =>
    devices.addEventListener("deviceremoved", (e) => resolve(e.detail.index), { once: true })
  );
  dongle.loseToy();
  assert.equal(await removed, index);
  assert.equal(devices.devices.size, 0);
  assert.equal(manager.state, "idle");

  // A new scan works again.
  await devices.startScanning();
  await settle();
  assert.equal(manager.state, "scanning");
  assert.equal(dongle.funcs.at(-1), "search");
  await devices.stopScanning();
  await settle();
  assert.equal(dongle.funcs.at(-1), "stopSearch");
  assert.equal(r.finished.count, 1, "an explicit stop is not a ScanningFinished for clients");
});

Deno.test("lovense dongle: a toy already on the dongle appears without a scan; scans then just finish", async () => {
  await using r = rig();
  const { dongle, devices, manager } = r;
  dongle.connectedToy = HUSH;
  await waitFor(() => devices.devices.size === 1, "the Hush");
  assert.deepEqual(dongle.funcs, ["statuss", "command"], "no search: statuss, then DeviceType;");
  assert.equal(manager.state, "device");
  assert.equal(devices.get(0)?.name, "Lovense Hush");
  assert.equal(r.clock.pending, 0, "the 250 ms wait was cancelled by the 202");

  // One toy at a time: a scan request only reports ScanningFinished; nothing goes to the dongle.
  const sent = dongle.received.length;
  await devices.startScanning();
  await settle();
  assert.equal(r.finished.count, 1);
  assert.equal(manager.scanning, false);
  assert.equal(devices.scanning, false);
  await manager.stopScanning();
  assert.equal(dongle.received.length, sent, "no search / stopSearch while a toy is connected");
});

Deno.test("lovense dongle: waits for the dongle, remembers a scan, and keeps quiet for 250 ms", async () => {
  await using r = rig({}, false);
  const { dongle, manager, hid, clock } = r;
  await settle();
  assert.equal(manager.state, "waiting-for-dongle");
  assert.equal(hid.scanning, true, "the HID scan runs until the dongle turns up");
  assert.equal(hid.connects, 0, "the Joy-Con is ignored");

  const managerFinished: number[] = [];
  manager.addEventListener("scanningfinished", () => managerFinished.push(clock.now()));
  await r.devices.startScanning();
  assert.equal(manager.scanning, true, "a remembered scan counts as scanning");
  assert.equal(r.devices.scanning, true);

  // Stop and start again while waiting: Stop reports ScanningFinished (§4.5).
  await manager.stopScanning();
  await settle();
  assert.equal(managerFinished.length, 1);
  assert.equal(manager.scanning, false);
  await manager.startScanning();

  // The dongle is plugged in: the next HID poll finds it.
  hid.plugged = true;
  hid.poll();
  await settle();
  assert.equal(manager.state, "checking-connected");
  assert.deepEqual(dongle.funcs, ["statuss"]);
  await clock.tick(249);
  await settle();
  assert.deepEqual(dongle.funcs, ["statuss"], "the dongle is not spoken to within 250 ms");
  await clock.tick(1);
  await settle();
  assert.deepEqual(dongle.funcs, ["statuss", "search"]);
  assert.equal(manager.state, "scanning");
  assert.equal(manager.scanning, true);
});

Deno.test("lovense dongle: without a working HID transport a client scan finishes instead of hanging", async () => {
  await using r = rig({}, true, true);
  const { manager, hid } = r;
  await settle();
  assert.equal(manager.state, "waiting-for-dongle");
  assert.equal(hid.scanning, false);
  assert.equal(r.finished.count, 0, "no client scan, nothing to finish");
  const starts = hid.starts;
  await r.devices.startScanning();
  assert.equal(hid.starts, starts + 1, "the scan request retries the HID scan");
  await settle();
  assert.equal(manager.scanning, false);
  assert.equal(r.finished.count, 1);
  assert.ok(r.lines.some((l) => /hid stopped scanning; the dongle is not found/.test(l)));
  // Once HID works, the next request finds the dongle.
  hid.unavailable = false;
  await r.devices.startScanning();
  await settle();
  assert.equal(manager.state, "checking-connected");
  assert.equal(manager.scanning, true);
});

Deno.test("lovense dongle: search stopping by itself is restarted; a bare toyData result ends the scan", async () => {
  await using r = rig();
  const { dongle, manager, devices } = r;
  await toIdle(r);
  await devices.startScanning();
  await settle();
  assert.deepEqual(dongle.funcs, ["statuss", "search"]);

  // `search` 206 while scanning: the dongle stopped on its own → search again.
  dongle.send({ type: "usb", func: "search", result: 206 });
  await settle();
  assert.deepEqual(dongle.funcs, ["statuss", "search", "search"]);
  assert.equal(manager.state, "scanning");
  assert.equal(r.finished.count, 0);

  // A 205 or an unrelated message changes nothing.
  dongle.send({ type: "usb", func: "search", result: 205 });
  dongle.send({ type: "toy", func: "status", result: 200, data: { status: 201 } });
  await settle();
  assert.equal(manager.state, "scanning");

  // `toyData` with only a result: back to Idle, and clients get ScanningFinished.
  dongle.send({ type: "toy", func: "toyData", result: 501 });
  await settle();
  assert.equal(manager.state, "idle");
  assert.equal(manager.scanning, false);
  assert.equal(r.finished.count, 1);
  assert.equal(devices.scanning, false);
});

Deno.test("lovense dongle: a missing stop confirmation delays the toy by stopSearchTimeoutMs only", async () => {
  await using r = rig({ stopSearchTimeoutMs: 400 });
  const { dongle, manager, devices, clock } = r;
  dongle.toy = HUSH;
  dongle.confirmStop = false;
  await toIdle(r);
  await devices.startScanning();
  await settle();
  assert.equal(manager.state, "stopping-to-connect");
  assert.deepEqual(dongle.funcs, ["statuss", "search", "stopSearch"]);
  // A client stop meanwhile: ScanningFinished is not sent to clients (explicit stop), no
  // second stopSearch.
  await devices.stopScanning();
  await settle();
  assert.equal(manager.scanning, false);
  assert.deepEqual(dongle.funcs, ["statuss", "search", "stopSearch"]);
  await clock.tick(399);
  await settle();
  assert.equal(manager.state, "stopping-to-connect");
  await clock.tick(1);
  await waitFor(() => devices.devices.size === 1, "the Hush");
  assert.equal(manager.state, "device");
  assert.ok(r.lines.some((l) => /no search-stopped confirmation within 400 ms/.test(l)));
  assert.equal(r.finished.count, 0);
});

Deno.test("lovense dongle: unplugging the dongle removes the toy; plugging it back asks statuss again", async () => {
  await using r = rig();
  const { dongle, manager, devices, hid } = r;
  dongle.connectedToy = HUSH;
  await waitFor(() => devices.devices.size === 1, "the Hush");
  assert.equal(hid.starts, 1);

  const removed = new Promise<void>((resolve) =>
    devices.addEventListener("deviceremoved", () => resolve(), { once: true })
  );
  hid.plugged = false;
  dongle.unplug();
  await removed;
  await settle();
  assert.equal(manager.state, "waiting-for-dongle");
  assert.equal(manager.dongleConnected, false);
  assert.equal(hid.starts, 2, "looking for the dongle again");
  assert.equal(hid.scanning, true);

  // Back in: statuss again; the dongle still holds the toy, so it comes back (same index).
  hid.plugged = true;
  hid.poll();
  await waitFor(() => devices.devices.size === 1, "the Hush again");
  assert.deepEqual(dongle.funcs, ["statuss", "command", "statuss", "command"]);
  assert.equal(devices.get(0)?.name, "Lovense Hush");
  assert.equal(hid.scanning, false);
});

Deno.test("lovense dongle: a running scan survives the dongle being replugged", async () => {
  await using r = rig();
  const { dongle, manager, hid, clock } = r;
  await toIdle(r);
  await r.devices.startScanning();
  await settle();
  assert.deepEqual(dongle.funcs, ["statuss", "search"]);
  hid.plugged = false;
  dongle.unplug();
  await settle();
  assert.equal(manager.state, "waiting-for-dongle");
  assert.equal(manager.scanning, true, "the scan is still wanted");
  assert.equal(r.finished.count, 0);
  hid.plugged = true;
  hid.poll();
  await settle();
  await clock.tick(250);
  await settle();
  assert.deepEqual(dongle.funcs, ["statuss", "search", "statuss", "search"]);
  assert.equal(manager.state, "scanning");
});

Deno.test("lovense dongle: toy hardware: endpoints, 75 ms window, no reads, subscriptions without I/O", async () => {
  const clock = new FakeClock();
  const hid = new FakeHidManager();
  const { dongle } = hid;
  dongle.connectedToy = HUSH;
  await using manager = new LovenseDongleManager({ hid, clock });
  const found: HardwareConnector[] = [];
  manager.addEventListener("found", (e) => found.push(e.detail));
  await settle();
  assert.equal(found.length, 1);
  const connector = found[0];
  assert.deepEqual(connector.advertisement, {
    transport: "btle",
    name: "LVS-DongleDevice",
    address: HUSH.id,
  });
  const hw = await connector.connect({
    btle: { names: ["LVS-*"], services: {} },
  }) as LovenseDongleToyHardware;
  await assert.rejects(connector.connect({ btle: { names: [], services: {} } }), /already/);
  assert.equal(hw.name, "Lovense Dongle Device");
  assert.equal(hw.address, HUSH.id);
  assert.deepEqual(hw.endpoints, ["rx", "tx"]);
  assert.equal(hw.messageGapMs, 75);
  assert.equal(hw.requiresKeepalive, false);

  const sent = dongle.reports.length;
  await hw.subscribe("rx");
  await hw.unsubscribe("rx");
  await hw.subscribe("tx");
  assert.equal(dongle.reports.length, sent, "subscribe/unsubscribe do no I/O");
  await assert.rejects(hw.read("rx", 0, 100), ButtplugDeviceError);
  await assert.rejects(hw.write("battery", new Uint8Array([1]), false), /rx and tx/);

  // Concurrent writes of two-report messages never interleave their reports.
  await Promise.all([
    hw.write("tx", new TextEncoder().encode("Vibrate:1;"), false),
    hw.write("tx", new TextEncoder().encode("Vibrate:2;"), false),
  ]);
  assert.equal(dongle.reports.length, sent + 4);
  assert.deepEqual(dongle.commands.slice(-2), ["Vibrate:1;", "Vibrate:2;"]);

  // A reply to the toy becomes an rx notification; a reply about another toy does not.
  const notes: string[] = [];
  hw.addEventListener("notification", (e) => {
    notes.push(`${e.detail.endpoint}:${new TextDecoder().decode(e.detail.data)}`);
  });
  await hw.write("tx", new TextEncoder().encode("DeviceType;"), false);
  dongle.send({ type: "toy", func: "toyData", data: { id: "other", data: "X:1:1;" } });
  await settle();
  assert.deepEqual(notes, [`rx:${HUSH.deviceType}`]);

  // Toy loss reported for another toy is ignored; for this one it disconnects.
  dongle.send({ type: "toy", func: "status", data: { id: "other", status: 403 } });
  await settle();
  assert.equal(hw.disconnected, false);
  let disconnected = 0;
  hw.addEventListener("disconnected", () => disconnected++);
  dongle.loseToy();
  await settle();
  assert.equal(disconnected, 1);
  assert.equal(hw.disconnected, true);
  await assert.rejects(hw.write("tx", new Uint8Array([65]), false), /disconnected/);
  await assert.rejects(connector.connect({ btle: { names: [], services: {} } }), /no longer/);
  assert.equal(manager.state, "idle");
});

Deno.test("lovense dongle: disconnecting the toy ends the device loop; a new scan can find it", async () => {
  const clock = new FakeClock();
  const hid = new FakeHidManager();
  hid.dongle.connectedToy = HUSH;
  await using manager = new LovenseDongleManager({ hid, clock });
  const found: HardwareConnector[] = [];
  manager.addEventListener("found", (e) => found.push(e.detail));
  await settle();
  const hw = await found[0].connect({ btle: { names: [], services: {} } });
  const writes = hid.dongle.reports.length;
  await hw.disconnect();
  await hw.disconnect();
  assert.equal(manager.state, "idle");
  assert.equal(hid.dongle.reports.length, writes, "no message exists to drop a toy");
  await manager.startScanning();
  await settle();
  assert.equal(hid.dongle.funcs.at(-1), "search");
});

Deno.test("lovense dongle: bad input from the dongle is logged and survived", async () => {
  await using r = rig();
  const { dongle, manager, devices } = r;
  await toIdle(r);
  dongle.sendText("garbage\n");
  dongle.sendText('{"type":"toy",\n');
  dongle.sendText('{"type": "toy", "func": 12, "result": "x", "data": [1]}\n');
  dongle.sendReport(new Uint8Array([0xff, 0xfe, 0x0a]));
  dongle.sendText("[1,2]\n");
  await settle();
  assert.equal(manager.state, "idle");
  assert.ok(
    r.lines.some((l) => /^warn lovense dongle: ignored text "garbage"/.test(l)),
    r.lines.join("\n"),
  );
  assert.ok(r.lines.some((l) => /ignored text .*\{\\"type\\":\\"toy\\",/.test(l)));
  // Still working: a 202 now (as two objects on one line, split over reports) connects the toy.
  dongle.connectedToy = HUSH;
  dongle.sendText(
    `{"type":"usb","func":"init","result":100}{"type":"toy","func":"status","result":200,"data":{"id":"${HUSH.id}","status":202}}\n`,
  );
  await waitFor(() => devices.devices.size === 1, "the Hush");
  assert.equal(manager.toyId, HUSH.id);
});

Deno.test("lovense dongle: disposal stops the search, closes the dongle and the HID scan; signal", async () => {
  const clock = new FakeClock();
  const hid = new FakeHidManager();
  const manager = new LovenseDongleManager({ hid, clock });
  await settle();
  await clock.tick(250);
  await manager.startScanning();
  await settle();
  assert.equal(manager.state, "scanning");
  await manager[Symbol.asyncDispose]();
  await manager[Symbol.asyncDispose]();
  assert.equal(hid.dongle.funcs.at(-1), "stopSearch");
  assert.equal(hid.dongle.open, false);
  assert.equal(manager.state, "disposed");
  assert.equal(manager.scanning, false);
  await assert.rejects(manager.startScanning(), ButtplugDeviceError);
  assert.equal(clock.pending, 0);

  // Aborting the signal disposes too; while waiting, the HID scan it started is stopped.
  const hid2 = new FakeHidManager();
  hid2.plugged = false;
  const controller = new AbortController();
  const manager2 = new LovenseDongleManager({ hid: hid2, clock, signal: controller.signal });
  await settle();
  assert.equal(hid2.scanning, true);
  controller.abort();
  await manager2[Symbol.asyncDispose]();
  assert.equal(hid2.scanning, false);
  assert.equal(manager2.state, "disposed");

  // An HID manager shared with others is neither configured nor scanned by the dongle manager.
  const hid3 = new FakeHidManager();
  await using manager3 = new LovenseDongleManager({ hid: hid3, clock, manageHidScan: false });
  await settle();
  assert.equal(hid3.configured, undefined);
  assert.equal(hid3.starts, 0);
  await hid3.startScanning(); // someone else's scan reports the dongle
  await settle();
  assert.equal(manager3.state, "checking-connected");
  await hid3.stopScanning();

  assert.throws(() => new LovenseDongleManager({ hid: hid3, statusWaitMs: -1 }), RangeError);
});

// ---------------------------------------------------------------------------------------------
// Production wiring: the sidecar's hid manager (a scripted fake sidecar process)
// ---------------------------------------------------------------------------------------------

/** `message` + LF as 64-byte input reports (63 text bytes + zero padding each). */
function inputReports(message: Json): number[][] {
  const bytes = [...new TextEncoder().encode(`${JSON.stringify(message)}\n`)];
  const reports: number[][] = [];
  for (let at = 0; at < bytes.length; at += 63) {
    const chunk = bytes.slice(at, at + 63);
    reports.push([...chunk, ...new Array(64 - chunk.length).fill(0)]);
  }
  return reports;
}

Deno.test('lovense dongle: drives sidecar.manager("hid") through the sidecar wire', async () => {
  const requestLog = await Deno.makeTempFile({ prefix: "dongle-requests-" });
  try {
    const notify = (message: Json) => ({
      events: inputReports(message).map((data) => ({
        event: "notification",
        params: { handle: "$handle", endpoint: "rx", data },
      })),
    });
    const scenario = {
      requestLog,
      methods: {
        "scan.start": {
          events: [{
            event: "found",
            params: {
              transport: "hid",
              address: "LVSDONGLE01",
              name: "USB Receiver",
              vendorId: 0x1915,
              productId: 0x520a,
              path: "/dev/hidraw7",
            },
          }],
        },
        connect: {
          result: {
            handle: "hid-1",
            transport: "hid",
            name: "USB Receiver",
            address: "LVSDONGLE01",
            endpoints: ["rx", "tx"],
            missing: [],
            messageGapMs: 0,
          },
        },
        write: [
          // statuss → a toy is already connected.
          notify({ type: "toy", func: "status", result: 200, data: { id: "T1", status: 202 } }),
          // DeviceType; → the Hush answers.
          notify({ type: "toy", func: "toyData", data: { id: "T1", data: "Z:11:0082059AD3BD;" } }),
          "ok",
        ],
      },
    };
    await using sidecar = await SidecarProcess.start({
      script: FAKE_SIDECAR,
      env: { FAKE_SIDECAR: JSON.stringify(scenario) },
    });
    const dongle = new LovenseDongleManager({ hid: sidecar.manager("hid") });
    await using devices = new DeviceManager();
    devices.addSource(new ProtocolDeviceSource({ managers: [dongle] }));
    await until(() => devices.devices.size === 1, 10_000, "the Hush via the sidecar");
    const device = devices.get(0)!;
    assert.equal(device.name, "Lovense Hush");
    await device.output(0, "Vibrate", { Value: 10 });

    const requests = async () =>
      (await Deno.readTextFile(requestLog)).trim().split("\n").map((l) =>
        JSON.parse(l) as { method: string; params: Json }
      );
    await until(
      () => {
        try {
          return Deno.readTextFileSync(requestLog).split('"method":"write"').length - 1 === 3;
        } catch {
          return false;
        }
      },
      10_000,
      "three writes",
    );
    const seen = await requests();
    const params = (method: string) => seen.filter((r) => r.method === method).map((r) => r.params);
    assert.deepEqual(params("scan.start"), [
      { transport: "hid", pairs: [{ vendorId: 0x1915, productId: 0x520a }] },
    ]);
    assert.equal(params("connect").length, 1);
    assert.deepEqual(
      { ...params("connect")[0], timeoutMs: undefined },
      {
        transport: "hid",
        address: "LVSDONGLE01",
        path: "/dev/hidraw7",
        vendorId: 0x1915,
        productId: 0x520a,
        timeoutMs: undefined,
      },
    );
    assert.deepEqual(params("subscribe").map((p) => [p.handle, p.endpoint]), [["hid-1", "rx"]]);
    assert.equal(params("scan.stop").length, 1, "the HID scan stops once the dongle is open");
    const writes = params("write");
    assert.ok(writes.every((w) => w.handle === "hid-1" && w.endpoint === "tx"));
    assert.deepEqual(writes.map((w) => w.data), [
      ...expectedReports('{"type":"toy","func":"statuss"}'),
      ...expectedReports('{"type":"toy","func":"command","id":"T1","cmd":"DeviceType;"}'),
      ...expectedReports('{"type":"toy","func":"command","id":"T1","cmd":"Vibrate:10;"}'),
    ]);
  } finally {
    await Deno.remove(requestLog);
  }
});

// ---------------------------------------------------------------------------------------------
// Framing
// ---------------------------------------------------------------------------------------------

Deno.test("lovense dongle: encoder: key order, CRLF, 63-byte chunks in 65-byte reports", () => {
  assert.deepEqual(
    encodeDongleMessage({ type: "usb", func: "stopSearch" }).map((r) => [...r]),
    expectedReports('{"type":"usb","func":"stopSearch"}'),
  );
  const long = encodeDongleMessage({
    type: "toy",
    func: "command",
    id: "x".repeat(100),
    cmd: "A;",
  });
  const text = `{"type":"toy","func":"command","id":"${"x".repeat(100)}","cmd":"A;"}\r\n`;
  assert.equal(long.length, Math.ceil(text.length / 63));
  assert.ok(long.every((r) => r.length === 65 && r[0] === 0 && r[64] === 0));
  assert.deepEqual(long.map((r) => [...r]), expectedReports(text.slice(0, -2)));
  // Exactly 63 bytes with CRLF: one full report.
  const exact = `{"type":"toy","func":"command","id":"${"y".repeat(11)}","cmd":"A;"}`;
  assert.equal(exact.length + 2, 63);
  const [one, ...none] = encodeDongleMessage({
    type: "toy",
    func: "command",
    id: "y".repeat(11),
    cmd: "A;",
  });
  assert.equal(none.length, 0);
  assert.equal(one[63], 0x0a);
});

Deno.test("lovense dongle: decoder: split reports, several objects a line, kept remainder, padding", () => {
  const problems: string[] = [];
  const decoder = new LovenseDongleDecoder((p) => problems.push(p));
  const enc = (s: string) => new TextEncoder().encode(s);
  // One message over two reports, each zero padded, the first with a leading report id 0.
  const text =
    '{"type":"toy","func":"toyData","data":{"id":"abc","data":"Z:11:0082059AD3BD;"}}\r\n';
  const first = new Uint8Array(65);
  first.set(enc(text.slice(0, 40)), 1);
  const second = new Uint8Array(64);
  second.set(enc(text.slice(40)));
  assert.deepEqual(decoder.push(first), []);
  assert.equal(decoder.pending, text.slice(0, 40));
  const [m] = decoder.push(second);
  assert.deepEqual(
    m,
    {
      type: "toy",
      func: "toyData",
      data: { id: "abc", data: "Z:11:0082059AD3BD;" },
    } satisfies LovenseDongleIncoming,
  );
  // Two objects on a line, a braces-in-string value, then the start of the next line kept.
  const got = decoder.push(enc('{"func":"a","message":"}{"} {"func":"b"}\n{"func":"c"'));
  assert.deepEqual(got.map((x) => x.func), ["a", "b"]);
  assert.equal(got[0].message, "}{");
  assert.deepEqual(decoder.push(enc("}\n")).map((x) => x.func), ["c"]);
  assert.deepEqual(problems, []);
  // Garbage and invalid JSON are reported, not thrown.
  assert.deepEqual(decoder.push(enc("nope {bad json}\n")), []);
  assert.deepEqual(problems, ['ignored text "nope"', 'ignored invalid JSON "{bad json}"']);
  decoder.reset();
  assert.equal(decoder.pending, "");
  // A run without newline is dropped past the limit.
  decoder.push(enc("x".repeat(70_000)));
  assert.equal(decoder.pending, "");
  assert.match(problems.at(-1)!, /dropped 70000 characters/);
});

Deno.test("lovense dongle: message validation keeps only well-typed fields", () => {
  assert.deepEqual(
    parseDongleMessage({
      type: "toy",
      func: "status",
      id: 5,
      result: "200",
      eager: 1,
      data: { id: "t1", status: 202.5, data: 7 },
      message: "hi",
    }),
    { type: "toy", func: "status", result: 200, eager: 1, data: { id: "t1" }, message: "hi" },
  );
  assert.equal(parseDongleMessage([1]), undefined);
  assert.equal(parseDongleMessage("x"), undefined);
  assert.deepEqual(splitJsonObjects('x{"a":"\\"}"}y{'), {
    objects: ['{"a":"\\"}"}'],
    garbage: "xy{",
  });
});
