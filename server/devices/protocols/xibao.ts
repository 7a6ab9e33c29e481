/**
 * Xibao (`xibao`, DEVICES.md §3.7): names `CCYB_*`, oscillate 0–99 on `tx` without response,
 * CID = the feature id. Frame `66 3A 00 06 00 06 01 02 00 02 04 s c` with the check byte
 * c = (s + 0xB5) mod 256.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

const HEADER = [0x66, 0x3a, 0x00, 0x06, 0x00, 0x06, 0x01, 0x02, 0x00, 0x02, 0x04];

/** The `xibao` protocol. */
export const xibao: ProtocolImplementation = {
  id: "xibao",
  initialize() {
    return {
      oscillate: (f, s) => [write("tx", [...HEADER, s & 0xff, (s + 0xb5) & 0xff], false, f.id)],
    };
  },
};
