/**
 * Aneros (`aneros`, DEVICES.md §3.9): name `Massage Demo`; each motor (0–127) is its own packet
 * `(F1 + fi) s` on `tx` without response.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The `aneros` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(definition.features[1], 64); // → tx F2 40
 * ```
 */
export const aneros: ProtocolImplementation = {
  id: "aneros",
  initialize(): ProtocolHandler {
    return { vibrate: (f, s) => [write("tx", [(0xf1 + f.index) & 0xff, s & 0xff], false, f.id)] };
  },
};
