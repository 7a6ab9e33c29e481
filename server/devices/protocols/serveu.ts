/**
 * ServeU (`serveu`, DEVICES.md §3.9): name `ServeU`, one stroker axis driven by
 * `hw_position_with_duration` (position 0–100). Each move writes `01 p speed` to `tx` without
 * response (CID = the feature id), with the speed byte derived from the travel rate
 * ({@linkcode serveuSpeed}). The last position starts at 0 and follows every command.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The speed byte for a move from `last` to `position` in `durationMs`: with
 * `rate = ceil(|position − last| / (durationMs / 1000))` (units per second), rate ≤ 0.00001 → 0,
 * ≤ 50 → `ceil(rate / 2)`, ≤ 750 → `ceil((rate − 50) / 4) + 25`, ≤ 2000 →
 * `ceil((rate − 750) / 25) + 200`, otherwise (including a zero duration) 250.
 *
 * @example
 * ```ts
 * import { serveuSpeed } from "./serveu.ts";
 * console.assert(serveuSpeed(0, 30, 1000) === 15);
 * console.assert(serveuSpeed(30, 80, 200) === 75);
 * ```
 */
export function serveuSpeed(last: number, position: number, durationMs: number): number {
  const rate = Math.ceil(Math.abs(position - last) / (durationMs / 1000));
  // NaN (0 / 0) fails every comparison and ends up at the maximum, as upstream does.
  if (rate <= 0.00001) return 0;
  if (rate <= 50) return Math.ceil(rate / 2);
  if (rate <= 750) return Math.ceil((rate - 50) / 4) + 25;
  if (rate <= 2000) return Math.ceil((rate - 750) / 25) + 200;
  return 0xfa;
}

/** The `serveu` protocol. */
export const serveu: ProtocolImplementation = {
  id: "serveu",
  initialize() {
    let last = 0;
    return {
      hwPositionWithDuration(f, s, durationMs) {
        const speed = serveuSpeed(last, s, durationMs);
        last = s;
        return [write("tx", [0x01, s & 0xff, speed], false, f.id)];
      },
    };
  },
};
