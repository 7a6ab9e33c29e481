/**
 * Leten (`leten`, DEVICES.md §3.7): init writes `04 01` to `tx` with response; vibrate `s`
 * (0–25) → `02 s` with response. Timed keepalive: the last packet is repeated after 1 s of
 * idleness (so the device layer also stops the motor right after connecting).
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `leten` protocol. */
export const leten: ProtocolImplementation = {
  id: "leten",
  async initialize(ctx) {
    await ctx.hardware.write("tx", Uint8Array.from([0x04, 0x01]), true);
    return {
      keepalive: { kind: "repeat-last-with-timing", ms: 1000 },
      vibrate: (f, s) => [write("tx", [0x02, s & 0xff], true, f.id)],
    };
  },
};
