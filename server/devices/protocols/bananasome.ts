/**
 * Bananasome (`bananasome`, DEVICES.md §3.7): one packet carries all three outputs,
 * `A0 03 v0 v1 v2` on `tx` without response, where `vN` is the last value of feature N
 * (#0 oscillate, #1 and #2 vibrate, 0–255). Protocol-constant CID, so updates of several
 * outputs in one batching window collapse into the final packet.
 *
 * @module
 */
import {
  type FeatureDefinition,
  type HardwareCommand,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the all-outputs packet. */
export const BANANASOME_CID = "fb1c1c1b-56bb-4f1b-bdad-a83c257c1ded";

/**
 * The `bananasome` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(definition.features[1], 128); // → tx A0 03 00 80 00
 * ```
 */
export const bananasome: ProtocolImplementation = {
  id: "bananasome",
  initialize(): ProtocolHandler {
    const values = [0, 0, 0];
    const set = (f: FeatureDefinition, s: number): HardwareCommand[] => {
      if (f.index >= 0 && f.index < values.length) values[f.index] = s & 0xff;
      return [write("tx", [0xa0, 0x03, ...values], false, BANANASOME_CID)];
    };
    return { vibrate: set, oscillate: set };
  },
};
