// deno-lint-ignore-file explicit-module-boundary-types -- plain JavaScript for Node; types are in JSDoc
/**
 * Open/close bookkeeping of one transport's devices (serial, HID, raw USB): an address is taken
 * from the moment a connect starts until its device emits `closed`, so a second connect of the
 * same address is refused as `busy` and scans do not report it.
 *
 * @module
 */
import { ErrorCodes, SidecarError, toSidecarError } from "./util.mjs";

/**
 * The open (or opening) devices of one transport, by address.
 *
 * @example
 * ```js
 * import { EventEmitter } from "node:events";
 * import { DeviceTable } from "./device_table.mjs";
 * const table = new DeviceTable("serial port");
 * const dev = await table.open("/dev/ttyUSB0", async () => new EventEmitter());
 * table.has("/dev/ttyUSB0"); // true until dev emits "closed"
 * ```
 * @template {import("node:events").EventEmitter} D
 */
export class DeviceTable {
  #label;
  #onChange;
  /** @type {Map<string, D | null>} open device, or null while opening */
  #entries = new Map();

  /**
   * @param {string} label what a device is called in the `busy` error, e.g. `HID device`
   * @param {{ onChange?: () => void }} [hooks] `onChange`: a device was opened or closed
   */
  constructor(label, hooks = {}) {
    this.#label = label;
    this.#onChange = hooks.onChange;
  }

  /** Open and opening addresses. @returns {number} */
  get size() {
    return this.#entries.size;
  }

  /**
   * Whether the address is open or opening.
   * @param {string} address
   * @returns {boolean}
   */
  has(address) {
    return this.#entries.has(address);
  }

  /** The open devices (not those still opening). @returns {Generator<D>} */
  *devices() {
    for (const device of this.#entries.values()) {
      if (device) yield device;
    }
  }

  /**
   * Takes the address (a `busy` SidecarError when it is taken), runs `opener`, and keeps the
   * device until it emits `closed`. A failed open frees the address again; its error is rethrown
   * as a SidecarError (`io` unless it is one already).
   * @param {string} address
   * @param {() => Promise<D>} opener
   * @returns {Promise<D>}
   */
  async open(address, opener) {
    if (this.#entries.has(address)) {
      throw new SidecarError(
        ErrorCodes.busy,
        `${this.#label} ${address} is already open`,
      );
    }
    this.#entries.set(address, null);
    try {
      const device = await opener();
      this.#entries.set(address, device);
      this.#onChange?.();
      device.once("closed", () => {
        if (this.#entries.get(address) === device) {
          this.#entries.delete(address);
        }
        this.#onChange?.();
      });
      return device;
    } catch (err) {
      if (this.#entries.get(address) === null) this.#entries.delete(address);
      throw toSidecarError(err);
    }
  }
}
