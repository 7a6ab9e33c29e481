/**
 * Cachito (`cachito`, DEVICES.md §3.7): `(02 + fi) (01 + fi) s 00` on `tx` without response,
 * one packet per feature (#0 0–5, #1 0–100).
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The `cachito` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(definition.features[1], 50); // → tx 03 02 32 00
 * ```
 */
export const cachito: ProtocolImplementation = {
  id: "cachito",
  initialize(): ProtocolHandler {
    return {
      vibrate: (f, s) => [
        write(
          "tx",
          [(0x02 + f.index) & 0xff, (0x01 + f.index) & 0xff, s & 0xff, 0x00],
          false,
          f.id,
        ),
      ],
    };
  },
};
