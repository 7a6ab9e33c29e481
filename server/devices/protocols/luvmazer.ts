/**
 * Luvmazer (`luvmazer`, DEVICES.md §3.7): 6-byte frames on `tx`, no response, CID per feature.
 *
 * - vibrate: `A0 01 00 fi 64 s`;
 * - rotate: `A0 0F 00 00 64 |s|`;
 * - oscillate: `A0 06 01 00 64 s`;
 * - constrict (0–54): `A0 0D 00 00 (s>0 ? 14 : 00) s`.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `luvmazer` protocol. */
export const luvmazer: ProtocolImplementation = {
  id: "luvmazer",
  initialize() {
    return {
      vibrate: (
        f,
        s,
      ) => [write("tx", [0xa0, 0x01, 0x00, f.index & 0xff, 0x64, s & 0xff], false, f.id)],
      rotate: (
        f,
        s,
      ) => [write("tx", [0xa0, 0x0f, 0x00, 0x00, 0x64, Math.abs(s) & 0xff], false, f.id)],
      oscillate: (f, s) => [write("tx", [0xa0, 0x06, 0x01, 0x00, 0x64, s & 0xff], false, f.id)],
      constrict: (f, s) => [
        write("tx", [0xa0, 0x0d, 0x00, 0x00, s > 0 ? 0x14 : 0x00, s & 0xff], false, f.id),
      ],
    };
  },
};
