/**
 * Kizuna Smart (`kizuna`, DEVICES.md §3.7): serial 19200 8N1. Rotate speed `s` (0–9) is sent as
 * the ASCII digit followed by CR LF (`'0' + s`, `0D 0A`) in one write to `tx`.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `kizuna` protocol. */
export const kizuna: ProtocolImplementation = {
  id: "kizuna",
  initialize() {
    return {
      // The config range is 0–9 (one direction); a signed value would only come from a user
      // config, so the magnitude is what is sent.
      rotate: (f, s) => [write("tx", [0x30 + Math.abs(s), 0x0d, 0x0a], false, f.id)],
    };
  },
};
