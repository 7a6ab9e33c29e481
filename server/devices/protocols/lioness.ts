/**
 * Lioness (`lioness`, DEVICES.md §3.7): init subscribes `rx` and writes `01 AA AA BB CC 10` to
 * `tx` with response (a failure there usually means the OS pairing is missing: PIN 6496);
 * vibrate `s` (0–100) → `02 AA BB CC CC s`.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `lioness` protocol. */
export const lioness: ProtocolImplementation = {
  id: "lioness",
  async initialize(ctx) {
    await ctx.hardware.subscribe("rx");
    try {
      await ctx.hardware.write("tx", Uint8Array.from([0x01, 0xaa, 0xaa, 0xbb, 0xcc, 0x10]), true);
    } catch (err) {
      throw new ButtplugDeviceError(
        "Lioness may need pairing with the OS first: use PIN 6496 (or 006496) when pairing",
        0,
        { cause: err },
      );
    }
    return {
      vibrate: (f, s) => [write("tx", [0x02, 0xaa, 0xbb, 0xcc, 0xcc, s & 0xff], false, f.id)],
    };
  },
};
