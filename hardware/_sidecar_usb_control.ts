/**
 * What a `txvendorcontrol` write means on a raw USB device: one vendor control transfer
 * ({@linkcode vendorControlSetup}). Re-exported by `hardware/sidecar.ts`.
 *
 * @module
 */
import { ButtplugDeviceError } from "../protocol/errors.ts";

/** The endpoint of a raw USB device (device config name): vendor control transfers. */
export const USB_VENDOR_CONTROL_ENDPOINT = "txvendorcontrol";

/** The sidecar `control` params of one raw USB control transfer (OUT). */
export interface UsbControlSetup {
  /** Always `out` for endpoint writes. */
  readonly direction: "out";
  /** `vendor` for `txvendorcontrol`. */
  readonly requestType: "standard" | "class" | "vendor";
  /** `interface` for `txvendorcontrol`. */
  readonly recipient: "device" | "interface" | "endpoint" | "other";
  /** bRequest. */
  readonly request: number;
  /** wValue. */
  readonly value: number;
  /** wIndex. */
  readonly index: number;
  /** Data stage (empty for `txvendorcontrol`). */
  readonly data: readonly number[];
}

/**
 * What a write of `data` to `txvendorcontrol` means on a raw USB device: one vendor control
 * transfer OUT on the default pipe, addressed to interface 0, request 1, wValue = the written
 * value (one byte, or two bytes little-endian), wIndex 0, no data stage. That is the PlayStation 2
 * Trance Vibrator's speed command (request type 0x41, as the Linux `trancevibrator` driver sends
 * it), the only device the config drives through this endpoint.
 *
 * @example
 * ```ts
 * import { vendorControlSetup } from "./sidecar.ts";
 * const setup = vendorControlSetup(new Uint8Array([128]));
 * console.assert(setup.requestType === "vendor" && setup.request === 1 && setup.value === 128);
 * ```
 */
export function vendorControlSetup(data: Uint8Array): UsbControlSetup {
  if (data.length < 1 || data.length > 2) {
    throw new ButtplugDeviceError(
      `a ${USB_VENDOR_CONTROL_ENDPOINT} write carries the 1- or 2-byte wValue, got ${data.length} bytes`,
    );
  }
  return {
    direction: "out",
    requestType: "vendor",
    recipient: "interface",
    request: 1,
    value: data[0] | ((data[1] ?? 0) << 8),
    index: 0,
    data: [],
  };
}
