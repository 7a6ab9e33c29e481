/**
 * Joyroid Loob (`loob`, DEVICES.md §3.9): init writes `00 01 01 F4` to `tx` with response.
 * A hardware position `p` (0–1000) with duration `d` ms becomes `p_hi p_lo d_hi d_lo`
 * (big-endian u16s) with `p` raised to at least 1 and `d` at least 1.
 *
 * Upstream keeps the low 16 bits of the duration, so durations above 65 535 ms (the config
 * allows 100 000) wrap around to short ones; here they are capped at 65 535 ms instead.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The Loob frame for position `p` over `durationMs`.
 *
 * @example
 * ```ts
 * import { loobFrame } from "./loob.ts";
 * console.assert(loobFrame(510, 200).join() === [0x01, 0xfe, 0x00, 0xc8].join());
 * ```
 */
export function loobFrame(p: number, durationMs: number): number[] {
  const pos = Math.min(Math.max(p, 1), 1000);
  const dur = Math.min(Math.max(durationMs, 1), 0xffff);
  return [pos >> 8, pos & 0xff, dur >> 8, dur & 0xff];
}

/** The `loob` protocol. */
export const loob: ProtocolImplementation = {
  id: "loob",
  async initialize(ctx) {
    await ctx.hardware.write("tx", Uint8Array.from([0x00, 0x01, 0x01, 0xf4]), true);
    return {
      hwPositionWithDuration: (f, s, durationMs) => [
        write("tx", loobFrame(s, durationMs), false, f.id),
      ],
    };
  },
};
