/**
 * Love Distance (`lovedistance`, DEVICES.md §3.7): init writes `F3 00 00` then `F4 01` to `tx`;
 * vibrate `s` (0–121) → `F3 00 s`. No response.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `lovedistance` protocol. */
export const lovedistance: ProtocolImplementation = {
  id: "lovedistance",
  async initialize(ctx) {
    await ctx.hardware.write("tx", Uint8Array.from([0xf3, 0x00, 0x00]), false);
    await ctx.hardware.write("tx", Uint8Array.from([0xf4, 0x01]), false);
    return { vibrate: (f, s) => [write("tx", [0xf3, 0x00, s & 0xff], false, f.id)] };
  },
};
