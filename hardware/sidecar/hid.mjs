// deno-lint-ignore-file explicit-module-boundary-types -- plain JavaScript for Node; types are in JSDoc
/**
 * USB HID transport over `node-hid` (DEVICES.md §4.4).
 *
 * node-hid loads its native binding on first use, and that binding links libusb-1.0 and libudev
 * even in hidraw mode, so `init()` probes with one enumeration: a missing library becomes the
 * "unavailable" reason. Tests inject a fake with `createHid({ hid })` (an object with
 * `devicesAsync()` and `HIDAsync.open()`).
 *
 * Events: `found`, `scanFinished`, `status`, `log`. Devices emit `notification` and `disconnect`.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { DeviceTable } from "./device_table.mjs";
import { hasPair, ScanLoop } from "./scan_loop.mjs";
import {
  describeLoadError,
  ErrorCodes,
  requireAvailable,
  settle,
  SidecarError,
  withTimeout,
} from "./util.mjs";

/** Default pause between enumerations while scanning (ms). */
export const HID_SCAN_INTERVAL_MS = 1000;

/**
 * Creates the HID transport.
 *
 * @example
 * ```js
 * import { createHid } from "./hid.mjs";
 * const hid = createHid();
 * const status = await hid.init(); // { available: false, reason: "...libusb is missing..." } without libusb
 * ```
 * @param {{ hid?: any, loadHid?: () => Promise<any> }} [options]
 * @returns {HidTransport}
 */
export function createHid(options = {}) {
  return new HidTransport(options);
}

/** The HID transport (see {@link createHid}). */
export class HidTransport extends EventEmitter {
  /** Transport name on the wire. */
  name = "hid";
  /** @type {{ available: boolean, reason?: string }} */
  status = { available: false, reason: "not initialised" };

  #injected;
  #load;
  /** @type {any} */
  #hid = null;
  /** @type {{ vendorId: number, productId: number }[]} */
  #pairs = [];
  /** @type {DeviceTable<HidDevice>} open (or opening) addresses */
  #open = new DeviceTable("HID device");
  #loop = new ScanLoop({
    list: async () => (await this.list()).devices,
    address: (d) => d.address,
    isOpen: (address) => this.#open.has(address),
    report: (d) => {
      if (this.#pairs.length > 0 && !hasPair(this.#pairs, d)) return;
      this.emit("found", { transport: "hid", ...d });
    },
    failed: (err) => this.emit("log", "warn", `hid enumeration failed: ${err?.message ?? err}`),
  });

  /** @param {{ hid?: any, loadHid?: () => Promise<any> }} options */
  constructor(options) {
    super();
    this.#injected = options.hid;
    this.#load = options.loadHid ?? (() => import("node-hid"));
  }

  /** Loads node-hid and enumerates once. @returns {Promise<{ available: boolean, reason?: string }>} */
  async init() {
    try {
      const hid = this.#injected ?? await this.#load();
      await hid.devicesAsync();
      this.#hid = hid;
      this.status = { available: true };
    } catch (err) {
      this.status = {
        available: false,
        reason: describeLoadError("node-hid", err),
      };
    }
    return this.status;
  }

  /** Whether the enumeration loop is running. */
  get scanning() {
    return this.#loop.running;
  }

  /**
   * Enumerates HID devices with a serial number, de-duplicated by serial number. A device with
   * no serial number is only listed when the current scan asks for its vendor/product pair
   * (e.g. the Lovense USB dongle): its address is then its device path.
   * @returns {Promise<{ devices: { address: string, name: string, vendorId: number, productId: number, path?: string }[] }>}
   */
  async list() {
    requireAvailable(this);
    const seen = new Map();
    for (const d of await this.#hid.devicesAsync()) {
      const address = d.serialNumber ||
        (d.path && hasPair(this.#pairs, d) ? `path:${d.path}` : undefined);
      if (!address || seen.has(address)) continue;
      /** @type {Record<string, unknown>} */
      const entry = {
        address,
        name: d.product ?? "",
        vendorId: d.vendorId,
        productId: d.productId,
      };
      if (d.path) entry.path = d.path;
      seen.set(address, entry);
    }
    return { devices: [...seen.values()] };
  }

  /**
   * Starts the enumeration loop (first round right away). `pairs` limits reports to these
   * vendor/product ids (none = every device with a serial number).
   * @param {{ pairs?: { vendorId: number, productId: number }[], intervalMs?: number }} [params]
   * @returns {Promise<void>}
   */
  async startScan(params = {}) {
    requireAvailable(this);
    this.#pairs = [...(params.pairs ?? [])];
    await this.#loop.start(params.intervalMs ?? HID_SCAN_INTERVAL_MS);
  }

  /** One enumeration round: emits `found` for every matching device that is not open. */
  pollOnce() {
    return this.#loop.pollOnce();
  }

  /** Stops the loop. @returns {Promise<void>} */
  stopScan() {
    this.#loop.stop();
    return Promise.resolve();
  }

  /**
   * Opens a device by path, by serial number (enumerating), or by vendor/product id.
   * @param {{ address: string, path?: string, vendorId?: number, productId?: number, timeoutMs: number }} params
   * @returns {Promise<HidDevice>}
   */
  async connect(params) {
    requireAvailable(this);
    const { address } = params;
    return await this.#open.open(address, async () => {
      let path = params.path;
      let name = "";
      if (!path) {
        const match = (await this.list()).devices.find((d) => d.address === address);
        if (match) {
          path = match.path;
          name = match.name;
        }
      }
      const open = path
        ? this.#hid.HIDAsync.open(path)
        : params.vendorId !== undefined && params.productId !== undefined
        ? this.#hid.HIDAsync.open(params.vendorId, params.productId)
        : Promise.reject(
          new SidecarError(
            ErrorCodes.notFound,
            `HID device ${address} not found`,
          ),
        );
      const dev = await withTimeout(
        open,
        params.timeoutMs,
        `opening HID device ${address}`,
      );
      if (!name) {
        try {
          name = (await dev.getDeviceInfo?.())?.product ?? "";
        } catch {
          // name stays empty
        }
      }
      return new HidDevice(dev, address, name);
    });
  }

  /** Stops the loop; devices are closed by the router. @returns {Promise<void>} */
  async close() {
    await this.stopScan();
  }
}

/** An open HID device with endpoints `rx` and `tx`. */
export class HidDevice extends EventEmitter {
  /** @type {string} */ name;
  /** @type {string} */ address;
  /** Endpoints. */
  endpoints = ["rx", "tx"];
  /** @type {string[]} */ missing = [];
  /** Batching window (ms). */
  messageGapMs = 0;
  #dev;
  /** @type {Set<string>} */
  #subs = new Set();
  #onData = (data) => {
    for (const endpoint of this.#subs) {
      this.emit("notification", endpoint, data);
    }
  };
  #closed = false;

  /** @param {any} dev node-hid HIDAsync @param {string} address @param {string} name */
  constructor(dev, address, name) {
    super();
    this.#dev = dev;
    this.address = address;
    this.name = name;
    dev.on("error", (err) => {
      if (this.#closed) return;
      this.#closed = true;
      this.emit("closed");
      this.emit("disconnect", err?.message ?? "HID device error");
    });
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
        `HID devices have endpoints rx and tx, not ${endpoint}`,
      );
    }
  }

  /**
   * Sends the bytes as an output report (first byte = report id).
   * @param {string} endpoint
   * @param {Buffer} data
   * @returns {Promise<void>}
   */
  async write(endpoint, data) {
    this.#check(endpoint);
    await this.#dev.write(Array.from(data));
  }

  /**
   * Reads one input report (waiting up to `timeoutMs`); empty when none arrived.
   * @param {string} endpoint
   * @param {number} length
   * @param {number} timeoutMs
   * @returns {Promise<Uint8Array>}
   */
  async read(endpoint, length, timeoutMs) {
    this.#check(endpoint);
    const data = (await this.#dev.read(timeoutMs)) ?? new Uint8Array(0);
    return length > 0 ? data.subarray(0, length) : data;
  }

  /** Forwards input reports as notifications on this endpoint. @param {string} endpoint */
  subscribe(endpoint) {
    return settle(() => {
      this.#check(endpoint);
      if (this.#subs.size === 0) this.#dev.on("data", this.#onData);
      this.#subs.add(endpoint);
    });
  }

  /** Ends forwarding (no-op when not subscribed). @param {string} endpoint */
  unsubscribe(endpoint) {
    return settle(() => {
      this.#check(endpoint);
      if (this.#subs.delete(endpoint) && this.#subs.size === 0) {
        this.#dev.removeListener("data", this.#onData);
      }
    });
  }

  /** Closes the device. @returns {Promise<void>} */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#subs.clear();
    try {
      await this.#dev.close();
    } finally {
      this.emit("closed");
    }
  }
}
