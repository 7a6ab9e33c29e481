/**
 * Patoo (`patoo`, DEVICES.md §3.7): names `PTVEA*`, `PBT*`, `PCS*`, `PHT*` (model letters followed
 * by digits that vary per unit).
 *
 * Identify: the identifier is the name up to its first ASCII digit (`PBT0123` → `PBT`). Upstream
 * reports the protocol as `"Patoo"` (capital P), which matches no config key and so never finds a
 * definition (DEVICES.md §5.1); this implementation keeps the config id `patoo`.
 *
 * Every vibrate command writes two packets, both with response: the speed byte to `tx` and a mode
 * byte to `txmode`. Motor 0 drives the speed with mode `04`; when motor 0 is at 0 the mode is `00`,
 * and if motor 1 (Patoo Devil) runs, its value is the speed with mode `80`. Each endpoint has its
 * own protocol-constant CID so the two packets never replace each other, while a newer update
 * inside one batching window replaces both.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** CID of the speed packet on `tx`. */
export const PATOO_TX_CID = "6aea37a1-0f4c-46be-80f5-9eed7b61768a";
/** CID of the mode packet on `txmode`. */
export const PATOO_MODE_CID = "10285240-efa7-438e-8d17-8f8e0eb192e9";

/**
 * The config identifier of a Patoo name: everything before the first ASCII digit.
 *
 * @example
 * ```ts
 * import { patooIdentifier } from "./patoo.ts";
 * console.assert(patooIdentifier("PTVEA0A12") === "PTVEA");
 * ```
 */
export function patooIdentifier(name: string): string {
  const digit = name.search(/[0-9]/);
  return digit < 0 ? name : name.slice(0, digit);
}

/** The `patoo` protocol. */
export const patoo: ProtocolImplementation = {
  id: "patoo",
  identify(ctx) {
    return Promise.resolve({ identifier: patooIdentifier(ctx.hardware.name) });
  },
  initialize() {
    const speeds = [0, 0];
    return {
      vibrate(f, s) {
        if (f.index === 0 || f.index === 1) speeds[f.index] = s & 0xff;
        let speed = speeds[0];
        let mode = 0x04;
        if (speed === 0) {
          mode = 0x00;
          if (speeds[1] !== 0) {
            speed = speeds[1];
            mode = 0x80;
          }
        }
        return [
          write("tx", [speed], true, PATOO_TX_CID),
          write("txmode", [mode], true, PATOO_MODE_CID),
        ];
      },
    };
  },
};
