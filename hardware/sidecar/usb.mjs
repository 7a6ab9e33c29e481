// deno-lint-ignore-file explicit-module-boundary-types -- plain JavaScript for Node; types are in JSDoc
/**
 * Raw (non-HID) USB transport over the npm `usb` package (legacy libusb API of `usb` 2.x).
 *
 * Devices are found by enumerating every `intervalMs` (optionally only given vendor/product id
 * pairs) and addressed by their port path (`<bus>-<port>.<port>...`, the Linux sysfs name), which
 * stays the same when the device is re-plugged into the same port. A connected device talks
 * through the default control pipe only: {@link UsbDevice.control} performs one control transfer
 * (standard/class/vendor, to device/interface/endpoint/other, OUT with data or IN with a length).
 * What a Buttplug endpoint means on such a device (`txvendorcontrol` = one vendor control
 * transfer) is decided by the Deno bridge, not here.
 *
 * On connect every interface of the active configuration is claimed, so control transfers
 * addressed to an interface work on every platform; on Linux a kernel driver bound to an
 * interface (for the Trance Vibrator: the in-tree `trancevibrator` driver) is detached first and
 * re-attached when the device is closed.
 *
 * `usb` 2.x links libusb statically and libudev dynamically; `init()` loads it and enumerates
 * once, so a missing library or a libusb that cannot start becomes the "unavailable" reason.
 * Tests inject a fake with `createUsb({ usb })` (an EventEmitter with `getDeviceList()` and the
 * `LIBUSB_*` constants, emitting `detach`).
 *
 * Events: `found`, `scanFinished`, `status`, `log`. Devices emit `disconnect`, `closed`, `log`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
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

/** Default pause between enumerations while scanning (ms), as for HID. */
export const USB_SCAN_INTERVAL_MS = 1000;

/** The one pseudo-endpoint of a raw USB device: its default control pipe. */
export const USB_CONTROL_ENDPOINT = "control";

/** `requestType` names → bits 5..6 of bmRequestType. */
const REQUEST_TYPES = Object.freeze({ standard: 0, class: 1, vendor: 2 });
/** `recipient` names → bits 0..4 of bmRequestType. */
const RECIPIENTS = Object.freeze({
  device: 0,
  interface: 1,
  endpoint: 2,
  other: 3,
});

/** USB device class of hubs (skipped by a scan without vendor/product pairs). */
const HUB_CLASS = 9;

/**
 * The bmRequestType byte of a control transfer.
 *
 * @example
 * ```js
 * import { bmRequestType } from "./usb.mjs";
 * bmRequestType({ direction: "out", requestType: "vendor", recipient: "interface" }); // 0x41
 * ```
 * @param {{ direction: "in" | "out", requestType: string, recipient: string }} setup
 * @returns {number}
 */
export function bmRequestType(setup) {
  const type = REQUEST_TYPES[setup.requestType];
  const recipient = RECIPIENTS[setup.recipient];
  if (type === undefined) {
    throw new SidecarError(
      ErrorCodes.badRequest,
      `requestType must be standard, class or vendor, got ${JSON.stringify(setup.requestType)}`,
    );
  }
  if (recipient === undefined) {
    throw new SidecarError(
      ErrorCodes.badRequest,
      `recipient must be device, interface, endpoint or other, got ${
        JSON.stringify(setup.recipient)
      }`,
    );
  }
  return (setup.direction === "in" ? 0x80 : 0) | (type << 5) | recipient;
}

/**
 * The address of an enumerated device: its port path (`1-4.2`), or `<bus>-addr<n>` for a device
 * without port numbers (root hubs).
 * @param {any} dev `usb` Device
 * @returns {string}
 */
export function usbAddress(dev) {
  const ports = Array.isArray(dev.portNumbers) ? dev.portNumbers : [];
  return ports.length > 0
    ? `${dev.busNumber}-${ports.join(".")}`
    : `${dev.busNumber}-addr${dev.deviceAddress}`;
}

/** @param {number} n @returns {string} */
function hex4(n) {
  return n.toString(16).padStart(4, "0");
}

/**
 * The name reported before connecting (product strings need the device opened).
 * @param {number} vendorId @param {number} productId
 * @returns {string}
 */
export function usbFallbackName(vendorId, productId) {
  return `USB device ${hex4(vendorId)}:${hex4(productId)}`;
}

/**
 * Creates the raw USB transport.
 *
 * @example
 * ```js
 * import { createUsb } from "./usb.mjs";
 * const usb = createUsb();
 * const status = await usb.init(); // { available: true } when the usb package loads
 * await usb.startScan({ pairs: [{ vendorId: 0x0b49, productId: 0x064f }] });
 * ```
 * @param {{ usb?: any, loadUsb?: () => Promise<any> }} [options]
 * @returns {UsbTransport}
 */
export function createUsb(options = {}) {
  return new UsbTransport(options);
}

/**
 * The legacy `usb` API object from whatever `import("usb")` returned (ESM namespace of the CJS
 * module, or the object itself).
 * @param {any} mod
 * @returns {any}
 */
function legacyApi(mod) {
  for (const candidate of [mod?.usb, mod?.default?.usb, mod?.default, mod]) {
    if (candidate && typeof candidate.getDeviceList === "function") {
      return candidate;
    }
  }
  return undefined;
}

/**
 * A one-line "unavailable" reason for a failed `import("usb")`.
 * @param {unknown} err
 * @returns {string}
 */
function loadFailure(err) {
  const message = String(/** @type {any} */ (err)?.message ?? err).replace(
    /\s+/g,
    " ",
  ).trim();
  const reason = /No native build was found/.test(message)
    ? `usb has no prebuilt binary for this platform (${message}); reinstall with a C++ toolchain to build it`
    : describeLoadError("usb", err);
  return reason.replace(/\s+/g, " ").trim();
}

/** The raw USB transport (see {@link createUsb}). */
export class UsbTransport extends EventEmitter {
  /** Transport name on the wire. */
  name = "usb";
  /** @type {{ available: boolean, reason?: string }} */
  status = { available: false, reason: "not initialised" };

  #injected;
  #load;
  /** @type {any} */
  #usb = null;
  /** @type {{ vendorId: number, productId: number }[]} */
  #pairs = [];
  /** @type {DeviceTable<UsbDevice>} open (or opening) addresses */
  #open = new DeviceTable("USB device", {
    onChange: () => this.#watchDetach(this.#open.size > 0),
  });
  #loop = new ScanLoop({
    list: async () => (await this.list()).devices,
    address: (d) => d.address,
    isOpen: (address) => this.#open.has(address),
    report: (d) => {
      // Without pairs every device but hubs.
      const wanted = this.#pairs.length === 0
        ? d.deviceClass !== HUB_CLASS
        : hasPair(this.#pairs, d);
      if (!wanted) return;
      this.emit("found", {
        transport: "usb",
        address: d.address,
        name: d.name,
        vendorId: d.vendorId,
        productId: d.productId,
      });
    },
    failed: (err) => this.emit("log", "warn", `usb enumeration failed: ${err?.message ?? err}`),
  });
  /** @param {any} dev */
  #onDetach = (dev) => {
    for (const device of this.#open.devices()) {
      if (device.matches(dev)) device.gone("the USB device was unplugged");
    }
  };
  #watchingDetach = false;

  /** @param {{ usb?: any, loadUsb?: () => Promise<any> }} options */
  constructor(options) {
    super();
    this.#injected = options.usb;
    this.#load = options.loadUsb ?? (() => import("usb"));
  }

  /**
   * Loads `usb` and enumerates once.
   * @returns {Promise<{ available: boolean, reason?: string }>}
   */
  async init() {
    let usb;
    try {
      usb = legacyApi(this.#injected ?? await this.#load());
    } catch (err) {
      this.status = { available: false, reason: loadFailure(err) };
      return this.status;
    }
    if (!usb) {
      this.status = {
        available: false,
        reason: "the usb package has no getDeviceList (the sidecar needs usb 2.x, the libusb API)",
      };
    } else if (usb.INIT_ERROR) {
      this.status = {
        available: false,
        reason: `libusb could not be initialised (error ${usb.INIT_ERROR}): no USB access here`,
      };
    } else {
      try {
        usb.getDeviceList();
        this.#usb = usb;
        this.status = { available: true };
      } catch (err) {
        this.status = {
          available: false,
          reason: describeLoadError("usb", err),
        };
      }
    }
    return this.status;
  }

  /** Whether the enumeration loop is running. */
  get scanning() {
    return this.#loop.running;
  }

  /** @returns {any[]} */
  #enumerate() {
    requireAvailable(this);
    try {
      return this.#usb.getDeviceList();
    } catch (err) {
      throw new SidecarError(
        ErrorCodes.io,
        `USB enumeration failed: ${err?.message ?? err}`,
        { cause: err },
      );
    }
  }

  /**
   * Every USB device on the system.
   * @returns {Promise<{ devices: { address: string, name: string, vendorId: number, productId: number, deviceClass: number }[] }>}
   */
  list() {
    return settle(() => ({
      devices: this.#enumerate().map((dev) => describe(dev)),
    }));
  }

  /**
   * Starts the enumeration loop (first round right away). `pairs` limits reports to these
   * vendor/product ids (none = every device that is not a hub).
   * @param {{ pairs?: { vendorId: number, productId: number }[], intervalMs?: number }} [params]
   * @returns {Promise<void>}
   */
  async startScan(params = {}) {
    requireAvailable(this);
    this.#pairs = [...(params.pairs ?? [])];
    await this.#loop.start(params.intervalMs ?? USB_SCAN_INTERVAL_MS);
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
   * Opens the device at `address` (its port path), claims its interfaces and reads its product
   * string. `vendorId`/`productId`, when given, must match what is at that address.
   * `closeControl` is an OUT control transfer sent (best effort) before the device is closed: the
   * toy's stop command, so it stops even when the server goes away without stopping it.
   * @param {{ address: string, vendorId?: number, productId?: number, timeoutMs: number, closeControl?: { setup: any, data: Uint8Array } }} params
   * @returns {Promise<UsbDevice>}
   */
  async connect(params) {
    requireAvailable(this);
    const { address } = params;
    return await this.#open.open(address, async () => {
      const dev = this.#enumerate().find((d) => usbAddress(d) === address);
      const desc = dev?.deviceDescriptor;
      if (
        !dev ||
        (params.vendorId !== undefined && desc?.idVendor !== params.vendorId) ||
        (params.productId !== undefined && desc?.idProduct !== params.productId)
      ) {
        const ids = params.vendorId !== undefined && params.productId !== undefined
          ? ` (${hex4(params.vendorId)}:${hex4(params.productId)})`
          : "";
        throw new SidecarError(
          ErrorCodes.notFound,
          `no USB device${ids} at ${address}`,
        );
      }
      return await withTimeout(
        UsbDevice.open(
          dev,
          address,
          this.#usb,
          params.timeoutMs,
          params.closeControl,
        ),
        params.timeoutMs,
        `opening USB device ${address}`,
      );
    });
  }

  /** Hot-plug `detach` events are only listened to while a device is open. @param {boolean} on */
  #watchDetach(on) {
    if (on === this.#watchingDetach || typeof this.#usb?.on !== "function") {
      return;
    }
    this.#watchingDetach = on;
    try {
      if (on) this.#usb.on("detach", this.#onDetach);
      else this.#usb.removeListener("detach", this.#onDetach);
    } catch (err) {
      this.emit(
        "log",
        "debug",
        `usb hot-plug events unavailable: ${err?.message ?? err}`,
      );
    }
  }

  /** Stops the loop; devices are closed by the router. @returns {Promise<void>} */
  async close() {
    await this.stopScan();
    this.#watchDetach(false);
  }
}

/**
 * What `list` and `found` report about an enumerated device.
 * @param {any} dev
 */
function describe(dev) {
  const d = dev.deviceDescriptor ?? {};
  return {
    address: usbAddress(dev),
    name: usbFallbackName(d.idVendor ?? 0, d.idProduct ?? 0),
    vendorId: d.idVendor ?? 0,
    productId: d.idProduct ?? 0,
    deviceClass: d.bDeviceClass ?? 0,
  };
}

/**
 * A libusb error as a wire error: a gone device is `disconnected`, a libusb timeout `timeout`,
 * a permission problem `io` with the fix.
 * @param {unknown} err
 * @param {string} what
 * @returns {SidecarError}
 */
function usbError(err, what) {
  if (err instanceof SidecarError) return err;
  const message = String(/** @type {any} */ (err)?.message ?? err);
  if (/NO_DEVICE/.test(message)) {
    return new SidecarError(
      ErrorCodes.disconnected,
      `${what}: the USB device is gone (${message})`,
      {
        cause: err,
      },
    );
  }
  if (/TIMED?_?OUT/.test(message)) {
    return new SidecarError(ErrorCodes.timeout, `${what}: ${message}`, {
      cause: err,
    });
  }
  if (/STALL|PIPE/.test(message)) {
    return new SidecarError(
      ErrorCodes.io,
      `${what}: the device refused the request (${message})`,
      { cause: err },
    );
  }
  return new SidecarError(ErrorCodes.io, `${what}: ${message}`, { cause: err });
}

/** An open raw USB device; everything goes through its default control pipe. */
export class UsbDevice extends EventEmitter {
  /** @type {string} product string, or `USB device vvvv:pppp` */ name;
  /** @type {string} port path */ address;
  /** Endpoints: the default control pipe only. */
  endpoints = [USB_CONTROL_ENDPOINT];
  /** @type {string[]} */ missing = [];
  /** Batching window (ms). */
  messageGapMs = 0;
  /** Interface numbers whose kernel driver was detached on open (re-attached on close). */
  detachedKernelDrivers = /** @type {number[]} */ ([]);
  /** Interface numbers claimed on open. */
  claimed = /** @type {number[]} */ ([]);
  /** @type {{ setup: any, data: Uint8Array } | undefined} sent before closing */
  closeControl;
  #dev;
  #closed = false;
  /** @type {Promise<void> | undefined} */
  #closing;

  /**
   * @param {any} dev `usb` Device (open)
   * @param {string} address
   * @param {string} name
   */
  constructor(dev, address, name) {
    super();
    this.#dev = dev;
    this.address = address;
    this.name = name;
  }

  /**
   * Opens `dev`, detaches kernel drivers and claims every interface, reads the product string.
   * @param {any} dev
   * @param {string} address
   * @param {any} usb the legacy API (for error constants)
   * @param {number} timeoutMs
   * @param {{ setup: any, data: Uint8Array }} [closeControl] OUT transfer sent before closing
   * @returns {Promise<UsbDevice>}
   */
  static async open(dev, address, usb, timeoutMs, closeControl) {
    const d = dev.deviceDescriptor ?? {};
    const ids = `${hex4(d.idVendor ?? 0)}:${hex4(d.idProduct ?? 0)}`;
    try {
      dev.open();
    } catch (err) {
      const message = String(err?.message ?? err);
      if (/ACCESS/.test(message) || err?.errno === usb?.LIBUSB_ERROR_ACCESS) {
        throw new SidecarError(
          ErrorCodes.io,
          `permission denied opening USB device ${ids} at ${address} (${message}); on Linux add a udev rule ` +
            `SUBSYSTEM=="usb", ATTR{idVendor}=="${hex4(d.idVendor ?? 0)}", ATTR{idProduct}=="${
              hex4(d.idProduct ?? 0)
            }", MODE="0660", GROUP="plugdev" (or run as root)`,
          { cause: err },
        );
      }
      if (/NOT_SUPPORTED/.test(message)) {
        throw new SidecarError(
          ErrorCodes.io,
          `USB device ${ids} at ${address} cannot be opened with libusb (${message}); on Windows install the WinUSB driver for it (e.g. with Zadig)`,
          { cause: err },
        );
      }
      throw usbError(err, `opening USB device ${ids} at ${address}`);
    }
    const device = new UsbDevice(
      dev,
      address,
      usbFallbackName(d.idVendor ?? 0, d.idProduct ?? 0),
    );
    try {
      device.#claimAll(ids);
    } catch (err) {
      await device.close().catch(() => {});
      throw err;
    }
    device.closeControl = closeControl;
    if (d.iProduct) {
      try {
        const product = await withTimeout(
          new Promise((resolve, reject) =>
            dev.getStringDescriptor(
              d.iProduct,
              (err, value) => err ? reject(err) : resolve(value),
            )
          ),
          Math.min(timeoutMs, 1000),
          `reading the product string of ${address}`,
        );
        if (typeof product === "string" && product.trim() !== "") {
          device.name = product.trim();
        }
      } catch (err) {
        device.emit(
          "log",
          "debug",
          `USB ${address}: no product string (${err?.message ?? err})`,
        );
      }
    }
    return device;
  }

  /** @param {string} ids */
  #claimAll(ids) {
    for (const iface of this.#dev.interfaces ?? []) {
      const n = iface.interfaceNumber;
      let active = false;
      try {
        active = iface.isKernelDriverActive();
      } catch {
        // not supported on this platform (macOS, Windows): nothing to detach
      }
      if (active) {
        try {
          iface.detachKernelDriver();
          this.detachedKernelDrivers.push(n);
        } catch (err) {
          throw new SidecarError(
            ErrorCodes.busy,
            `a kernel driver holds interface ${n} of USB device ${ids} at ${this.address} and could not be detached ` +
              `(${
                err?.message ?? err
              }); run as root or unload the driver (for the Trance Vibrator: rmmod trancevibrator)`,
            { cause: err },
          );
        }
      }
      try {
        iface.claim();
        this.claimed.push(n);
      } catch (err) {
        throw new SidecarError(
          ErrorCodes.busy,
          `cannot claim interface ${n} of USB device ${ids} at ${this.address} (${
            err?.message ?? err
          }); another program may be using it`,
          { cause: err },
        );
      }
    }
  }

  /**
   * Whether `dev` (from a hot-plug event) is this device.
   * @param {any} dev
   * @returns {boolean}
   */
  matches(dev) {
    return dev === this.#dev ||
      (dev?.busNumber === this.#dev.busNumber &&
        dev?.deviceAddress === this.#dev.deviceAddress);
  }

  /**
   * The device went away: emits `closed` and `disconnect` once.
   * @param {string} reason
   */
  gone(reason) {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#dev.close();
    } catch {
      // already gone
    }
    this.emit("closed");
    this.emit("disconnect", reason);
  }

  #check() {
    if (this.#closed) {
      throw new SidecarError(
        ErrorCodes.disconnected,
        `${this.address} is closed`,
      );
    }
  }

  /**
   * One control transfer on the default pipe. OUT sends `data` (may be empty); IN returns up to
   * `length` bytes.
   * @param {{ direction: "in" | "out", requestType: string, recipient: string, request: number, value: number, index: number }} setup
   * @param {Uint8Array | number} dataOrLength bytes (OUT) or length (IN)
   * @param {number} timeoutMs
   * @returns {Promise<Uint8Array>} IN: the bytes received; OUT: empty
   */
  control(setup, dataOrLength, timeoutMs) {
    return settle(() => {
      this.#check();
      const type = bmRequestType(setup);
      const payload = setup.direction === "in"
        ? Number(dataOrLength)
        : Buffer.from(/** @type {Uint8Array} */ (dataOrLength));
      this.#dev.timeout = timeoutMs;
      return new Promise((resolve, reject) => {
        try {
          this.#dev.controlTransfer(
            type,
            setup.request,
            setup.value,
            setup.index,
            payload,
            (err, result) => {
              if (!err) {
                resolve(
                  setup.direction === "in" && result instanceof Uint8Array
                    ? new Uint8Array(result)
                    : new Uint8Array(0),
                );
                return;
              }
              const e = usbError(err, `control transfer to ${this.address}`);
              if (e.code === ErrorCodes.disconnected) this.gone(e.message);
              reject(e);
            },
          );
        } catch (err) {
          const e = usbError(err, `control transfer to ${this.address}`);
          if (e.code === ErrorCodes.disconnected) this.gone(e.message);
          reject(e);
        }
      });
    });
  }

  /** @returns {SidecarError} */
  #noEndpoints() {
    return new SidecarError(
      ErrorCodes.unsupported,
      "raw USB devices take control transfers only (method control)",
    );
  }

  /** Unsupported: use {@link UsbDevice.control}. */
  write() {
    return Promise.reject(this.#noEndpoints());
  }

  /** Unsupported: use {@link UsbDevice.control}. */
  read() {
    return Promise.reject(this.#noEndpoints());
  }

  /** Unsupported. */
  subscribe() {
    return Promise.reject(this.#noEndpoints());
  }

  /** Unsupported. */
  unsubscribe() {
    return Promise.reject(this.#noEndpoints());
  }

  /**
   * Sends `closeControl` (best effort, at most 500 ms), releases the claimed interfaces,
   * re-attaches kernel drivers it detached, closes the device.
   * Idempotent; concurrent calls share one close.
   * @returns {Promise<void>}
   */
  close() {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close() {
    if (this.#closed) return;
    if (this.closeControl) {
      const { setup, data } = this.closeControl;
      try {
        await withTimeout(
          this.control(setup, data, 500),
          600,
          `stopping ${this.address}`,
        );
      } catch (err) {
        this.emit(
          "log",
          "warn",
          `USB ${this.address}: the stop transfer before closing failed: ${err?.message ?? err}`,
        );
      }
      if (this.#closed) return; // it went away meanwhile
    }
    this.#closed = true;
    try {
      for (const iface of this.#dev.interfaces ?? []) {
        const n = iface.interfaceNumber;
        if (this.claimed.includes(n)) {
          await new Promise((resolve) => {
            try {
              iface.release(() => resolve(undefined));
            } catch {
              resolve(undefined);
            }
          });
        }
        if (this.detachedKernelDrivers.includes(n)) {
          try {
            iface.attachKernelDriver();
          } catch (err) {
            this.emit(
              "log",
              "warn",
              `USB ${this.address}: re-attaching the kernel driver of interface ${n} failed: ${
                err?.message ?? err
              }`,
            );
          }
        }
      }
    } finally {
      try {
        this.#dev.close();
      } catch {
        // already closed
      }
      this.emit("closed");
    }
  }
}
