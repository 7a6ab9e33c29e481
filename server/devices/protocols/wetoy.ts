/**
 * WeToy (`wetoy`, DEVICES.md §3.7): name `WeToy` (MiNa), vibrate 0–3 on `tx`, every write with
 * response, CID = the feature id. Initialize writes `80 03` (off); a command writes `80 03` for
 * 0, otherwise `B2 (s−1)`.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

const OFF = [0x80, 0x03];

/** The `wetoy` protocol. */
export const wetoy: ProtocolImplementation = {
  id: "wetoy",
  async initialize(ctx) {
    await ctx.hardware.write("tx", Uint8Array.from(OFF), true);
    return {
      vibrate: (f, s) => [write("tx", s === 0 ? OFF : [0xb2, (s - 1) & 0xff], true, f.id)],
    };
  },
};
