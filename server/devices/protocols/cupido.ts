/**
 * Cupido (`cupido`, DEVICES.md §3.7): `B0 03 00 00 00 s AA` on `tx` without response (the
 * config's `rx` endpoint is unused), one packet per feature.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The `cupido` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(feature, 128); // → tx B0 03 00 00 00 80 AA
 * ```
 */
export const cupido: ProtocolImplementation = {
  id: "cupido",
  initialize(): ProtocolHandler {
    return {
      vibrate: (f, s) => [write("tx", [0xb0, 0x03, 0x00, 0x00, 0x00, s & 0xff, 0xaa], false, f.id)],
    };
  },
};
