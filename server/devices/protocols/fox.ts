/**
 * Fox (`fox`, DEVICES.md §3.7): `03 01 01 FE s` on `tx` without response (range 0–3), one
 * packet per feature.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The `fox` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(feature, 2); // → tx 03 01 01 FE 02
 * ```
 */
export const fox: ProtocolImplementation = {
  id: "fox",
  initialize(): ProtocolHandler {
    return {
      vibrate: (f, s) => [write("tx", [0x03, 0x01, 0x01, 0xfe, s & 0xff], false, f.id)],
    };
  },
};
