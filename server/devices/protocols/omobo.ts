/**
 * Omobo ViVegg (`omobo`, DEVICES.md §3.7): vibrate 0–100 as `A1 04 04 01 s FF 55` on `tx` with
 * response, CID = the feature id.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `omobo` protocol. */
export const omobo: ProtocolImplementation = {
  id: "omobo",
  initialize() {
    return {
      vibrate: (f, s) => [write("tx", [0xa1, 0x04, 0x04, 0x01, s & 0xff, 0xff, 0x55], true, f.id)],
    };
  },
};
