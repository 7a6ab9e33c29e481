/**
 * The Deno side of the hardware sidecar: spawns and supervises the Node program in
 * `hardware/sidecar/` (Bluetooth LE via noble, serial via serialport, HID via node-hid, raw USB
 * via usb), talks to
 * it with one JSON object per line over stdio (see `hardware/sidecar/PROTOCOL.md`), and exposes
 * each transport as a {@linkcode HardwareManager} whose devices are ordinary
 * {@linkcode HardwareConnector}s and {@linkcode Hardware} objects, so the device layer cannot tell
 * them apart from simulated hardware.
 *
 * Supervision: every line read from Node is validated (malformed lines are logged and dropped);
 * requests have ids and timeouts; when the process dies every pending request fails, every
 * {@linkcode Hardware} on it emits `disconnected` (a best-effort stop is impossible on a dead
 * process: its ports/links close with it, and toys keep their last command until their own
 * timeout or until reconnected), the process is restarted with exponential backoff (on the
 * injectable {@linkcode Clock}), running scans are resumed, and devices are announced again when
 * found.
 *
 * Bluetooth LE reconnect: a BLE device that was connected through the bridge and drops without
 * being asked to (out of range, battery swap, radio glitch, the sidecar dying) is watched for by
 * the sidecar even while no scan runs; when it advertises again the btle manager emits `found`
 * for it, so the device layer reconnects it like any other (and the device manager gives it its
 * index back). Attempts back off exponentially and stop after a bound; see
 * {@linkcode ReconnectTracker} and {@linkcode SidecarProcessOptions.bleReconnect}. A device
 * disconnected on request is not reconnected.
 *
 * @example
 * ```ts ignore
 * import { SidecarProcess } from "./sidecar.ts";
 * await using sidecar = await SidecarProcess.start({ transports: ["serial"] });
 * const serial = sidecar.manager("serial");
 * serial.watchPorts(["/dev/ttyUSB0"]);
 * serial.addEventListener("found", async (e) => {
 *   const hw = await e.detail.connect({
 *     serial: { port: "/dev/ttyUSB0", baud_rate: 115200, data_bits: 8, parity: "N", stop_bits: 1 },
 *   });
 *   await hw.write("tx", new TextEncoder().encode("L0500\n"), false);
 * });
 * await serial.startScanning();
 * ```
 *
 * @module
 */

// The implementation lives in small internal modules (one job each); this file is the public
// entry and exports exactly what it always did.
export { SIDECAR_PROTOCOL_VERSION, SIDECAR_TRANSPORTS } from "./_sidecar_types.ts";
export type {
  SidecarExit,
  SidecarHello,
  SidecarProcessEventMap,
  SidecarProcessOptions,
  SidecarScanOptions,
  SidecarTransport,
  TransportStatus,
  TransportStatusChange,
} from "./_sidecar_types.ts";
export { SidecarRequestError } from "./_sidecar_request_error.ts";
export { SidecarProcess } from "./_sidecar_process.ts";
export { SidecarHardwareManager } from "./_sidecar_manager.ts";
export { SidecarConnector } from "./_sidecar_connector.ts";
export { SidecarHardware } from "./_sidecar_hardware.ts";
export { scanOptionsFor } from "./_sidecar_scan_options.ts";
export { USB_VENDOR_CONTROL_ENDPOINT, vendorControlSetup } from "./_sidecar_usb_control.ts";
export type { UsbControlSetup } from "./_sidecar_usb_control.ts";
