/**
 * The Cowgirl Cone (`cowgirl-cone`, DEVICES.md §3.7): initialize writes `AA 56 00 00` to `tx`
 * (without response) and then waits 3 s for the device to settle; vibrate (0–128) →
 * `F1 01 s 00` on `tx` without response, one packet per feature.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/** How long the device needs after the wake-up packet. */
export const COWGIRL_CONE_SETTLE_MS = 3000;

/**
 * The `cowgirl-cone` protocol.
 *
 * @example
 * ```ts ignore
 * const handler = await cowgirlCone.initialize(ctx, definition); // tx AA 56 00 00, waits 3 s
 * handler.vibrate!(definition.features[0], 64); // → tx F1 01 40 00
 * ```
 */
export const cowgirlCone: ProtocolImplementation = {
  id: "cowgirl-cone",
  async initialize(ctx): Promise<ProtocolHandler> {
    await ctx.hardware.write("tx", Uint8Array.from([0xaa, 0x56, 0x00, 0x00]), false);
    await ctx.sleep(COWGIRL_CONE_SETTLE_MS);
    return { vibrate: (f, s) => [write("tx", [0xf1, 0x01, s & 0xff, 0x00], false, f.id)] };
  },
};
