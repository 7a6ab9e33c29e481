/**
 * Adrien Lastic (`adrienlastic`, DEVICES.md §3.7): matched by the advertised service
 * `00001320-…`; ASCII `MotorValue:NN;` on `tx` with response, `NN` = the value zero-padded to
 * two digits (range 0–16). One packet per feature.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, writeText } from "../protocol.ts";

/**
 * The `adrienlastic` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(feature, 8); // → tx "MotorValue:08;" (with response)
 * ```
 */
export const adrienlastic: ProtocolImplementation = {
  id: "adrienlastic",
  initialize(): ProtocolHandler {
    return {
      vibrate: (f, s) => [
        writeText("tx", `MotorValue:${String(s).padStart(2, "0")};`, true, f.id),
      ],
    };
  },
};
