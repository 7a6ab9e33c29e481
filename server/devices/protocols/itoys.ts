/**
 * iToys (`itoys`, DEVICES.md §3.7): one packet per feature on `tx` without response.
 * vibrate (0–3) → `A0 01 00 00 s FF`; oscillate (0–255) → `A0 06 on 00 on s` with
 * `on` = (s > 0 ? 01 : 00).
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The `itoys` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(feature, 2); // → tx A0 01 00 00 02 FF
 * handler.oscillate!(feature, 128); // → tx A0 06 01 00 01 80
 * ```
 */
export const itoys: ProtocolImplementation = {
  id: "itoys",
  initialize(): ProtocolHandler {
    return {
      vibrate: (f, s) => [write("tx", [0xa0, 0x01, 0x00, 0x00, s & 0xff, 0xff], false, f.id)],
      oscillate(f, s) {
        const on = s > 0 ? 0x01 : 0x00;
        return [write("tx", [0xa0, 0x06, on, 0x00, on, s & 0xff], false, f.id)];
      },
    };
  },
};
