/**
 * Rez TranceVibrator (`rez-trancevibrator`, raw USB 0B49:064F; DEVICES.md §3.8 lists it as
 * config-only upstream because no upstream manager serves raw USB). One vibrator, speed 0–255.
 *
 * The PlayStation 2 Trance Vibrator takes its speed as a USB vendor control transfer on the
 * default pipe: request 1, request type OUT | VENDOR | INTERFACE (0x41), wValue = speed, wIndex 0,
 * no data stage (what the Linux `trancevibrator` driver sends). Like upstream, the protocol writes
 * the speed as one byte to the `txvendorcontrol` endpoint and the USB hardware turns that into
 * the control transfer (`vendorControlSetup` in `hardware/sidecar.ts`). The device holds the last
 * speed until told otherwise, so there is no keepalive. CID = the feature id.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The `rez-trancevibrator` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(feature, 200); // → txvendorcontrol C8 (vendor control transfer, wValue 200)
 * ```
 */
export const rezTrancevibrator: ProtocolImplementation = {
  id: "rez-trancevibrator",
  initialize(): ProtocolHandler {
    return {
      vibrate: (f, s) => [write("txvendorcontrol", [s & 0xff], false, f.id)],
    };
  },
};
