// deno-lint-ignore-file explicit-module-boundary-types -- plain JavaScript for Node; types are in JSDoc
/**
 * The sidecar's request router: validates request lines, dispatches them to the transports,
 * keeps the table of connected devices (handles) and turns transport events into event lines.
 * It never throws on bad input: malformed lines get an error reply, or a `log` event when no id
 * can be recovered. See PROTOCOL.md for the wire format.
 *
 * @module
 */
import process from "node:process";
import {
  ErrorCodes,
  fromBytes,
  SidecarError,
  toBytes,
  toSidecarError,
  withTimeout,
} from "./util.mjs";

/** Wire protocol version announced in `hello`. */
export const PROTOCOL_VERSION = 1;
/** Sidecar version (kept equal to package.json `version`; a test checks it). */
export const SIDECAR_VERSION = "0.1.0";

/** Most addresses one `watch` request may carry. */
export const MAX_WATCHED = 256;

/** Default and maximum per-request deadlines (ms). */
export const TIMEOUTS = Object.freeze({
  connect: 10000,
  write: 5000,
  read: 1000,
  subscribe: 5000,
  disconnect: 3000,
  max: 120000,
});

/**
 * Creates a router over transports.
 *
 * @example
 * ```js
 * import { createRouter } from "./router.mjs";
 * import { createSerial } from "./serial.mjs";
 * const router = createRouter({ transports: [createSerial()], send: (o) => console.log(JSON.stringify(o)) });
 * await router.start(); // sends the hello event
 * await router.handleLine('{"id":1,"method":"list","params":{"transport":"serial"}}');
 * ```
 * @param {{ transports: any[], send: (message: object) => void, disabled?: Record<string, string> }} options
 *   `disabled` maps transport names that were not loaded to the reason.
 * @returns {Router}
 */
export function createRouter(options) {
  return new Router(options);
}

/**
 * @typedef {object} DeviceEntry
 * @property {string} handle
 * @property {any} transport
 * @property {any} device
 * @property {Promise<void>} writes tail of the write queue
 * @property {Promise<never>} gone rejects when the device disconnects
 * @property {(reason: string) => void} markGone
 */

/** See {@link createRouter}. */
export class Router {
  /** @type {Map<string, any>} */
  #transports = new Map();
  /** @type {Record<string, string>} */
  #disabled;
  #send;
  /** @type {Map<string, DeviceEntry>} */
  #devices = new Map();
  #nextHandle = 1;
  #closing = false;
  /** @type {Promise<void> | undefined} */
  #shutdown;
  /** @type {Set<Promise<unknown>>} */
  #connecting = new Set();
  /** @type {(v?: unknown) => void} */
  #markStarted = () => {};
  #started = new Promise((resolve) => this.#markStarted = resolve);

  /** @param {{ transports: any[], send: (message: object) => void, disabled?: Record<string, string> }} options */
  constructor(options) {
    for (const t of options.transports) this.#transports.set(t.name, t);
    this.#disabled = options.disabled ?? {};
    this.#send = options.send;
  }

  /** Initialises every transport (each failure becomes its reason) and sends `hello`. */
  async start() {
    await Promise.all([...this.#transports.values()].map(async (t) => {
      try {
        await t.init();
      } catch (err) {
        t.status = {
          available: false,
          reason: `initialisation failed: ${err?.message ?? err}`,
        };
      }
    }));
    for (const t of this.#transports.values()) {
      t.on("found", (ad) => this.#event("found", ad));
      t.on(
        "scanFinished",
        (reason) => this.#event("scanFinished", { transport: t.name, reason }),
      );
      t.on(
        "status",
        (s) => this.#event("transport", { transport: t.name, ...s }),
      );
      t.on("log", (level, message) => this.log(level, message));
    }
    this.#event("hello", this.hello());
    this.#markStarted();
  }

  /** The `hello` payload: versions and per-transport availability with reasons. @returns {object} */
  hello() {
    /** @type {Record<string, { available: boolean, reason?: string }>} */
    const transports = {};
    for (const [name, reason] of Object.entries(this.#disabled)) {
      transports[name] = { available: false, reason };
    }
    for (const t of this.#transports.values()) {
      transports[t.name] = { ...t.status };
    }
    return {
      protocol: PROTOCOL_VERSION,
      version: SIDECAR_VERSION,
      node: process.version,
      platform: process.platform,
      pid: process.pid,
      transports,
    };
  }

  /** Connected devices (handles), for diagnostics and tests. @returns {object[]} */
  devices() {
    return [...this.#devices.values()].map((e) => ({
      handle: e.handle,
      transport: e.transport.name,
      address: e.device.address,
      name: e.device.name,
      endpoints: e.device.endpoints,
    }));
  }

  /**
   * Sends a `log` event.
   * @param {string} level error | warn | info | debug
   * @param {string} message
   */
  log(level, message) {
    this.#event("log", { level, message });
  }

  /** @param {string} event @param {object} params */
  #event(event, params) {
    try {
      this.#send({ event, params });
    } catch {
      // stdout is gone; main.mjs shuts down
    }
  }

  /** @param {string | number} id @param {unknown} result */
  #ok(id, result) {
    try {
      this.#send({ id, ok: true, result: result ?? {} });
    } catch {
      // stdout is gone
    }
  }

  /** @param {string | number} id @param {unknown} err */
  #fail(id, err) {
    const e = toSidecarError(err);
    try {
      this.#send({
        id,
        ok: false,
        error: { code: e.code, message: e.message },
      });
    } catch {
      // stdout is gone
    }
  }

  /**
   * Handles one request line; always settles without throwing.
   * @param {string} line
   * @returns {Promise<void>}
   */
  async handleLine(line) {
    const text = line.trim();
    if (text === "") return;
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      this.log(
        "warn",
        `ignored a request line that is not JSON: ${clip(text)}`,
      );
      return;
    }
    if (typeof msg !== "object" || msg === null || Array.isArray(msg)) {
      this.log(
        "warn",
        `ignored a request line that is not a JSON object: ${clip(text)}`,
      );
      return;
    }
    const id = msg.id;
    const idOk = (Number.isSafeInteger(id) && id >= 0) ||
      (typeof id === "string" && id.length > 0 && id.length <= 64);
    if (!idOk) {
      this.log(
        "warn",
        `ignored a request without a valid id (integer >= 0 or short string): ${clip(text)}`,
      );
      return;
    }
    await this.#started;
    try {
      if (typeof msg.method !== "string") throw bad("method must be a string");
      const params = msg.params ?? {};
      if (
        typeof params !== "object" || params === null || Array.isArray(params)
      ) {
        throw bad("params must be an object");
      }
      const handler = this.#methods[msg.method];
      if (!Object.hasOwn(this.#methods, msg.method) || !handler) {
        throw new SidecarError(
          ErrorCodes.unknownMethod,
          `unknown method ${JSON.stringify(msg.method)}`,
        );
      }
      if (this.#closing && msg.method !== "hello") {
        throw new SidecarError(
          ErrorCodes.shuttingDown,
          "the sidecar is shutting down",
        );
      }
      this.#ok(id, await handler(params));
    } catch (err) {
      this.#fail(id, err);
    }
  }

  /** @type {Record<string, (p: Record<string, unknown>) => Promise<unknown> | unknown>} */
  #methods = {
    hello: () => this.hello(),
    devices: () => ({ devices: this.devices() }),
    list: (p) => {
      const t = this.#transport(p);
      if (typeof t.list !== "function") {
        throw new SidecarError(ErrorCodes.unsupported, `${t.name} has no list; use scan.start`);
      }
      // serial: explicit `ports` are listed when they exist (default: the scan's ports).
      return t.list(p.ports === undefined ? undefined : strings(p, "ports"));
    },
    "scan.start": async (p) => {
      const t = this.#transport(p);
      await t.startScan(scanParams(t.name, p));
      return { scanning: true };
    },
    "scan.stop": async (p) => {
      await this.#transport(p).stopScan();
      return { scanning: false };
    },
    // btle: the reconnect watch (addresses of known devices that dropped unexpectedly).
    watch: async (p) => {
      const t = this.#transport(p);
      if (typeof t.watch !== "function") {
        throw new SidecarError(ErrorCodes.unsupported, `${t.name} has no reconnect watch`);
      }
      const addresses = [...new Set(strings(p, "addresses"))];
      if (addresses.length > MAX_WATCHED || addresses.some((a) => a === "")) {
        throw bad(`addresses must be at most ${MAX_WATCHED} non-empty strings`);
      }
      await t.watch(addresses);
      return { watching: addresses.length };
    },
    connect: (p) => this.#connect(p),
    disconnect: (p) => this.#disconnect(p),
    write: (p) => {
      const entry = this.#entry(p);
      const endpoint = str(p, "endpoint");
      const data = toBytes(p.data);
      const withResponse = optBool(p, "withResponse", false);
      const timeoutMs = timeout(p, TIMEOUTS.write);
      // Writes to one device run in arrival order.
      const run = entry.writes.catch(() => {}).then(() =>
        this.#op(
          entry,
          () => entry.device.write(endpoint, data, withResponse, timeoutMs),
          timeoutMs,
          "write",
        )
      );
      entry.writes = run.catch(() => {});
      return run.then(() => ({}));
    },
    read: async (p) => {
      const entry = this.#entry(p);
      const endpoint = str(p, "endpoint");
      const length = optInt(p, "length", 0, 0, 65536);
      // 0 = return what is buffered without waiting.
      const timeoutMs = optInt(p, "timeoutMs", TIMEOUTS.read, 0, TIMEOUTS.max);
      const data = await this.#op(
        entry,
        () => entry.device.read(endpoint, length, timeoutMs),
        timeoutMs + 1000,
        "read",
      );
      return { data: fromBytes(data) };
    },
    subscribe: async (p) => {
      const entry = this.#entry(p);
      const endpoint = str(p, "endpoint");
      const timeoutMs = timeout(p, TIMEOUTS.subscribe);
      await this.#op(
        entry,
        () => entry.device.subscribe(endpoint),
        timeoutMs,
        "subscribe",
      );
      return {};
    },
    unsubscribe: async (p) => {
      const entry = this.#entry(p);
      const endpoint = str(p, "endpoint");
      const timeoutMs = timeout(p, TIMEOUTS.subscribe);
      await this.#op(
        entry,
        () => entry.device.unsubscribe(endpoint),
        timeoutMs,
        "unsubscribe",
      );
      return {};
    },
    control: (p) => {
      const entry = this.#entry(p);
      if (typeof entry.device.control !== "function") {
        throw new SidecarError(
          ErrorCodes.unsupported,
          `${entry.transport.name} devices take no control transfers`,
        );
      }
      const { setup, data, length } = controlParams(p);
      const timeoutMs = timeout(p, TIMEOUTS.write);
      const run = () =>
        this.#op(
          entry,
          () =>
            entry.device.control(
              setup,
              setup.direction === "in" ? length : data,
              timeoutMs,
            ),
          timeoutMs,
          "control",
        );
      if (setup.direction === "in") {
        return run().then((bytes) => ({ data: fromBytes(bytes) }));
      }
      // OUT transfers share the write queue: they run in arrival order with writes.
      const queued = entry.writes.catch(() => {}).then(run);
      entry.writes = queued.catch(() => {});
      return queued.then(() => ({}));
    },
  };

  /** @param {Record<string, unknown>} p */
  #transport(p) {
    const name = str(p, "transport");
    const t = this.#transports.get(name);
    if (t) return t;
    if (this.#disabled[name]) {
      throw new SidecarError(
        ErrorCodes.unavailable,
        `${name} unavailable: ${this.#disabled[name]}`,
      );
    }
    throw bad(
      `unknown transport ${JSON.stringify(name)} (btle, serial, hid, usb)`,
    );
  }

  /** @param {Record<string, unknown>} p @returns {DeviceEntry} */
  #entry(p) {
    const handle = str(p, "handle");
    const entry = this.#devices.get(handle);
    if (!entry) {
      throw new SidecarError(
        ErrorCodes.notFound,
        `no connected device with handle ${handle}`,
      );
    }
    return entry;
  }

  /**
   * Runs a device operation against its deadline and the device going away.
   * @template T
   * @param {DeviceEntry} entry
   * @param {() => Promise<T>} fn
   * @param {number} timeoutMs
   * @param {string} what
   * @returns {Promise<T>}
   */
  #op(entry, fn, timeoutMs, what) {
    if (!this.#devices.has(entry.handle)) {
      return Promise.reject(
        new SidecarError(
          ErrorCodes.disconnected,
          `${entry.handle} is disconnected`,
        ),
      );
    }
    return withTimeout(
      Promise.race([Promise.resolve().then(fn), entry.gone]),
      timeoutMs,
      `${what} on ${entry.handle}`,
    );
  }

  /** @param {Record<string, unknown>} p */
  async #connect(p) {
    const t = this.#transport(p);
    const params = connectParams(t.name, p);
    const attempt = withTimeout(
      t.connect(params),
      params.timeoutMs + 1000,
      `connect to ${params.address}`,
    );
    this.#connecting.add(attempt);
    let device;
    try {
      device = await attempt;
    } finally {
      this.#connecting.delete(attempt);
    }
    if (this.#closing) {
      await device.close().catch(() => {});
      throw new SidecarError(
        ErrorCodes.shuttingDown,
        "the sidecar is shutting down",
      );
    }
    const handle = `${t.name}-${this.#nextHandle++}`;
    /** @type {(reason: string) => void} */
    let markGone = () => {};
    /** @type {Promise<never>} */
    const gone = new Promise((_, reject) => {
      markGone = (reason) =>
        reject(
          new SidecarError(
            ErrorCodes.disconnected,
            `${handle} disconnected: ${reason}`,
          ),
        );
    });
    gone.catch(() => {});
    /** @type {DeviceEntry} */
    const entry = {
      handle,
      transport: t,
      device,
      writes: Promise.resolve(),
      gone,
      markGone,
    };
    this.#devices.set(handle, entry);
    device.on("notification", (endpoint, data) => {
      if (this.#devices.get(handle) === entry) {
        this.#event("notification", {
          handle,
          endpoint,
          data: fromBytes(data),
        });
      }
    });
    device.on("log", (level, message) => this.log(level, message));
    device.on("disconnect", (reason) => {
      if (this.#devices.get(handle) !== entry) return; // closed on request
      this.#devices.delete(handle);
      markGone(String(reason));
      this.#event("disconnected", {
        handle,
        transport: t.name,
        address: device.address,
        reason: String(reason),
      });
    });
    return {
      handle,
      transport: t.name,
      name: device.name,
      address: device.address,
      endpoints: device.endpoints,
      missing: device.missing ?? [],
      messageGapMs: device.messageGapMs ?? 0,
    };
  }

  /** @param {Record<string, unknown>} p */
  async #disconnect(p) {
    const entry = this.#entry(p);
    const timeoutMs = timeout(p, TIMEOUTS.disconnect);
    this.#devices.delete(entry.handle);
    entry.markGone("disconnect requested");
    await withTimeout(
      entry.device.close(),
      timeoutMs,
      `disconnect ${entry.handle}`,
    );
    return {};
  }

  /**
   * Stops every scan and closes every device (each bounded in time). Idempotent.
   * @returns {Promise<void>}
   */
  shutdown() {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  async #doShutdown() {
    this.#closing = true;
    await this.#started;
    for (const t of this.#transports.values()) {
      try {
        await t.stopScan();
      } catch {
        // keep closing
      }
    }
    await withTimeout(
      Promise.allSettled([...this.#connecting]),
      3000,
      "pending connects",
    ).catch(() => {});
    const entries = [...this.#devices.values()];
    this.#devices.clear();
    await Promise.all(entries.map(async (entry) => {
      entry.markGone("sidecar shutting down");
      const what = `${entry.transport.name} ${entry.device.address}`;
      try {
        await withTimeout(entry.device.close(), 2000, `closing ${what}`);
        this.log("info", `closed ${what}`);
      } catch (err) {
        this.log("warn", `closing ${what} failed: ${err?.message ?? err}`);
      }
    }));
    for (const t of this.#transports.values()) {
      try {
        await t.close?.();
      } catch {
        // best effort
      }
    }
  }
}

/** @param {string} message */
function bad(message) {
  return new SidecarError(ErrorCodes.badRequest, message);
}

/** @param {string} text */
function clip(text) {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** @param {Record<string, unknown>} p @param {string} key @returns {string} */
function str(p, key) {
  const v = p[key];
  if (typeof v !== "string" || v === "") {
    throw bad(`${key} must be a non-empty string`);
  }
  return v;
}

/** @param {Record<string, unknown>} p @param {string} key @param {boolean} dflt */
function optBool(p, key, dflt) {
  const v = p[key];
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw bad(`${key} must be a boolean`);
  return v;
}

/**
 * @param {Record<string, unknown>} p @param {string} key
 * @param {number | undefined} dflt @param {number} min @param {number} max
 * @returns {number}
 */
function optInt(p, key, dflt, min, max) {
  const v = p[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (
    !Number.isInteger(v) || /** @type {number} */
    (v) < min || /** @type {number} */ (v) > max
  ) {
    throw bad(`${key} must be an integer ${min}..${max}`);
  }
  return /** @type {number} */ (v);
}

/** @param {Record<string, unknown>} p @param {number} dflt */
function timeout(p, dflt) {
  return optInt(p, "timeoutMs", dflt, 1, TIMEOUTS.max);
}

/** @param {Record<string, unknown>} p @param {string} key @returns {string[]} */
function strings(p, key) {
  const v = p[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
    throw bad(`${key} must be an array of strings`);
  }
  return v;
}

/** @param {Record<string, unknown>} p @param {string} key @returns {{ vendorId: number, productId: number }[]} */
function pairs(p, key) {
  const v = p[key];
  if (v === undefined) return [];
  const ok = Array.isArray(v) &&
    v.every((x) =>
      typeof x === "object" && x !== null &&
      Number.isInteger(x.vendorId) && x.vendorId >= 0 && x.vendorId <= 0xffff &&
      Number.isInteger(x.productId) && x.productId >= 0 && x.productId <= 0xffff
    );
  if (!ok) {
    throw bad(
      `${key} must be an array of {vendorId, productId} (integers 0..65535)`,
    );
  }
  return v.map((x) => ({ vendorId: x.vendorId, productId: x.productId }));
}

/**
 * Validates `scan.start` params for one transport.
 * @param {string} transport
 * @param {Record<string, unknown>} p
 * @returns {object}
 */
function scanParams(transport, p) {
  if (transport === "btle") {
    const companies = p.companies ?? [];
    if (
      !Array.isArray(companies) ||
      !companies.every((c) => Number.isInteger(c) && c >= 0 && c <= 0xffff)
    ) {
      throw bad("companies must be an array of integers 0..65535");
    }
    return {
      names: strings(p, "names"),
      services: strings(p, "services"),
      companies,
    };
  }
  if (transport === "serial") {
    return {
      ports: strings(p, "ports"),
      intervalMs: optInt(p, "intervalMs", 5000, 10, 3600000),
    };
  }
  return {
    pairs: pairs(p, "pairs"),
    intervalMs: optInt(p, "intervalMs", 1000, 10, 3600000),
  };
}

/**
 * Validates `connect` params for one transport.
 * @param {string} transport
 * @param {Record<string, unknown>} p
 * @returns {any}
 */
function connectParams(transport, p) {
  const base = {
    address: str(p, "address"),
    timeoutMs: timeout(p, TIMEOUTS.connect),
  };
  if (transport === "btle") {
    const services = p.services ?? {};
    const ok = typeof services === "object" && services !== null &&
      !Array.isArray(services) &&
      Object.values(services).every((eps) =>
        typeof eps === "object" && eps !== null && !Array.isArray(eps) &&
        Object.values(eps).every((c) => typeof c === "string")
      );
    if (!ok) {
      throw bad(
        "services must map service UUIDs to {endpoint: characteristic UUID}",
      );
    }
    return { ...base, services };
  }
  if (transport === "serial") {
    const parity = p.parity ?? "N";
    if (typeof parity !== "string") throw bad("parity must be a string");
    const stopBits = p.stopBits ?? 1;
    if (typeof stopBits !== "number") throw bad("stopBits must be a number");
    return {
      ...base,
      baudRate: optInt(p, "baudRate", 115200, 1, 100000000),
      dataBits: optInt(p, "dataBits", 8, 5, 8),
      parity,
      stopBits,
    };
  }
  /** @type {Record<string, unknown>} */
  const hid = { ...base };
  if (p.path !== undefined) hid.path = str(p, "path");
  if (p.vendorId !== undefined) {
    hid.vendorId = optInt(p, "vendorId", undefined, 0, 0xffff);
  }
  if (p.productId !== undefined) {
    hid.productId = optInt(p, "productId", undefined, 0, 0xffff);
  }
  if (transport === "usb" && p.closeControl !== undefined) {
    // usb: an OUT control transfer sent before the device is closed (the toy's stop command).
    const c = p.closeControl;
    if (typeof c !== "object" || c === null || Array.isArray(c)) {
      throw bad("closeControl must be an object of control params");
    }
    try {
      const { setup, data } = controlParams({ ...c, direction: "out" });
      hid.closeControl = { setup, data };
    } catch (err) {
      throw bad(`closeControl: ${err.message}`);
    }
  }
  return hid;
}

/**
 * Validates `control` params (raw USB control transfers).
 * @param {Record<string, unknown>} p
 * @returns {{ setup: { direction: "in" | "out", requestType: string, recipient: string, request: number, value: number, index: number }, data: Uint8Array, length: number }}
 */
function controlParams(p) {
  const direction = p.direction ?? "out";
  if (direction !== "in" && direction !== "out") {
    throw bad('direction must be "in" or "out"');
  }
  const requestType = p.requestType;
  if (
    !["standard", "class", "vendor"].includes(
      /** @type {string} */ (requestType),
    )
  ) {
    throw bad('requestType must be "standard", "class" or "vendor"');
  }
  const recipient = p.recipient;
  if (
    !["device", "interface", "endpoint", "other"].includes(
      /** @type {string} */ (recipient),
    )
  ) {
    throw bad('recipient must be "device", "interface", "endpoint" or "other"');
  }
  const setup = {
    direction,
    requestType: /** @type {string} */ (requestType),
    recipient: /** @type {string} */ (recipient),
    request: optInt(p, "request", undefined, 0, 0xff),
    value: optInt(p, "value", 0, 0, 0xffff),
    index: optInt(p, "index", 0, 0, 0xffff),
  };
  if (direction === "in") {
    if (p.data !== undefined) {
      throw bad("an IN transfer takes length, not data");
    }
    return {
      setup,
      data: new Uint8Array(0),
      length: optInt(p, "length", undefined, 0, 4096),
    };
  }
  if (p.length !== undefined) {
    throw bad("an OUT transfer takes data, not length");
  }
  const data = p.data === undefined ? new Uint8Array(0) : toBytes(p.data);
  if (data.length > 4096) throw bad("data is longer than 4096 bytes");
  return { setup, data, length: 0 };
}
