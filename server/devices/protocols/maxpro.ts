/**
 * MaxPro 2 (`maxpro`, DEVICES.md §3.7): vibrate `s` (0–100) → `55 04 07 FF FF 3F s 5F s sum`
 * on `tx`, no response; `sum` = byte sum of the nine preceding bytes mod 256.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The MaxPro frame for level `s`.
 *
 * @example
 * ```ts
 * import { maxproFrame } from "./maxpro.ts";
 * console.assert(maxproFrame(50).at(-1) === 0x60);
 * ```
 */
export function maxproFrame(s: number): number[] {
  const body = [0x55, 0x04, 0x07, 0xff, 0xff, 0x3f, s & 0xff, 0x5f, s & 0xff];
  return [...body, body.reduce((sum, b) => sum + b, 0) & 0xff];
}

/** The `maxpro` protocol. */
export const maxpro: ProtocolImplementation = {
  id: "maxpro",
  initialize() {
    return { vibrate: (f, s) => [write("tx", maxproFrame(s), false, f.id)] };
  },
};
