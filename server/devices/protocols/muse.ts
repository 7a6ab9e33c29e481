/**
 * Mu Se / Love Spouse (`muse`, DEVICES.md §3.8: config-only upstream), names `WB-ZDB-WST`
 * (Dream Lover Archer 2) and `WB-TDD` (Galaku Panty Vib), service `aaa0`, tx `aaa1`.
 *
 * Upstream has no implementation. The public protocol notes (buttplugio/stpihkal issue #65) say
 * control packets are two bytes `AA BB` on `tx`: `AA = 00` stops the motor; `BB = 00` makes `AA`
 * select a built-in pattern; any other `BB` makes `AA` a speed (01–0F, 09 effectively the
 * maximum) that holds for about one second. This implementation therefore uses speed mode only:
 * vibrate `s` (0–9) → `s 01`, stop → `00 00`, without response, CID = the feature id. Because a
 * speed lapses after ~1 s, a timed keepalive rewrites the last packet every 500 ms (the device
 * layer then also stops the motor right after connecting).
 *
 * Not verified on hardware: `BB = 01` is one of the "any other value" choices the notes allow.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** Keepalive period (ms): well inside the ~1 s a speed command lasts. */
export const MUSE_KEEPALIVE_MS = 500;

/** The `muse` protocol. */
export const muse: ProtocolImplementation = {
  id: "muse",
  initialize() {
    return {
      keepalive: { kind: "repeat-last-with-timing", ms: MUSE_KEEPALIVE_MS },
      vibrate: (f, s) => [write("tx", s > 0 ? [s & 0xff, 0x01] : [0x00, 0x00], false, f.id)],
    };
  },
};
