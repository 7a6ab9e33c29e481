/**
 * Lovehoney Desire (`lovehoney-desire`, DEVICES.md §3.7): frames on `tx` with response.
 *
 * One motor: `F3 00 s`. Two motors (last values kept): equal values → `F3 00 v` (both at once),
 * otherwise `F3 01 v0` then `F3 02 v1`. Two protocol constants are used as CIDs: P1 on
 * `F3 00 s` / `F3 01 v0`, P2 on `F3 02 v1`; the combined `F3 00 v` carries both, so it replaces
 * any pending per-motor frame.
 *
 * @module
 */
import { outputFeatures, type ProtocolImplementation, write } from "../protocol.ts";

/** CID of the first-motor (and combined) frame. */
export const LOVEHONEY_DESIRE_CID_1 = "13a5b058-8e41-4469-ac75-de1558223f05";
/** CID of the second-motor (and combined) frame. */
export const LOVEHONEY_DESIRE_CID_2 = "194bdb17-0f67-427d-9151-b4fda464b46e";

/** The `lovehoney-desire` protocol. */
export const lovehoneyDesire: ProtocolImplementation = {
  id: "lovehoney-desire",
  initialize(_ctx, definition) {
    const motors = outputFeatures(definition).map((f) => f.index);
    const speeds = new Map<number, number>(motors.map((i) => [i, 0]));
    const both = [LOVEHONEY_DESIRE_CID_1, LOVEHONEY_DESIRE_CID_2];
    return {
      vibrate(f, s) {
        const v = s & 0xff;
        if (motors.length < 2) return [write("tx", [0xf3, 0x00, v], true, LOVEHONEY_DESIRE_CID_1)];
        speeds.set(f.index, v);
        const v0 = speeds.get(motors[0]) ?? 0;
        const v1 = speeds.get(motors[1]) ?? 0;
        if (v0 === v1) return [write("tx", [0xf3, 0x00, v0], true, both)];
        return [
          write("tx", [0xf3, 0x01, v0], true, LOVEHONEY_DESIRE_CID_1),
          write("tx", [0xf3, 0x02, v1], true, LOVEHONEY_DESIRE_CID_2),
        ];
      },
    };
  },
};
