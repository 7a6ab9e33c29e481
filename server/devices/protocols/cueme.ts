/**
 * Cueme (`cueme`, names `FUNCODE_*`; config-only upstream, DEVICES.md §3.8). Implemented from the
 * public facts of the earlier Buttplug C# implementation of this protocol:
 *
 * - Identify: the name split on `_`; with exactly three parts the third is the identifier
 *   (`FUNCODE_xxxx_3` → `"3"`, "Cueme Womans"), otherwise the protocol defaults.
 * - The device drives one motor at a time: a single byte `((motor + 1) << 4) | level` on `tx`
 *   without response (level 0–15; motor = position among the vibrate features); `00` stops.
 * - With several motors running, the handler alternates between them, switching to the next
 *   running motor every 500 ms (background loop writing directly to `tx`).
 *
 * A changed level is shown at once (the byte for the motor that changed); a motor set to 0
 * hands over to the next running one. Protocol-constant CID: the byte is the whole device state.
 *
 * @module
 */
import {
  featuresWithOutput,
  type Identification,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the motor byte. */
export const CUEME_CID = "c24bacc6-b77d-4bc8-9523-afd6b69abf69";
/** How long each running motor is driven before the next one takes over. */
export const CUEME_ALTERNATE_MS = 500;

/**
 * The byte driving `motor` (0-based) at `level` (0–15).
 *
 * @example
 * ```ts
 * import { cuemeByte } from "./cueme.ts";
 * console.assert(cuemeByte(0, 8) === 0x18 && cuemeByte(3, 15) === 0x4f && cuemeByte(2, 0) === 0);
 * ```
 */
export function cuemeByte(motor: number, level: number): number {
  return level === 0 ? 0x00 : (((motor + 1) & 0x0f) << 4) | (level & 0x0f);
}

/**
 * The `cueme` protocol.
 *
 * @example
 * ```ts ignore
 * const handler = await cueme.initialize(ctx, definition);
 * handler.start!(ctx);
 * handler.vibrate!(definition.features[0], 8); // → tx 18
 * handler.vibrate!(definition.features[1], 4); // → tx 24, then 18 / 24 alternate every 500 ms
 * ```
 */
export const cueme: ProtocolImplementation = {
  id: "cueme",
  identify(ctx): Promise<Identification> {
    const parts = ctx.hardware.name.split("_");
    return Promise.resolve(parts.length === 3 ? { identifier: parts[2] } : {});
  },
  initialize(_ctx, definition): ProtocolHandler {
    const motors = featuresWithOutput(definition, "Vibrate");
    const slot = new Map(motors.map((f, i) => [f.index, i]));
    const levels = motors.map(() => 0);
    let current = 0;
    /** The next running motor after `from` (cyclic), or `from` itself when it is the only one. */
    const nextRunning = (from: number): number | undefined => {
      for (let step = 1; step <= levels.length; step++) {
        const i = (from + step) % levels.length;
        if (levels[i] > 0) return i;
      }
      return undefined;
    };
    const byte = (): number[] => [cuemeByte(current, levels[current] ?? 0)];
    return {
      vibrate(f, s) {
        const i = slot.get(f.index);
        if (i === undefined) return [];
        levels[i] = s;
        if (s > 0) current = i;
        else if (levels[current] === 0) current = nextRunning(current) ?? 0;
        return [write("tx", byte(), false, CUEME_CID)];
      },
      start(ctx) {
        const loop = async (): Promise<void> => {
          while (!ctx.signal.aborted) {
            await ctx.sleep(CUEME_ALTERNATE_MS);
            const next = nextRunning(current);
            if (next === undefined || next === current) continue;
            current = next;
            await ctx.hardware.write("tx", Uint8Array.from(byte()), false);
          }
        };
        loop().catch(() => {/* ends with the device or on a write error */});
      },
    };
  },
};
