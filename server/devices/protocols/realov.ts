/**
 * Realov (`realov`, DEVICES.md §3.7): vibrate 0–50 as `C5 55 s AA` on `tx` without response,
 * CID = the feature id.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `realov` protocol. */
export const realov: ProtocolImplementation = {
  id: "realov",
  initialize() {
    return { vibrate: (f, s) => [write("tx", [0xc5, 0x55, s & 0xff, 0xaa], false, f.id)] };
  },
};
