/**
 * Hgod (`hgod`, DEVICES.md §3.7): a vibration only lasts about 100 ms, so the encoder just
 * stores the level and a background loop writes `55 04 00 00 00 s` to `tx` (without response)
 * every 100 ms while the level is above 0. Stopping means no more packets: the device stops by
 * itself within ~100 ms (upstream behaviour; there is no documented stop frame, so none is
 * invented here). A write error ends the loop.
 *
 * @module
 */
import type { ProtocolHandler, ProtocolImplementation } from "../protocol.ts";

/** Period of the update loop. */
export const HGOD_PERIOD_MS = 100;

/**
 * The `hgod` protocol.
 *
 * @example
 * ```ts ignore
 * const handler = await hgod.initialize(ctx, definition);
 * handler.start!(ctx);
 * handler.vibrate!(definition.features[0], 5); // [] — the loop sends tx 55 04 00 00 00 05
 * ```
 */
export const hgod: ProtocolImplementation = {
  id: "hgod",
  initialize(): ProtocolHandler {
    let level = 0;
    return {
      vibrate(_f, s) {
        level = s & 0xff;
        return [];
      },
      start(ctx) {
        const loop = async (): Promise<void> => {
          while (!ctx.signal.aborted) {
            if (level > 0) {
              await ctx.hardware.write("tx", Uint8Array.from([0x55, 0x04, 0, 0, 0, level]), false);
            }
            await ctx.sleep(HGOD_PERIOD_MS);
          }
        };
        loop().catch(() => {/* ends with the device or on a write error */});
      },
    };
  },
};
