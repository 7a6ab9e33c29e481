/**
 * ManNuo (`mannuo`, DEVICES.md §3.7): vibrate `s` (0–3) → `AA 55 06 01 01 01 s FA x` on `tx`
 * with response, `x` = XOR of the eight preceding bytes.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The ManNuo frame for level `s`.
 *
 * @example
 * ```ts
 * import { mannuoFrame } from "./mannuo.ts";
 * console.assert(mannuoFrame(3).at(-1) === 0x01);
 * ```
 */
export function mannuoFrame(s: number): number[] {
  const body = [0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, s & 0xff, 0xfa];
  return [...body, body.reduce((x, b) => x ^ b, 0)];
}

/** The `mannuo` protocol. */
export const mannuo: ProtocolImplementation = {
  id: "mannuo",
  initialize() {
    return { vibrate: (f, s) => [write("tx", mannuoFrame(s), true, f.id)] };
  },
};
