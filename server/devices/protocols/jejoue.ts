/**
 * Je Joue (`jejoue`, DEVICES.md §3.7): two motors (0–5) driven by one `pattern speed` packet on
 * `tx` without response, built from the stored values v0 (#0) and v1 (#1):
 * v0 > 0 → `02 v0` (pattern 2 runs motor 0 only, so v1 is ignored while v0 runs);
 * v0 = 0 and v1 > 0 → `03 v1`; both 0 → `01 00`. Protocol-constant CID.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/** CID of the pattern packet. */
export const JEJOUE_CID = "b972f079-3d12-4380-a9a2-38fef4058790";

/**
 * The packet for motor values v0 and v1.
 *
 * @example
 * ```ts
 * import { jejouePacket } from "./jejoue.ts";
 * console.assert(jejouePacket(3, 5).join() === "2,3");
 * console.assert(jejouePacket(0, 4).join() === "3,4");
 * console.assert(jejouePacket(0, 0).join() === "1,0");
 * ```
 */
export function jejouePacket(v0: number, v1: number): number[] {
  if (v0 > 0) return [0x02, v0 & 0xff];
  if (v1 > 0) return [0x03, v1 & 0xff];
  return [0x01, 0x00];
}

/**
 * The `jejoue` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(definition.features[0], 3); // → tx 02 03
 * ```
 */
export const jejoue: ProtocolImplementation = {
  id: "jejoue",
  initialize(): ProtocolHandler {
    const values = [0, 0];
    return {
      vibrate(f, s) {
        if (f.index === 0 || f.index === 1) values[f.index] = s;
        return [write("tx", jejouePacket(values[0], values[1]), false, JEJOUE_CID)];
      },
    };
  },
};
