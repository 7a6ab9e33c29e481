/**
 * Synchro (`synchro`, DEVICES.md §3.7): names `Shinkuro`, `synchro2`, `synchro EX`; one signed
 * rotator (−6..6). Frame on `tx` without response, CID = the feature id:
 * `A1 01 (|s| | (s<0 ? 80 : 00)) 77 55` — bit 7 of the speed byte selects counter-clockwise.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The speed byte of a Synchro frame: magnitude with bit 7 set for counter-clockwise.
 *
 * @example
 * ```ts
 * import { synchroSpeedByte } from "./synchro.ts";
 * console.assert(synchroSpeedByte(3) === 0x03);
 * console.assert(synchroSpeedByte(-6) === 0x86);
 * ```
 */
export function synchroSpeedByte(s: number): number {
  return (Math.abs(s) | (s < 0 ? 0x80 : 0x00)) & 0xff;
}

/** The `synchro` protocol. */
export const synchro: ProtocolImplementation = {
  id: "synchro",
  initialize(): ProtocolHandler {
    return {
      rotate: (f, s) => [write("tx", [0xa1, 0x01, synchroSpeedByte(s), 0x77, 0x55], false, f.id)],
    };
  },
};
