/**
 * Motorbunny (`motorbunny`, DEVICES.md §3.9): service `fff0`, frames on `tx` without response,
 * CID = the feature id.
 *
 * - vibrate (0–255): `s = 0` → `F0 00 00 00 00 EC`; otherwise `FF`, seven pairs `s 14`, the sum
 *   of those 14 bytes mod 256, `EC`.
 * - rotate (±255): `s = 0` → `A0 00 00 00 00 EC`; otherwise `AF`, seven pairs
 *   `(s ≥ 0 ? 2A : 29) |s|`, the sum of those 14 bytes mod 256, `EC`.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** `head`, seven copies of `pair`, their byte sum mod 256, `EC`. */
function frame(head: number, pair: readonly [number, number]): number[] {
  const body: number[] = [];
  for (let i = 0; i < 7; i++) body.push(...pair);
  const sum = body.reduce((a, b) => a + b, 0) & 0xff;
  return [head, ...body, sum, 0xec];
}

/**
 * The vibrate frame for `s` (0–255).
 *
 * @example
 * ```ts
 * import { motorbunnyVibrateFrame } from "./motorbunny.ts";
 * console.assert(motorbunnyVibrateFrame(100)[15] === 0x48);
 * ```
 */
export function motorbunnyVibrateFrame(s: number): number[] {
  if (s === 0) return [0xf0, 0x00, 0x00, 0x00, 0x00, 0xec];
  return frame(0xff, [s & 0xff, 0x14]);
}

/** The rotate frame for a signed `s` (−255…255; negative = counter-clockwise). */
export function motorbunnyRotateFrame(s: number): number[] {
  if (s === 0) return [0xa0, 0x00, 0x00, 0x00, 0x00, 0xec];
  return frame(0xaf, [s >= 0 ? 0x2a : 0x29, Math.abs(s) & 0xff]);
}

/** The `motorbunny` protocol. */
export const motorbunny: ProtocolImplementation = {
  id: "motorbunny",
  initialize() {
    return {
      vibrate: (f, s) => [write("tx", motorbunnyVibrateFrame(s), false, f.id)],
      rotate: (f, s) => [write("tx", motorbunnyRotateFrame(s), false, f.id)],
    };
  },
};
