/**
 * FeelingSo (`feelingso`, DEVICES.md §3.7): one packet `AA 40 03 vib osc 14 19` on `tx` without
 * response, carrying the last vibrate (#0) and oscillate (#1) values (0–19). Protocol-constant
 * CID.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/** CID of the combined packet. */
export const FEELINGSO_CID = "c355964a-634d-4412-9d7d-7f9ca404c136";

/**
 * The `feelingso` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(definition.features[0], 10); // → tx AA 40 03 0A 00 14 19
 * ```
 */
export const feelingso: ProtocolImplementation = {
  id: "feelingso",
  initialize(): ProtocolHandler {
    let vibrate = 0;
    let oscillate = 0;
    const packet = () => [
      write("tx", [0xaa, 0x40, 0x03, vibrate, oscillate, 0x14, 0x19], false, FEELINGSO_CID),
    ];
    return {
      vibrate(_f, s) {
        vibrate = s & 0xff;
        return packet();
      },
      oscillate(_f, s) {
        oscillate = s & 0xff;
        return packet();
      },
    };
  },
};
