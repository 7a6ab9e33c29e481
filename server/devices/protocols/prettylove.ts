/**
 * Pretty Love / Aogu (`prettylove`, DEVICES.md §3.7): BLE names `Aogu BLE *`. Identify always
 * yields the identifier `"Aogu BLE"` (the advertised names carry varying suffixes). Vibrate 0–3 as
 * `00 s` on `tx` with response, CID = the feature id.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The fixed config identifier every Pretty Love device is looked up under. */
export const PRETTYLOVE_IDENTIFIER = "Aogu BLE";

/** The `prettylove` protocol. */
export const prettylove: ProtocolImplementation = {
  id: "prettylove",
  identify() {
    return Promise.resolve({ identifier: PRETTYLOVE_IDENTIFIER });
  },
  initialize() {
    return { vibrate: (f, s) => [write("tx", [0x00, s & 0xff], true, f.id)] };
  },
};
