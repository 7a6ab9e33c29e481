/**
 * The Libo family (DEVICES.md §3.7), service `6000`: `tx` (`6001`) and `txmode` (`6002`), one
 * byte per write, no response.
 *
 * - `libo-elle`: feature 1 (the shock channel) → `tx` one byte: `0` → `00`, 1–7 →
 *   `((s−1)<<4) | 1`, above 7 → `((s−8)<<4) | 4`; any other feature → `txmode` `s`.
 * - `libo-shark`: both motors in one byte `(v0<<4) | v1` on `tx` (protocol-constant CID).
 * - `libo-vibes`: feature 0 → `tx` `s`; feature 1 → `txmode` `s`. A single-motor device also
 *   gets `txmode 00` when motor 0 stops.
 *
 * Deliberate differences from upstream `libo-vibes` (DEVICES.md §5): upstream sends the extra
 * `txmode 00` on every device, which on two-motor devices (LaLa, Carlos, Selina) also stops
 * motor 1; and it gives every write one protocol-wide CID, so `[motor 0, motor 1]` in one
 * batching window would drop motor 0's `tx` write. Here the stop is sent only to single-motor
 * devices and the CID is per endpoint (`tx` / `txmode`), so only writes to the same channel
 * replace each other.
 *
 * @module
 */
import {
  featuresWithOutput,
  type HardwareCommand,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the Shark packet (both motors). */
export const LIBO_SHARK_CID = "59898b75-378b-4f37-ae42-5803f6c9d297";
/** CID of Vibes writes to `tx`. */
export const LIBO_VIBES_TX_CID = "cf5a2d77-0b01-42c3-84d7-4b2f2c8400b6";
/** CID of Vibes writes to `txmode`. */
export const LIBO_VIBES_TXMODE_CID = "777dd777-3d93-43ae-b2d0-dd31dfd17596";

/**
 * The Elle shock byte for level `s`.
 *
 * @example
 * ```ts
 * import { liboElleShock } from "./libo.ts";
 * console.assert(liboElleShock(7) === 0x61 && liboElleShock(8) === 0x04);
 * ```
 */
export function liboElleShock(s: number): number {
  if (s >= 1 && s <= 7) return (((s - 1) << 4) | 0x01) & 0xff;
  if (s > 7) return (((s - 8) << 4) | 0x04) & 0xff;
  return 0x00;
}

/** The `libo-elle` protocol. */
export const liboElle: ProtocolImplementation = {
  id: "libo-elle",
  initialize() {
    return {
      vibrate: (f, s) =>
        f.index === 1
          ? [write("tx", [liboElleShock(s)], false, f.id)]
          : [write("txmode", [s & 0xff], false, f.id)],
    };
  },
};

/** The `libo-shark` protocol. */
export const liboShark: ProtocolImplementation = {
  id: "libo-shark",
  initialize() {
    const speeds = [0, 0];
    return {
      vibrate(f, s) {
        speeds[f.index === 1 ? 1 : 0] = s & 0x0f;
        return [write("tx", [((speeds[0] << 4) | speeds[1]) & 0xff], false, LIBO_SHARK_CID)];
      },
    };
  },
};

/** The `libo-vibes` protocol. */
export const liboVibes: ProtocolImplementation = {
  id: "libo-vibes",
  initialize(_ctx, definition) {
    const singleMotor = featuresWithOutput(definition, "Vibrate").length < 2;
    return {
      vibrate(f, s): HardwareCommand[] {
        if (f.index === 1) return [write("txmode", [s & 0xff], false, LIBO_VIBES_TXMODE_CID)];
        const out = [write("tx", [s & 0xff], false, LIBO_VIBES_TX_CID)];
        if (s === 0 && singleMotor) out.push(write("txmode", [0x00], false, LIBO_VIBES_TXMODE_CID));
        return out;
      },
    };
  },
};
