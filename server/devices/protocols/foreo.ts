/**
 * Foreo (`foreo`, DEVICES.md §3.7): `01 mode s` on `tx` with response (range 0–10). The mode
 * byte depends on the lowercase BLE name: `03` if it contains both "smart" and "2" (LUNA play
 * smart 2), else `01` if it contains "fofo" or "ufo", else `00`.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The mode byte for a BLE name.
 *
 * @example
 * ```ts
 * import { foreoMode } from "./foreo.ts";
 * console.assert(foreoMode("LUNA play smart2") === 3);
 * console.assert(foreoMode("UFO mini") === 1);
 * console.assert(foreoMode("LUNA 4") === 0);
 * ```
 */
export function foreoMode(name: string): number {
  const lower = name.toLowerCase();
  if (lower.includes("smart") && lower.includes("2")) return 0x03;
  if (lower.includes("fofo") || lower.includes("ufo")) return 0x01;
  return 0x00;
}

/**
 * The `foreo` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(feature, 5); // "FOFO" → tx 01 01 05 (with response)
 * ```
 */
export const foreo: ProtocolImplementation = {
  id: "foreo",
  initialize(ctx): ProtocolHandler {
    const mode = foreoMode(ctx.hardware.name);
    return { vibrate: (f, s) => [write("tx", [0x01, mode, s & 0xff], true, f.id)] };
  },
};
