/**
 * Picobong (`picobong`, DEVICES.md §3.7): vibrate 0–10 as `01 m s` on `tx` without response,
 * where the mode byte `m` is `01` while running and `FF` for stop. CID = the feature id.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `picobong` protocol. */
export const picobong: ProtocolImplementation = {
  id: "picobong",
  initialize() {
    return {
      vibrate: (f, s) => [write("tx", [0x01, s > 0 ? 0x01 : 0xff, s & 0xff], false, f.id)],
    };
  },
};
