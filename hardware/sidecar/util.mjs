// deno-lint-ignore-file explicit-module-boundary-types -- plain JavaScript for Node; types are in JSDoc
/**
 * Small helpers shared by the sidecar modules: wire errors, transport availability, byte
 * validation, BLE UUID normalisation, timeouts and human-readable reasons for native module load
 * failures.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** Error codes carried in `error.code` of failed replies (see PROTOCOL.md). */
export const ErrorCodes = Object.freeze({
  /** The request line or its params are malformed. */
  badRequest: "bad_request",
  /** No such method. */
  unknownMethod: "unknown_method",
  /** The transport is not available on this machine (reason in the message). */
  unavailable: "unavailable",
  /** No device with that address/handle is known. */
  notFound: "not_found",
  /** The device is already connected. */
  busy: "busy",
  /** The endpoint is not bound on this device. */
  noEndpoint: "no_endpoint",
  /** The transport cannot do this operation. */
  unsupported: "unsupported",
  /** The operation did not finish in time. */
  timeout: "timeout",
  /** The device went away during or before the operation. */
  disconnected: "disconnected",
  /** The operation failed in the transport or driver. */
  io: "io",
  /** The sidecar is shutting down. */
  shuttingDown: "shutting_down",
});

/** An error with a wire error code; the router turns it into `{ok: false, error}`. */
export class SidecarError extends Error {
  /**
   * @param {string} code one of {@link ErrorCodes}
   * @param {string} message human-readable text
   * @param {ErrorOptions} [options] cause
   */
  constructor(code, message, options) {
    super(message, options);
    /** @type {string} */
    this.code = code;
    this.name = "SidecarError";
  }
}

/**
 * Wraps any thrown value into a {@link SidecarError} (keeps SidecarErrors as they are).
 * @param {unknown} err
 * @param {string} [code] code for foreign errors
 * @returns {SidecarError}
 */
export function toSidecarError(err, code = ErrorCodes.io) {
  if (err instanceof SidecarError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SidecarError(code, message, { cause: err });
}

/**
 * Throws an `unavailable` SidecarError (with the transport's reason) unless the transport is
 * available.
 * @param {{ name: string, status: { available: boolean, reason?: string } }} transport
 */
export function requireAvailable(transport) {
  if (!transport.status.available) {
    throw new SidecarError(
      ErrorCodes.unavailable,
      `${transport.name} unavailable: ${transport.status.reason}`,
    );
  }
}

/** Largest byte payload accepted in one request. */
export const MAX_BYTES = 65536;

/**
 * Validates a wire byte array (array of integers 0..255) and returns it as a Buffer.
 * @param {unknown} value
 * @param {string} what name used in the error message
 * @returns {Buffer}
 */
export function toBytes(value, what = "data") {
  if (!Array.isArray(value)) {
    throw new SidecarError(
      ErrorCodes.badRequest,
      `${what} must be an array of byte values`,
    );
  }
  if (value.length > MAX_BYTES) {
    throw new SidecarError(
      ErrorCodes.badRequest,
      `${what} is longer than ${MAX_BYTES} bytes`,
    );
  }
  for (const b of value) {
    if (!Number.isInteger(b) || b < 0 || b > 255) {
      throw new SidecarError(
        ErrorCodes.badRequest,
        `${what} must contain integers 0..255, got ${JSON.stringify(b)}`,
      );
    }
  }
  return Buffer.from(value);
}

/**
 * Bytes (Buffer / Uint8Array / undefined) as a wire array of numbers.
 * @param {Uint8Array | undefined | null} bytes
 * @returns {number[]}
 */
export function fromBytes(bytes) {
  return bytes ? Array.from(bytes) : [];
}

const SIG_BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb";

/**
 * Normalises a BLE UUID to the full lowercase 128-bit form with dashes. Accepts 16-bit (`fff0`),
 * 32-bit (`0000fff0`), 128-bit without dashes (noble) and with dashes (device config).
 * Returns `null` for anything that is not a UUID.
 * @param {unknown} uuid
 * @returns {string | null}
 */
export function normalizeUuid(uuid) {
  if (typeof uuid !== "string") return null;
  const hex = uuid.trim().toLowerCase().replace(/^0x/, "").replaceAll("-", "");
  if (!/^[0-9a-f]+$/.test(hex)) return null;
  if (hex.length === 4) return `0000${hex}${SIG_BASE_SUFFIX}`;
  if (hex.length === 8) return `${hex}${SIG_BASE_SUFFIX}`;
  if (hex.length !== 32) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/**
 * Runs `fn` and returns its result as a promise: a synchronous throw becomes a rejection.
 * @template T
 * @param {() => T | Promise<T>} fn
 * @returns {Promise<T>}
 */
export function settle(fn) {
  return new Promise((resolve) => resolve(fn()));
}

/**
 * Resolves/rejects like `promise`, or rejects with a `timeout` SidecarError after `ms`.
 * `onTimeout` runs when the deadline hits (e.g. to cancel a pending connect).
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} what operation name for the message
 * @param {() => void} [onTimeout]
 * @returns {Promise<T>}
 */
export function withTimeout(promise, ms, what, onTimeout) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => {
      try {
        onTimeout?.();
      } catch {
        // best effort
      }
      reject(
        new SidecarError(
          ErrorCodes.timeout,
          `${what} timed out after ${ms} ms`,
        ),
      );
    }, ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Turns a native module load failure into a one-line reason for the `hello` event.
 * @param {string} moduleName npm package name
 * @param {unknown} err what `import()` or the first native call threw
 * @returns {string}
 */
export function describeLoadError(moduleName, err) {
  const e = /** @type {{ code?: string, message?: string }} */ (err ?? {});
  const message = String(e.message ?? err);
  if (e.code === "ERR_MODULE_NOT_FOUND" || e.code === "MODULE_NOT_FOUND") {
    return `${moduleName} is not installed (run \`npm ci\` in the sidecar folder): ${message}`;
  }
  if (e.code === "EAFNOSUPPORT" || /EAFNOSUPPORT/.test(message)) {
    return `no Bluetooth support on this machine (no adapter / no bluetooth in the kernel: ${message})`;
  }
  if (e.code === "ENODEV" || /ENODEV/.test(message)) {
    return `no Bluetooth adapter found (${message})`;
  }
  if (
    e.code === "EPERM" || e.code === "EACCES" || /EPERM|EACCES/.test(message)
  ) {
    return `permission denied opening the device (${message}); on Linux grant cap_net_raw to node or run as root`;
  }
  if (/libusb/.test(message)) {
    return `${moduleName} native module failed: libusb is missing (install libusb-1.0-0): ${message}`;
  }
  if (/libudev/.test(message)) {
    return `${moduleName} native module failed: libudev is missing (install libudev1): ${message}`;
  }
  if (e.code === "ERR_DLOPEN_FAILED") {
    return `${moduleName} native module failed to load: ${message}`;
  }
  return `${moduleName} failed to load: ${message}`;
}

/**
 * Parses an adapter selector (`hci1`, `1`) into a numeric HCI device id; `undefined` when unset.
 * @param {string | undefined} value
 * @returns {number | undefined}
 */
export function parseAdapter(value) {
  if (value === undefined || value === "") return undefined;
  const m = /^(?:hci)?(\d+)$/.exec(String(value).trim());
  if (!m) {
    throw new SidecarError(
      ErrorCodes.badRequest,
      `bad BLE adapter "${value}" (use hciN)`,
    );
  }
  return Number(m[1]);
}
