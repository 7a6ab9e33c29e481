// deno-lint-ignore-file explicit-module-boundary-types -- plain JavaScript for Node; types are in JSDoc
/**
 * Serial transport over `serialport` (DEVICES.md §4.3).
 *
 * Port listing needs udev on Linux (`udevadm`); when listing fails the transport stays available
 * and explicitly named ports (from user config specifiers, e.g. a pty) are still reported and
 * opened. Tests inject a fake with `createSerial({ SerialPort })`.
 *
 * Events: `found`, `scanFinished`, `status`, `log` (as in ble.mjs). Devices emit `notification`
 * (endpoint, Buffer) and `disconnect` (reason).
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { access, constants } from "node:fs/promises";
import { read as fsRead } from "node:fs";
import { promisify } from "node:util";
import { Buffer } from "node:buffer";
import { DeviceTable } from "./device_table.mjs";
import { ScanLoop } from "./scan_loop.mjs";
import {
  describeLoadError,
  ErrorCodes,
  requireAvailable,
  settle,
  SidecarError,
  toSidecarError,
  withTimeout,
} from "./util.mjs";

/** Default pause between port listings while scanning (ms). */
export const SERIAL_SCAN_INTERVAL_MS = 5000;
/** Most bytes kept for `read` while nothing is subscribed. */
export const SERIAL_READ_BUFFER_BYTES = 65536;

const PARITY = {
  n: "none",
  none: "none",
  e: "even",
  even: "even",
  o: "odd",
  odd: "odd",
  m: "mark",
  mark: "mark",
  s: "space",
  space: "space",
};

/**
 * Maps config/wire port settings to serialport options, validating them.
 * @param {{ baudRate?: number, dataBits?: number, parity?: string, stopBits?: number }} s
 * @returns {{ baudRate: number, dataBits: 5|6|7|8, parity: string, stopBits: 1|1.5|2 }}
 */
export function portSettings(s) {
  const baudRate = s.baudRate ?? 115200;
  const dataBits = s.dataBits ?? 8;
  const stopBits = s.stopBits ?? 1;
  const parity = PARITY[String(s.parity ?? "N").toLowerCase()];
  if (!Number.isInteger(baudRate) || baudRate <= 0) {
    throw new SidecarError(
      ErrorCodes.badRequest,
      `bad baudRate ${JSON.stringify(s.baudRate)}`,
    );
  }
  if (![5, 6, 7, 8].includes(dataBits)) {
    throw new SidecarError(
      ErrorCodes.badRequest,
      `bad dataBits ${JSON.stringify(s.dataBits)} (5..8)`,
    );
  }
  if (![1, 1.5, 2].includes(stopBits)) {
    throw new SidecarError(
      ErrorCodes.badRequest,
      `bad stopBits ${JSON.stringify(s.stopBits)} (1, 1.5, 2)`,
    );
  }
  if (!parity) {
    throw new SidecarError(
      ErrorCodes.badRequest,
      `bad parity ${JSON.stringify(s.parity)} (N, E, O, M, S)`,
    );
  }
  return {
    baudRate,
    dataBits: /** @type {5|6|7|8} */ (dataBits),
    parity,
    stopBits: /** @type {1|1.5|2} */ (stopBits),
  };
}

const readAsync = promisify(fsRead);

/**
 * Reads like `@serialport/bindings-cpp`'s unix read, except that a read returning 0 bytes (end of
 * file: the tty was hung up, e.g. a USB adapter unplugged or the far end of a pty closed) is
 * reported as a disconnect. bindings-cpp 13 retries such reads in a tight loop, burning a CPU and
 * never reporting the device gone.
 * @param {{ fd: number | null, isOpen: boolean, poller: { once(event: string, cb: (err?: Error) => void): unknown } }} port
 * @param {Buffer} buffer
 * @param {number} offset
 * @param {number} length
 * @param {(fd: number, buffer: Buffer, offset: number, length: number, position: null) => Promise<{ bytesRead: number }>} [read]
 * @returns {Promise<{ bytesRead: number, buffer: Buffer }>}
 */
export async function eofAwareRead(
  port,
  buffer,
  offset,
  length,
  read = readAsync,
) {
  while (true) {
    if (!port.isOpen || port.fd === null) {
      throw Object.assign(new Error("Port is not open"), { canceled: true });
    }
    try {
      const { bytesRead } = await read(port.fd, buffer, offset, length, null);
      if (bytesRead === 0) {
        throw Object.assign(new Error("the port hung up (end of file)"), {
          code: "EOF",
          disconnect: true,
        });
      }
      return { bytesRead, buffer };
    } catch (err) {
      const code = /** @type {{ code?: string }} */ (err).code;
      if (code !== "EAGAIN" && code !== "EWOULDBLOCK" && code !== "EINTR") {
        throw err;
      }
      if (!port.isOpen) {
        throw Object.assign(new Error("Port is not open"), { canceled: true });
      }
      await new Promise((resolve, reject) => {
        port.poller.once("readable", (e) => e ? reject(e) : resolve(undefined));
      });
    }
  }
}

/**
 * Wraps a serialport binding (`{ list, open }`) so its unix ports read with
 * {@link eofAwareRead}; other ports (Windows) are returned unchanged.
 * @param {any} binding
 * @returns {any}
 */
export function eofAwareBinding(binding) {
  return {
    list: (...args) => binding.list(...args),
    async open(options) {
      const inner = await binding.open(options);
      if (typeof inner?.fd !== "number" || !inner.poller) return inner;
      return new Proxy(inner, {
        get(target, prop) {
          if (prop === "read") {
            return (buffer, offset, length) => eofAwareRead(target, buffer, offset, length);
          }
          const value = Reflect.get(target, prop, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
  };
}

/** serialport's SerialPort with the EOF-aware binding. @returns {Promise<any>} */
async function loadRealSerialPort() {
  const { SerialPort } = await import("serialport");
  const binding = eofAwareBinding(SerialPort.binding);
  return class EofAwareSerialPort extends SerialPort {
    static list = () => SerialPort.list();
    constructor(options, callback) {
      super({ ...options, binding }, callback);
    }
  };
}

/** @param {string} path @returns {Promise<boolean>} */
async function portExists(path) {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates the serial transport.
 *
 * @example
 * ```js
 * import { createSerial } from "./serial.mjs";
 * const serial = createSerial();
 * await serial.init();
 * const dev = await serial.connect({ address: "/dev/ttyUSB0", baudRate: 115200, timeoutMs: 2000 });
 * await dev.write("tx", Buffer.from("L0500\n"), false);
 * ```
 * @param {{ SerialPort?: any, loadSerialPort?: () => Promise<any>, exists?: (path: string) => Promise<boolean> }} [options]
 * @returns {SerialTransport}
 */
export function createSerial(options = {}) {
  return new SerialTransport(options);
}

/** The serial transport (see {@link createSerial}). */
export class SerialTransport extends EventEmitter {
  /** Transport name on the wire. */
  name = "serial";
  /** @type {{ available: boolean, reason?: string }} */
  status = { available: false, reason: "not initialised" };
  /** Why port listing does not work (undefined when it does). */
  listingProblem = undefined;

  #injected;
  #load;
  #exists;
  /** @type {any} */
  #SerialPort = null;
  /** @type {string[]} */
  #ports = [];
  /** @type {DeviceTable<SerialDevice>} open (or opening) paths */
  #open = new DeviceTable("serial port");
  #loop = new ScanLoop({
    list: async () => (await this.list()).ports,
    address: (p) => p.path,
    isOpen: (path) => this.#open.has(path),
    report: (p) =>
      this.emit("found", {
        transport: "serial",
        address: p.path,
        name: `Serial Port Device ${p.path}`,
        ...p,
      }),
    failed: (err) => this.emit("log", "warn", `serial listing failed: ${err?.message ?? err}`),
  });

  /** @param {{ SerialPort?: any, loadSerialPort?: () => Promise<any>, exists?: (path: string) => Promise<boolean> }} options */
  constructor(options) {
    super();
    this.#injected = options.SerialPort;
    this.#load = options.loadSerialPort ?? loadRealSerialPort;
    this.#exists = options.exists ?? portExists;
  }

  /** Loads serialport and probes port listing. @returns {Promise<{ available: boolean, reason?: string }>} */
  async init() {
    try {
      this.#SerialPort = this.#injected ?? await this.#load();
    } catch (err) {
      this.status = {
        available: false,
        reason: describeLoadError("serialport", err),
      };
      return this.status;
    }
    try {
      await this.#SerialPort.list();
      this.listingProblem = undefined;
      this.status = { available: true };
    } catch (err) {
      const msg = err?.message ?? String(err);
      this.listingProblem = /udevadm/.test(msg)
        ? `port listing unavailable: udevadm not found (${msg}); explicitly named ports still work`
        : `port listing failed (${msg}); explicitly named ports still work`;
      this.status = { available: true, reason: this.listingProblem };
    }
    return this.status;
  }

  /** Whether a scan loop is running. */
  get scanning() {
    return this.#loop.running;
  }

  /**
   * Lists ports the OS reports plus the explicit ones that exist.
   * @param {string[]} [explicit]
   * @returns {Promise<{ ports: { path: string, manufacturer?: string, serialNumber?: string, vendorId?: number, productId?: number }[], limited?: string }>}
   */
  async list(explicit = this.#ports) {
    requireAvailable(this);
    /** @type {Map<string, any>} */
    const ports = new Map();
    let limited;
    try {
      for (const p of await this.#SerialPort.list()) {
        /** @type {Record<string, unknown>} */
        const entry = { path: p.path };
        if (p.manufacturer) entry.manufacturer = p.manufacturer;
        if (p.serialNumber) entry.serialNumber = p.serialNumber;
        const vid = parseInt(p.vendorId ?? "", 16);
        const pid = parseInt(p.productId ?? "", 16);
        if (Number.isInteger(vid)) entry.vendorId = vid;
        if (Number.isInteger(pid)) entry.productId = pid;
        ports.set(p.path, entry);
      }
    } catch (err) {
      limited = `port listing failed: ${err?.message ?? err}`;
    }
    for (const path of explicit) {
      if (!ports.has(path) && await this.#exists(path)) {
        ports.set(path, { path });
      }
    }
    const result = { ports: [...ports.values()] };
    if (limited) result.limited = limited;
    return result;
  }

  /**
   * Starts the listing loop (first listing right away). `ports` are explicit paths to report
   * whenever they exist, even if listing cannot see them.
   * @param {{ ports?: string[], intervalMs?: number }} [params]
   * @returns {Promise<void>}
   */
  async startScan(params = {}) {
    requireAvailable(this);
    this.#ports = [...(params.ports ?? [])];
    await this.#loop.start(params.intervalMs ?? SERIAL_SCAN_INTERVAL_MS);
  }

  /** One listing round: emits `found` for every present port that is not open. */
  pollOnce() {
    return this.#loop.pollOnce();
  }

  /** Stops the listing loop. @returns {Promise<void>} */
  stopScan() {
    this.#loop.stop();
    return Promise.resolve();
  }

  /**
   * Opens a port with the given settings (8N1 115200 by default).
   * @param {{ address: string, baudRate?: number, dataBits?: number, parity?: string, stopBits?: number, timeoutMs: number }} params
   * @returns {Promise<SerialDevice>}
   */
  async connect(params) {
    requireAvailable(this);
    const path = params.address;
    const settings = portSettings(params);
    return await this.#open.open(path, async () => {
      const port = new this.#SerialPort({ path, ...settings, autoOpen: false });
      try {
        await withTimeout(
          new Promise((resolve, reject) =>
            port.open((err) => err ? reject(err) : resolve(undefined))
          ),
          params.timeoutMs,
          `opening ${path}`,
        );
      } catch (err) {
        if (port.isOpen) port.close(() => {});
        const e = toSidecarError(err);
        if (/ENOENT|No such file/.test(e.message)) e.code = ErrorCodes.notFound;
        throw e;
      }
      return new SerialDevice(port, path);
    });
  }

  /** Stops the loop; devices are closed by the router. @returns {Promise<void>} */
  async close() {
    await this.stopScan();
  }
}

/** An open serial port with endpoints `rx` and `tx`. */
export class SerialDevice extends EventEmitter {
  /** @type {string} */ name;
  /** @type {string} */ address;
  /** Endpoints (writes go to the port whichever is named). */
  endpoints = ["rx", "tx"];
  /** @type {string[]} */ missing = [];
  /** Batching window (ms). */
  messageGapMs = 0;
  #port;
  /** @type {Buffer[]} */
  #buffer = [];
  #buffered = 0;
  /** @type {Set<string>} */
  #subs = new Set();
  /** @type {Set<() => void>} */
  #waiters = new Set();
  #closing = false;
  #closed = false;

  /** @param {any} port an open SerialPort @param {string} path */
  constructor(port, path) {
    super();
    this.#port = port;
    this.name = path;
    this.address = path;
    port.on("data", (chunk) => this.#onData(chunk));
    port.on(
      "error",
      (err) => this.emit("log", "warn", `serial ${path}: ${err?.message ?? err}`),
    );
    port.on("close", (err) => {
      this.#closed = true;
      this.emit("closed");
      for (const wake of this.#waiters) wake();
      if (!this.#closing) {
        this.emit("disconnect", err?.message ?? "port closed");
      }
    });
  }

  /** @param {Buffer} chunk */
  #onData(chunk) {
    if (this.#subs.size > 0) {
      for (const endpoint of this.#subs) {
        this.emit("notification", endpoint, chunk);
      }
      return;
    }
    this.#buffer.push(chunk);
    this.#buffered += chunk.length;
    while (
      this.#buffered > SERIAL_READ_BUFFER_BYTES && this.#buffer.length > 1
    ) {
      this.#buffered -= this.#buffer.shift().length;
    }
    for (const wake of this.#waiters) wake();
  }

  /** @param {string} endpoint */
  #check(endpoint) {
    if (this.#closed) {
      throw new SidecarError(
        ErrorCodes.disconnected,
        `${this.address} is closed`,
      );
    }
    if (!this.endpoints.includes(endpoint)) {
      throw new SidecarError(
        ErrorCodes.noEndpoint,
        `serial ports have endpoints rx and tx, not ${endpoint}`,
      );
    }
  }

  /**
   * Writes bytes in order and waits until they are handed to the OS.
   * @param {string} endpoint
   * @param {Buffer} data
   * @returns {Promise<void>}
   */
  async write(endpoint, data) {
    this.#check(endpoint);
    await new Promise((resolve, reject) => {
      this.#port.write(data, (err) => err ? reject(err) : undefined);
      this.#port.drain((err) => err ? reject(err) : resolve(undefined));
    });
  }

  /**
   * Returns buffered bytes (up to `length`, 0 = all); when none are buffered waits up to
   * `timeoutMs` for some, then returns what arrived (possibly nothing).
   * @param {string} endpoint
   * @param {number} length
   * @param {number} timeoutMs
   * @returns {Promise<Buffer>}
   */
  async read(endpoint, length, timeoutMs) {
    this.#check(endpoint);
    if (this.#buffered === 0 && timeoutMs > 0) {
      await new Promise((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          resolve(undefined);
        }
        const wake = () => {
          this.#waiters.delete(wake);
          done();
        };
        this.#waiters.add(wake);
      });
    }
    const all = Buffer.concat(this.#buffer);
    const take = length > 0 ? Math.min(length, all.length) : all.length;
    const rest = all.subarray(take);
    this.#buffer = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return all.subarray(0, take);
  }

  /**
   * Forwards received bytes as notifications labelled with this endpoint (upstream labels them
   * `tx` whatever was subscribed; we use the subscribed name). Bytes received earlier stay
   * available to `read`.
   * @param {string} endpoint
   */
  subscribe(endpoint) {
    return settle(() => {
      this.#check(endpoint);
      this.#subs.add(endpoint);
    });
  }

  /** Ends forwarding for this endpoint (no-op when not subscribed). @param {string} endpoint */
  unsubscribe(endpoint) {
    return settle(() => {
      this.#check(endpoint);
      this.#subs.delete(endpoint);
    });
  }

  /** Closes the port. @returns {Promise<void>} */
  async close() {
    this.#closing = true;
    if (this.#closed || !this.#port.isOpen) return;
    await new Promise((resolve, reject) =>
      this.#port.close((err) => err ? reject(err) : resolve(undefined))
    );
  }
}
