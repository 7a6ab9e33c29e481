/**
 * Pink Punch (`pink_punch`, DEVICES.md §3.7): vibrate 0–100 as `09 s` on `tx` with response,
 * CID = the feature id.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `pink_punch` protocol. */
export const pinkPunch: ProtocolImplementation = {
  id: "pink_punch",
  initialize() {
    return { vibrate: (f, s) => [write("tx", [0x09, s & 0xff], true, f.id)] };
  },
};
