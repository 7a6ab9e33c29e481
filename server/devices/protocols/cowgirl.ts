/**
 * The Cowgirl / The Unicorn (`cowgirl`, DEVICES.md §3.7): one packet `00 01 vib rot` on `tx`
 * with response, carrying the last vibrate value (#0) and the last rotate value (#1, 0–255).
 * Protocol-constant CID.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/** CID of the combined packet. */
export const COWGIRL_CID = "954492a6-66ac-4f1a-bb55-4436486efa68";

/**
 * The `cowgirl` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(definition.features[0], 192);
 * handler.rotate!(definition.features[1], 128); // → tx 00 01 C0 80 (with response)
 * ```
 */
export const cowgirl: ProtocolImplementation = {
  id: "cowgirl",
  initialize(): ProtocolHandler {
    let vibrate = 0;
    let rotate = 0;
    const packet = () => [write("tx", [0x00, 0x01, vibrate, rotate], true, COWGIRL_CID)];
    return {
      vibrate(_f, s) {
        vibrate = s & 0xff;
        return packet();
      },
      // The rotate output is unidirectional (0–255); a signed value would carry no direction.
      rotate(_f, s) {
        rotate = Math.abs(s) & 0xff;
        return packet();
      },
    };
  },
};
