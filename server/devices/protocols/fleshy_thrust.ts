/**
 * Fleshy Thrust (`fleshy-thrust`, DEVICES.md §3.7): hardware position with duration →
 * `pos dur_hi dur_lo` on `tx` without response: the position (0–180) then the low 16 bits of the
 * duration in ms, big-endian.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The `fleshy-thrust` protocol.
 *
 * @example
 * ```ts ignore
 * handler.hwPositionWithDuration!(feature, 54, 1000); // → tx 36 03 E8
 * ```
 */
export const fleshyThrust: ProtocolImplementation = {
  id: "fleshy-thrust",
  initialize(): ProtocolHandler {
    return {
      hwPositionWithDuration: (f, s, durationMs) => [
        write("tx", [s & 0xff, (durationMs >>> 8) & 0xff, durationMs & 0xff], false, f.id),
      ],
    };
  },
};
