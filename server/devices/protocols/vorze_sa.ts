/**
 * Vorze SA (`vorze-sa`, DEVICES.md §3.9): 3-byte frames on `tx`, with response. The definition's
 * `protocol_variant` and the lowercase BLE name pick the sub-handler:
 *
 * | variant | name contains → device byte | frame |
 * | --- | --- | --- |
 * | vorze-sa-single-rotator | `cycsa` → 01, `ufo` → 02 | `dev 01 (dir<<7 \| \|s\|)` |
 * | vorze-sa-dual-rotator | — → 05 | `05 L R` (both rotators) |
 * | vorze-sa-single-vibrator | `bach` → 06, `rocket` → 07 | `dev 03 s` |
 * | vorze-sa-dual-vibrator | `omor` → 09 | `09 v0 v1` |
 * | vorze-sa-piston | — → 03 | `03 pos speed` |
 *
 * `dir` is 1 for clockwise (s ≥ 0). A name that fits no device byte, or an unknown/missing
 * variant, refuses the device.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  featuresWithOutput,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the dual-rotator frame. */
export const VORZE_DUAL_ROTATOR_CID = "013c2d1f-b3c0-4372-9cf6-e5fafd3b7631";
/** CID of the dual-vibrator frame. */
export const VORZE_DUAL_VIBRATOR_CID = "edfc1138-a6f7-4e5c-8f84-fc775b6da9d9";

const rotation = (s: number): number => ((s >= 0 ? 1 : 0) << 7) | Math.min(Math.abs(s), 127);

/** Piston speed for a move from `prev` to `pos` in `durationMs` (DEVICES.md §3.9). */
export function vorzePistonSpeed(prev: number, pos: number, durationMs: number): number {
  let distance = Math.abs(prev - pos);
  if (distance <= 0) return 100;
  distance = Math.min(distance, 200);
  const d = (200 * durationMs) / distance;
  const speed = Math.pow(d / 6658, -1.21);
  if (!Number.isFinite(speed)) return 100;
  return Math.trunc(Math.min(Math.max(speed, 0), 100));
}

function deviceByte(name: string, table: [string, number][], variant: string): number {
  const lower = name.toLowerCase();
  for (const [needle, byte] of table) if (lower.includes(needle)) return byte;
  throw new ButtplugDeviceError(`vorze-sa: device name "${name}" does not fit variant ${variant}`);
}

/** The `vorze-sa` protocol. */
export const vorzeSa: ProtocolImplementation = {
  id: "vorze-sa",
  initialize(ctx, definition): ProtocolHandler {
    const variant = definition.protocolVariant;
    const name = ctx.hardware.name;
    switch (variant) {
      case "vorze-sa-single-rotator": {
        const dev = deviceByte(name, [["cycsa", 0x01], ["ufo", 0x02]], variant);
        return { rotate: (f, s) => [write("tx", [dev, 0x01, rotation(s)], true, f.id)] };
      }
      case "vorze-sa-dual-rotator": {
        const [a, b] = featuresWithOutput(definition, "Rotate").map((f) => f.index);
        const values = new Map<number, number>([[a, 0], [b, 0]]);
        return {
          rotate(f, s) {
            values.set(f.index, s);
            const l = rotation(values.get(a) ?? 0);
            const r = rotation(values.get(b) ?? 0);
            return [write("tx", [0x05, l, r], true, VORZE_DUAL_ROTATOR_CID)];
          },
        };
      }
      case "vorze-sa-single-vibrator": {
        const dev = deviceByte(name, [["bach", 0x06], ["rocket", 0x07]], variant);
        return { vibrate: (f, s) => [write("tx", [dev, 0x03, s & 0xff], true, f.id)] };
      }
      case "vorze-sa-dual-vibrator": {
        const dev = deviceByte(name, [["omor", 0x09]], variant);
        const [a, b] = featuresWithOutput(definition, "Vibrate").map((f) => f.index);
        const values = new Map<number, number>([[a, 0], [b, 0]]);
        return {
          vibrate(f, s) {
            values.set(f.index, s);
            const data = [dev, (values.get(a) ?? 0) & 0xff, (values.get(b) ?? 0) & 0xff];
            return [write("tx", data, true, VORZE_DUAL_VIBRATOR_CID)];
          },
        };
      }
      case "vorze-sa-piston": {
        let prev = 0;
        return {
          hwPositionWithDuration(f, s, durationMs) {
            const speed = vorzePistonSpeed(prev, s, durationMs);
            prev = s;
            return [write("tx", [0x03, s & 0xff, speed], true, f.id)];
          },
        };
      }
      default:
        throw new ButtplugDeviceError(
          `vorze-sa: unknown protocol variant ${JSON.stringify(variant ?? null)} for "${name}"`,
        );
    }
  },
};
