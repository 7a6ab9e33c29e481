/**
 * Amorelie Joy (`amorelie-joy`, DEVICES.md §3.7): initialize writes `03` to `tx` (without
 * response); vibrate → `01 01 s` on `tx` without response (range 0–100), one packet per feature.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The `amorelie-joy` protocol.
 *
 * @example
 * ```ts ignore
 * const handler = await amorelieJoy.initialize(ctx, definition); // writes tx 03
 * handler.vibrate!(definition.features[0], 50); // → tx 01 01 32
 * ```
 */
export const amorelieJoy: ProtocolImplementation = {
  id: "amorelie-joy",
  async initialize(ctx): Promise<ProtocolHandler> {
    await ctx.hardware.write("tx", Uint8Array.from([0x03]), false);
    return { vibrate: (f, s) => [write("tx", [0x01, 0x01, s & 0xff], false, f.id)] };
  },
};
