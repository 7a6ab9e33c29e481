/**
 * Meese (`meese`, DEVICES.md §3.7): vibrate `s` on feature `fi` → `01 80 (01+fi) s` on `tx`
 * with response (#0 0–10, #1 0–3).
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `meese` protocol. */
export const meese: ProtocolImplementation = {
  id: "meese",
  initialize() {
    return {
      vibrate: (f, s) => [write("tx", [0x01, 0x80, (0x01 + f.index) & 0xff, s & 0xff], true, f.id)],
    };
  },
};
