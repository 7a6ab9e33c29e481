/**
 * Love Nuts (`lovenuts`, DEVICES.md §3.7): vibrate `s` (0–15) → `45 56 4F 4C` ("EVOL") + 10 ×
 * `(s | s<<4)` + `00 FF` on `tx`, no response.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The Love Nuts frame for level `s`.
 *
 * @example
 * ```ts
 * import { lovenutsFrame } from "./lovenuts.ts";
 * console.assert(lovenutsFrame(8)[4] === 0x88 && lovenutsFrame(8).length === 16);
 * ```
 */
export function lovenutsFrame(s: number): number[] {
  const level = ((s & 0x0f) << 4) | (s & 0x0f);
  return [0x45, 0x56, 0x4f, 0x4c, ...new Array<number>(10).fill(level), 0x00, 0xff];
}

/** The `lovenuts` protocol. */
export const lovenuts: ProtocolImplementation = {
  id: "lovenuts",
  initialize() {
    return { vibrate: (f, s) => [write("tx", lovenutsFrame(s), false, f.id)] };
  },
};
