/**
 * HTK breast massager (`htk_bm`, DEVICES.md §3.7): `tx` is the Immediate Alert characteristic
 * (`2a06`); two on/off motors (#0 left, #1 right) share a one-byte mode written without
 * response: both on `0B`, left only `0C`, right only `0D`, off `0F`. Protocol-constant CID.
 * Battery uses the default `rxblebattery` read.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/** CID of the mode byte. */
export const HTK_BM_CID = "3b7bf14e-8426-4cad-9dc6-f04c56e9fe2c";

/**
 * The mode byte for the left/right motor values.
 *
 * @example
 * ```ts
 * import { htkBmMode } from "./htk_bm.ts";
 * console.assert(htkBmMode(1, 1) === 0x0b && htkBmMode(1, 0) === 0x0c);
 * console.assert(htkBmMode(0, 1) === 0x0d && htkBmMode(0, 0) === 0x0f);
 * ```
 */
export function htkBmMode(left: number, right: number): number {
  if (left !== 0 && right !== 0) return 0x0b;
  if (left !== 0) return 0x0c;
  if (right !== 0) return 0x0d;
  return 0x0f;
}

/**
 * The `htk_bm` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(definition.features[1], 1); // → tx 0D
 * ```
 */
export const htkBm: ProtocolImplementation = {
  id: "htk_bm",
  initialize(): ProtocolHandler {
    const values = [0, 0];
    return {
      vibrate(f, s) {
        if (f.index === 0 || f.index === 1) values[f.index] = s;
        return [write("tx", [htkBmMode(values[0], values[1])], false, HTK_BM_CID)];
      },
    };
  },
};
