/**
 * Nobra's Silicone Dreams (`nobra`, DEVICES.md §3.7): BLE (`tx`) or serial at 19200 baud (the
 * port comes from a user config), one byte per command, without response, CID = the feature id.
 * Vibrate 0–15: `s = 0` → `70`, otherwise `60 + s`. Initialize writes `70` (motor off).
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

const OFF = 0x70;

/** The `nobra` protocol. */
export const nobra: ProtocolImplementation = {
  id: "nobra",
  async initialize(ctx) {
    await ctx.hardware.write("tx", Uint8Array.of(OFF), false);
    return {
      vibrate: (f, s) => [write("tx", [s === 0 ? OFF : (0x60 + s) & 0xff], false, f.id)],
    };
  },
};
