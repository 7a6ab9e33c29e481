/**
 * DeepSire (`deepsire`, DEVICES.md §3.7): `55 04 01 00 00 s AA` on `tx` without response, one
 * packet per feature (range 0–255).
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The `deepsire` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(feature, 255); // → tx 55 04 01 00 00 FF AA
 * ```
 */
export const deepsire: ProtocolImplementation = {
  id: "deepsire",
  initialize(): ProtocolHandler {
    return {
      vibrate: (f, s) => [write("tx", [0x55, 0x04, 0x01, 0x00, 0x00, s & 0xff, 0xaa], false, f.id)],
    };
  },
};
