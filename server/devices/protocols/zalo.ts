/**
 * Zalo (`zalo`, DEVICES.md §3.7): names `ZALO-Queen`, `ZALO-King`, `ZALO-Jeanne`; one or two
 * vibrators 0–8. Every frame carries both motors (last values; a single-motor device sends 0 for
 * the second), written to `tx` with response, CID = the feature id (as upstream):
 * `(v0=0 and v1=0 ? 02 : 01) (v0=0 ? 01 : v0) (v1=0 ? 01 : v1)`.
 *
 * @module
 */
import { featuresWithOutput, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * A Zalo frame for the motor values `v0`, `v1`.
 *
 * @example
 * ```ts
 * import { zaloFrame } from "./zalo.ts";
 * console.assert(zaloFrame(4, 0).join() === "1,4,1");
 * console.assert(zaloFrame(0, 0).join() === "2,1,1");
 * ```
 */
export function zaloFrame(v0: number, v1: number): number[] {
  return [
    v0 === 0 && v1 === 0 ? 0x02 : 0x01,
    v0 === 0 ? 0x01 : v0 & 0xff,
    v1 === 0 ? 0x01 : v1 & 0xff,
  ];
}

/** The `zalo` protocol. */
export const zalo: ProtocolImplementation = {
  id: "zalo",
  initialize(_ctx, definition) {
    const motors = featuresWithOutput(definition, "Vibrate").map((f) => f.index);
    const values = new Map<number, number>(motors.map((i) => [i, 0]));
    return {
      vibrate(f, s) {
        values.set(f.index, s);
        const v0 = values.get(motors[0]) ?? 0;
        const v1 = motors.length > 1 ? values.get(motors[1]) ?? 0 : 0;
        return [write("tx", zaloFrame(v0, v1), true, f.id)];
      },
    };
  },
};
