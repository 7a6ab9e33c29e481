// deno-lint-ignore-file explicit-module-boundary-types -- plain JavaScript for Node; types are in JSDoc
/**
 * Bluetooth LE transport over `@abandonware/noble` (DEVICES.md §4.2).
 *
 * noble is loaded lazily inside `init()`: on a machine without Bluetooth its hci-socket binding
 * throws while loading (EAFNOSUPPORT / ENODEV), which becomes the transport's "unavailable"
 * reason instead of a crash. Tests inject a fake with `createBle({ noble })`.
 *
 * Events: `found` (advertisement), `scanFinished` (reason), `status` ({available, reason}),
 * `log` (level, message). Devices emit `notification` (endpoint, Buffer) and `disconnect` (reason).
 *
 * Two independent reasons keep the adapter scanning, and noble scans while either holds: a client
 * scan ({@link BleTransport.startScan} / {@link BleTransport.stopScan}) and the reconnect watch
 * ({@link BleTransport.watch}), a list of addresses of known devices that dropped unexpectedly.
 * The bridge owns that list (it knows which disconnects were requested); the sidecar only reports
 * when a watched device advertises again, as a `found` with `watched: true`, at most once per
 * `watchReportMs` per device, ignoring the client scan's filter. Stopping one never stops the other.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import {
  describeLoadError,
  ErrorCodes,
  normalizeUuid,
  requireAvailable,
  SidecarError,
  toSidecarError,
  withTimeout,
} from "./util.mjs";

/** Batching window the Deno side uses for BLE devices (ms); reported in connect results. */
export const BLE_MESSAGE_GAP_MS = 75;

/** Default: a watched device is reported at most once per this many ms while it advertises. */
export const WATCH_REPORT_MS = 1000;

/** Default: after the adapter stopped scanning by itself, retry the watch scan after this many ms. */
export const WATCH_RESCAN_MS = 5000;

/**
 * @typedef {object} BleTimers Time source and timers (injectable for tests).
 * @property {() => number} now milliseconds
 * @property {(fn: () => void, ms: number) => unknown} setTimeout
 * @property {(handle: unknown) => void} clearTimeout
 */

/** @type {BleTimers} */
const realTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(/** @type {any} */ (h)),
};

/**
 * Loads noble for one adapter (`deviceId` = N of hciN; undefined = noble's default / env).
 * @param {number | undefined} deviceId
 * @returns {Promise<object>}
 */
async function loadRealNoble(deviceId) {
  const mod = await import("@abandonware/noble/with-custom-binding.js");
  const factory = mod.default ?? mod;
  return factory(deviceId === undefined ? {} : { deviceId });
}

/**
 * Creates the BLE transport.
 *
 * @example
 * ```js
 * import { createBle } from "./ble.mjs";
 * const ble = createBle({ adapter: 0 });
 * const status = await ble.init(); // { available: false, reason: "no Bluetooth support ..." }
 * ```
 * @param {{ noble?: object, loadNoble?: (deviceId?: number) => Promise<object>,
 *   adapter?: number, stateWaitMs?: number, timers?: BleTimers, watchReportMs?: number,
 *   rescanMs?: number }} [options]
 *   `timers`: clock for the watch report interval and the rescan delay (default: real timers).
 * @returns {BleTransport}
 */
export function createBle(options = {}) {
  return new BleTransport(options);
}

/** The BLE transport (see {@link createBle}). */
export class BleTransport extends EventEmitter {
  /** Transport name on the wire. */
  name = "btle";
  /** @type {{ available: boolean, reason?: string }} */
  status = { available: false, reason: "not initialised" };
  /** Whether a client scan is running (the reconnect watch does not count). */
  scanning = false;

  #injected;
  #load;
  #adapter;
  #stateWaitMs;
  /** @type {any} */
  #noble = null;
  /** @type {Map<string, any>} address → noble peripheral */
  #peripherals = new Map();
  /** @type {Map<string, Set<string>>} address → advertisement keys already reported */
  #reported = new Map();
  /** @type {Set<string>} connected (or connecting) addresses */
  #busy = new Set();
  /** @type {{ names: string[], services: string[], companies: number[] }} */
  #filter = { names: [], services: [], companies: [] };
  #stopping = false;
  /** @type {Map<string, number>} watched address → when it was last reported */
  #watched = new Map();
  /** Whether noble is scanning because we asked it to. */
  #nobleScanning = false;
  /** Serialises noble start/stop calls. @type {Promise<void>} */
  #scanOps = Promise.resolve();
  /** @type {unknown} pending watch rescan timer */
  #rescanTimer;
  #closed = false;
  /** @type {BleTimers} */
  #timers;
  #watchReportMs;
  #rescanMs;

  /** @param {{ noble?: object, loadNoble?: (deviceId?: number) => Promise<object>, adapter?: number, stateWaitMs?: number, timers?: BleTimers, watchReportMs?: number, rescanMs?: number }} options */
  constructor(options) {
    super();
    this.#injected = options.noble;
    this.#load = options.loadNoble ?? loadRealNoble;
    this.#adapter = options.adapter;
    this.#stateWaitMs = options.stateWaitMs ?? 2000;
    this.#timers = options.timers ?? realTimers;
    this.#watchReportMs = options.watchReportMs ?? WATCH_REPORT_MS;
    this.#rescanMs = options.rescanMs ?? WATCH_RESCAN_MS;
  }

  /** Addresses of the reconnect watch (see {@link BleTransport.watch}). @returns {string[]} */
  get watching() {
    return [...this.#watched.keys()];
  }

  /** Whether noble is scanning on our behalf (client scan or reconnect watch). */
  get adapterScanning() {
    return this.#nobleScanning;
  }

  /**
   * Loads noble and waits (bounded) for the adapter state.
   * @returns {Promise<{ available: boolean, reason?: string }>}
   */
  async init() {
    let noble;
    try {
      noble = this.#injected ?? await this.#load(this.#adapter);
    } catch (err) {
      this.status = {
        available: false,
        reason: describeLoadError("@abandonware/noble", err),
      };
      return this.status;
    }
    this.#noble = noble;
    // A listener on "warning" keeps noble from printing to the console.
    noble.on(
      "warning",
      (message) => this.emit("log", "warn", `noble: ${message}`),
    );
    noble.on("discover", (p) => this.#onDiscover(p));
    noble.on("scanStop", () => this.#onScanStop("scan stopped by the adapter"));
    const initial = await this.#waitForState(noble);
    this.status = stateStatus(initial, this.#adapter);
    noble.on("stateChange", (state) => {
      const next = stateStatus(state, this.#adapter);
      const changed = next.available !== this.status.available;
      this.status = next;
      if (changed) this.emit("status", next);
      if (!next.available) this.#onScanStop(`adapter state ${state}`);
      // Back on: the reconnect watch resumes (a client scan that finished stays finished).
      else if (changed) this.#resumeWatch();
    });
    return this.status;
  }

  /**
   * Resolves with the first definite adapter state (or "unknown" after the wait).
   * @param {any} noble
   * @returns {Promise<string>}
   */
  #waitForState(noble) {
    return new Promise((resolve) => {
      let done = false;
      const finish = (state) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        noble.removeListener("stateChange", onChange);
        resolve(state);
      };
      const onChange = (state) => {
        if (state !== "unknown") finish(state);
      };
      const timer = setTimeout(
        () => finish(noble._state ?? noble.state ?? "unknown"),
        this.#stateWaitMs,
      );
      noble.on("stateChange", onChange);
      let now;
      try {
        now = noble.state;
      } catch (err) {
        this.emit(
          "log",
          "warn",
          `noble: reading adapter state failed: ${err?.message ?? err}`,
        );
        now = "unknown";
      }
      if (now && now !== "unknown") finish(now);
    });
  }

  /**
   * Starts scanning (no service filter at the adapter, duplicates allowed). The optional filter
   * limits which advertisements are reported: any name pattern (trailing `*` = prefix), any
   * advertised service, or any manufacturer company matches; no filter reports everything.
   * @param {{ names?: string[], services?: string[], companies?: number[] }} [filter]
   * @returns {Promise<void>}
   */
  async startScan(filter = {}) {
    requireAvailable(this);
    this.#filter = {
      names: filter.names ?? [],
      services: (filter.services ?? []).map(normalizeUuid).filter(Boolean),
      companies: filter.companies ?? [],
    };
    this.#reported.clear();
    this.scanning = true;
    try {
      await this.#syncScan();
    } catch (err) {
      this.scanning = false;
      throw toSidecarError(err);
    }
  }

  /**
   * Stops the client scan. noble keeps scanning while the reconnect watch has addresses.
   * @returns {Promise<void>}
   */
  async stopScan() {
    if (!this.scanning || !this.#noble) return;
    this.scanning = false;
    try {
      await this.#syncScan();
    } catch (err) {
      throw toSidecarError(err);
    }
  }

  /**
   * Sets the reconnect watch: the addresses of known devices that dropped unexpectedly (replaces
   * the previous list; empty ends the watch). While the list is not empty noble scans even without
   * a client scan, and each watched address that advertises while it is not connected or
   * connecting is reported as `found` with `watched: true`, at most once per `watchReportMs`. The
   * list is kept while the adapter is off and the watch resumes when it is back on.
   * @param {string[]} addresses
   * @returns {Promise<void>}
   */
  async watch(addresses) {
    if (this.#closed) return;
    const next = new Map();
    for (const a of addresses) next.set(a, this.#watched.get(a) ?? -Infinity);
    this.#watched = next;
    if (next.size === 0) this.#cancelRescan();
    try {
      // Nothing to do while the adapter is off: the watch resumes on poweredOn.
      await this.#syncScan();
    } catch (err) {
      throw toSidecarError(err);
    }
  }

  /**
   * Brings noble's scanning in line with what is wanted (a client scan or a non-empty watch on an
   * available adapter). Calls are serialised, so a client scan and the watch never race.
   * @returns {Promise<void>}
   */
  #syncScan() {
    const run = this.#scanOps.then(() => this.#applyScan());
    this.#scanOps = run.catch(() => {});
    return run;
  }

  async #applyScan() {
    const noble = this.#noble;
    if (!noble) return;
    const want = !this.#closed && this.status.available &&
      (this.scanning || this.#watched.size > 0);
    if (want && !this.#nobleScanning) {
      await noble.startScanningAsync([], true);
      this.#nobleScanning = true;
    } else if (!want && this.#nobleScanning) {
      this.#nobleScanning = false;
      this.#stopping = true;
      try {
        await noble.stopScanningAsync();
      } finally {
        this.#stopping = false;
      }
    }
  }

  /** @param {string} reason */
  #onScanStop(reason) {
    if (this.#stopping) return;
    this.#nobleScanning = false;
    if (this.scanning) {
      this.scanning = false;
      this.emit("scanFinished", reason);
    }
    if (this.#watched.size > 0 && this.status.available && !this.#closed) {
      // The adapter stopped by itself while powered on: try the watch again a little later.
      this.#cancelRescan();
      this.#rescanTimer = this.#timers.setTimeout(() => {
        this.#rescanTimer = undefined;
        this.#resumeWatch();
      }, this.#rescanMs);
    }
  }

  #resumeWatch() {
    if (this.#watched.size === 0 || this.#closed) return;
    this.#syncScan().catch((err) =>
      this.emit(
        "log",
        "warn",
        `btle: restarting the reconnect watch failed: ${err?.message ?? err}`,
      )
    );
  }

  #cancelRescan() {
    if (this.#rescanTimer === undefined) return;
    this.#timers.clearTimeout(this.#rescanTimer);
    this.#rescanTimer = undefined;
  }

  /** @param {any} p noble peripheral */
  #onDiscover(p) {
    const adv = p.advertisement ?? {};
    const name = typeof adv.localName === "string" ? adv.localName : "";
    const services = (adv.serviceUuids ?? []).map(normalizeUuid).filter(
      Boolean,
    );
    const manufacturerData = parseManufacturerData(adv.manufacturerData);
    if (name === "" && services.length === 0) return;
    const address = peripheralAddress(p);
    this.#peripherals.set(address, p);
    if (this.#busy.has(address)) return;
    /** @type {Record<string, unknown>} */
    const ad = { transport: "btle", address, name, services, manufacturerData };
    if (typeof p.rssi === "number") ad.rssi = p.rssi;
    const lastReport = this.#watched.get(address);
    if (lastReport !== undefined) {
      // A watched device is reported only through the watch (the bridge applies its backoff),
      // whatever the client scan's filter says.
      const now = this.#timers.now();
      if (now - lastReport < this.#watchReportMs) return;
      this.#watched.set(address, now);
      this.emit("found", { ...ad, watched: true });
      return;
    }
    if (!this.scanning) return;
    if (!this.#matches(name, services, manufacturerData)) return;
    const key = JSON.stringify([name, manufacturerData, services]);
    let keys = this.#reported.get(address);
    if (!keys) this.#reported.set(address, keys = new Set());
    if (keys.has(key)) return;
    keys.add(key);
    this.emit("found", ad);
  }

  /**
   * @param {string} name
   * @param {string[]} services
   * @param {{ company: number }[]} mfr
   */
  #matches(name, services, mfr) {
    const f = this.#filter;
    if (
      f.names.length === 0 && f.services.length === 0 &&
      f.companies.length === 0
    ) return true;
    if (f.names.some((pattern) => nameMatches(pattern, name))) return true;
    if (services.some((s) => f.services.includes(s))) return true;
    return mfr.some((m) => f.companies.includes(m.company));
  }

  /**
   * Connects, discovers all services/characteristics and binds the config's endpoints.
   * @param {{ address: string, services?: Record<string, Record<string, string>>, timeoutMs: number }} params
   * @returns {Promise<BleDevice>}
   */
  async connect(params) {
    requireAvailable(this);
    const { address, timeoutMs } = params;
    const p = this.#peripherals.get(address);
    if (!p) {
      throw new SidecarError(
        ErrorCodes.notFound,
        `BLE device ${address} has not been seen by a scan`,
      );
    }
    if (this.#busy.has(address)) {
      throw new SidecarError(
        ErrorCodes.busy,
        `BLE device ${address} is already connected`,
      );
    }
    this.#busy.add(address);
    const started = Date.now();
    try {
      if (p.state !== "connected") {
        await withTimeout(
          p.connectAsync(),
          timeoutMs,
          `connect to ${address}`,
          () => p.cancelConnect?.(),
        );
      }
      let discovered;
      try {
        const left = Math.max(1, timeoutMs - (Date.now() - started));
        discovered = await withTimeout(
          p.discoverAllServicesAndCharacteristicsAsync(),
          left,
          `service discovery on ${address}`,
        );
      } catch (err) {
        p.disconnectAsync?.().catch(() => {});
        throw err;
      }
      const { endpoints, missing } = bindEndpoints(
        params.services ?? {},
        discovered.services ?? [],
      );
      for (const m of missing) {
        this.emit("log", "info", `btle ${address}: ${m}`);
      }
      const name = p.advertisement?.localName ?? "";
      const device = new BleDevice(p, address, name, endpoints, missing);
      device.once("disconnect", () => {
        this.#busy.delete(address);
        this.#reported.delete(address);
      });
      return device;
    } catch (err) {
      this.#busy.delete(address);
      throw toSidecarError(err);
    }
  }

  /**
   * Stops the client scan and the reconnect watch (and so noble's scan); devices are closed by
   * the router. @returns {Promise<void>}
   */
  async close() {
    this.#closed = true;
    this.#cancelRescan();
    this.#watched.clear();
    this.scanning = false;
    await this.#syncScan().catch(() => {});
  }
}

/** A connected BLE peripheral with bound endpoints. */
export class BleDevice extends EventEmitter {
  /** @type {string} */ name;
  /** @type {string} */ address;
  /** @type {string[]} */ endpoints;
  /** @type {string[]} */ missing;
  /** Batching window (ms). */
  messageGapMs = BLE_MESSAGE_GAP_MS;
  #p;
  /** @type {Map<string, any>} */
  #chars;
  /** @type {Map<string, (data: Buffer, isNotification?: boolean) => void>} */
  #subs = new Map();
  #gone = false;

  /**
   * @param {any} peripheral
   * @param {string} address
   * @param {string} name
   * @param {Map<string, any>} chars endpoint → characteristic
   * @param {string[]} missing
   */
  constructor(peripheral, address, name, chars, missing) {
    super();
    this.#p = peripheral;
    this.address = address;
    this.name = name;
    this.#chars = chars;
    this.endpoints = [...chars.keys()];
    this.missing = missing;
    peripheral.once("disconnect", (reason) => {
      this.#gone = true;
      this.emit(
        "disconnect",
        typeof reason === "number" ? `HCI reason ${reason}` : "peripheral disconnected",
      );
    });
  }

  /** @param {string} endpoint */
  #char(endpoint) {
    if (this.#gone) {
      throw new SidecarError(
        ErrorCodes.disconnected,
        `${this.address} is disconnected`,
      );
    }
    const c = this.#chars.get(endpoint);
    if (!c) {
      throw new SidecarError(
        ErrorCodes.noEndpoint,
        `endpoint ${endpoint} is not bound on ${this.address}`,
      );
    }
    return c;
  }

  /**
   * Writes with the requested mode, falling back to the other mode when the characteristic only
   * supports that one (DEVICES.md §4.2), else trying anyway.
   * @param {string} endpoint
   * @param {Buffer} data
   * @param {boolean} withResponse
   * @returns {Promise<void>}
   */
  async write(endpoint, data, withResponse) {
    const c = this.#char(endpoint);
    await c.writeAsync(
      data,
      !chooseWithResponse(c.properties ?? [], withResponse),
    );
  }

  /**
   * Plain characteristic read; `length` > 0 truncates.
   * @param {string} endpoint
   * @param {number} length
   * @returns {Promise<Buffer>}
   */
  async read(endpoint, length) {
    const data = await this.#char(endpoint).readAsync();
    return length > 0 ? data.subarray(0, length) : data;
  }

  /** Notify/indicate on; repeated subscribes are no-ops. @param {string} endpoint */
  async subscribe(endpoint) {
    const c = this.#char(endpoint);
    if (this.#subs.has(endpoint)) return;
    const handler = (data, isNotification) => {
      if (isNotification === false) return; // a read reply, not a notification
      this.emit("notification", endpoint, data);
    };
    this.#subs.set(endpoint, handler);
    c.on("data", handler);
    try {
      await c.subscribeAsync();
    } catch (err) {
      c.removeListener("data", handler);
      this.#subs.delete(endpoint);
      throw err;
    }
  }

  /** Notify/indicate off; unsubscribing a non-subscribed endpoint is a no-op. @param {string} endpoint */
  async unsubscribe(endpoint) {
    const c = this.#char(endpoint);
    const handler = this.#subs.get(endpoint);
    if (!handler) return;
    this.#subs.delete(endpoint);
    c.removeListener("data", handler);
    await c.unsubscribeAsync();
  }

  /** Disconnects the peripheral. @returns {Promise<void>} */
  async close() {
    for (const [endpoint, handler] of this.#subs) {
      this.#chars.get(endpoint)?.removeListener("data", handler);
    }
    this.#subs.clear();
    if (this.#gone) return;
    this.#gone = true;
    await this.#p.disconnectAsync();
  }
}

/**
 * Picks the write mode: the requested one when supported, else the other when that is supported,
 * else the requested one anyway.
 * @param {string[]} properties noble characteristic properties
 * @param {boolean} withResponse requested mode
 * @returns {boolean} whether to write with response
 */
export function chooseWithResponse(properties, withResponse) {
  const canWith = properties.includes("write");
  const canWithout = properties.includes("writeWithoutResponse");
  if (withResponse && !canWith && canWithout) return false;
  if (!withResponse && !canWithout && canWith) return true;
  return withResponse;
}

/**
 * Binds config endpoints to discovered characteristics (UUIDs normalised on both sides).
 * @param {Record<string, Record<string, string>>} wanted service → endpoint → characteristic
 * @param {any[]} services noble services (with `.characteristics`)
 * @returns {{ endpoints: Map<string, any>, missing: string[] }}
 */
export function bindEndpoints(wanted, services) {
  const byUuid = new Map(services.map((s) => [normalizeUuid(s.uuid), s]));
  const endpoints = new Map();
  const missing = [];
  for (const [serviceUuid, eps] of Object.entries(wanted)) {
    const service = byUuid.get(normalizeUuid(serviceUuid));
    if (!service) continue; // alternative service blocks are normal (e.g. lovense lists 38)
    for (const [endpoint, charUuid] of Object.entries(eps)) {
      const want = normalizeUuid(charUuid);
      const c = (service.characteristics ?? []).find((ch) => normalizeUuid(ch.uuid) === want);
      if (!c) {
        missing.push(
          `characteristic ${charUuid} for endpoint ${endpoint} not found in service ${serviceUuid}`,
        );
        continue;
      }
      if (!endpoints.has(endpoint)) endpoints.set(endpoint, c);
    }
  }
  return { endpoints, missing };
}

/**
 * noble gives manufacturer data as one Buffer: company id (u16 little endian) then data.
 * @param {unknown} buf
 * @returns {{ company: number, data: number[] }[]}
 */
export function parseManufacturerData(buf) {
  if (!(buf instanceof Uint8Array) || buf.length < 2) return [];
  return [{
    company: buf[0] | (buf[1] << 8),
    data: Array.from(buf.subarray(2)),
  }];
}

/**
 * Config name matching: exact, or a trailing `*` wildcard in either direction.
 * @param {string} pattern
 * @param {string} name
 * @returns {boolean}
 */
export function nameMatches(pattern, name) {
  if (pattern === name) return true;
  if (pattern.endsWith("*") && name.startsWith(pattern.slice(0, -1))) {
    return true;
  }
  return name.endsWith("*") && pattern.startsWith(name.slice(0, -1));
}

/**
 * Address of a peripheral: `address` when the platform gives one (not on macOS), else `id`.
 * @param {any} p
 * @returns {string}
 */
export function peripheralAddress(p) {
  const a = p.address;
  if (typeof a === "string" && a !== "" && a !== "unknown") return a;
  return String(p.id ?? p.uuid);
}

/**
 * @param {string} state noble adapter state
 * @param {number | undefined} adapter
 * @returns {{ available: boolean, reason?: string }}
 */
function stateStatus(state, adapter) {
  const hci = adapter === undefined ? "the default adapter" : `hci${adapter}`;
  switch (state) {
    case "poweredOn":
      return { available: true };
    case "poweredOff":
      return {
        available: false,
        reason: `Bluetooth adapter ${hci} is powered off`,
      };
    case "unauthorized":
      return {
        available: false,
        reason: `not allowed to use ${hci} (run as root or grant node cap_net_raw,cap_net_admin)`,
      };
    case "unsupported":
      return {
        available: false,
        reason: `${hci} does not support Bluetooth LE`,
      };
    default:
      return {
        available: false,
        reason: `Bluetooth adapter ${hci} did not report a state (${state})`,
      };
  }
}
