/**
 * Kiiroo v2 (`kiiroo-v2`, DEVICES.md §3.9): the Fleshlight Launch and Kiiroo Onyx 2.
 *
 * Init writes `00` to `firmware` with response (switches the Launch into command mode). Each
 * hardware position `p` (0–99) with duration `d` becomes `p speed` on `tx`, where `speed` comes
 * from the Launch speed curve for the distance from the previous position.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";
import { LaunchTracker } from "./fleshlight_launch.ts";

/** The `kiiroo-v2` protocol. */
export const kiirooV2: ProtocolImplementation = {
  id: "kiiroo-v2",
  async initialize(ctx) {
    await ctx.hardware.write("firmware", Uint8Array.from([0x00]), true);
    const launch = new LaunchTracker();
    return {
      hwPositionWithDuration(f, s, durationMs) {
        const speed = launch.move(s, durationMs);
        return [write("tx", [s & 0xff, speed], false, f.id)];
      },
    };
  },
};
