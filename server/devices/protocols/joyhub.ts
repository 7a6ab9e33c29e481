/**
 * JoyHub (`joyhub`, DEVICES.md §3.9): names `J-*`, 7/6-byte frames on `tx`, no response.
 *
 * - vibrate / rotate (|s|) / oscillate: store slot `fi` (0–3) and send every slot,
 *   `A0 03 l0 l1 l2 l3 AA` (protocol-constant CID, so several motors in one batching window
 *   collapse into the final packet);
 * - constrict: feature 4 → `A0 07 (s>0) 00 s FF`, other features → `A0 0D 00 00 s FF`;
 * - temperature / led / spray (on-off, 0–1): `A0 cmd 00 00 00 00` for 0, `A0 cmd 01 00 01 FF`
 *   otherwise, with cmd 04 / 14 / 24;
 * - spray on is followed 1 s later by an automatic spray off (`A0 24 00 00 00 00`) written
 *   straight to the hardware; the device layer's de-dup cache is then told the spray is at 0,
 *   so the same spray-on value again is sent, not dropped.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  type FeatureDefinition,
  type HardwareCommand,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the `A0 03` motor packet (carries every motor slot). */
export const JOYHUB_MOTORS_CID = "8c26f19a-b1a3-47a7-9a22-d9514b95e8fc";
/** Delay of the automatic spray off after a spray on. */
export const JOYHUB_SPRAY_OFF_MS = 1000;

const MOTOR_SLOTS = 4;
const SPRAY_OFF = [0xa0, 0x24, 0x00, 0x00, 0x00, 0x00];

/**
 * An on/off frame for command byte `cmd` (temperature 04, led 14, spray 24).
 *
 * @example
 * ```ts
 * import { joyhubSwitchFrame } from "./joyhub.ts";
 * console.assert(joyhubSwitchFrame(0x24, 1).join() === [0xa0, 0x24, 1, 0, 1, 0xff].join());
 * ```
 */
export function joyhubSwitchFrame(cmd: number, s: number): number[] {
  return s === 0 ? [0xa0, cmd, 0x00, 0x00, 0x00, 0x00] : [0xa0, cmd, 0x01, 0x00, 0x01, 0xff];
}

/** The `joyhub` protocol. */
export const joyhub: ProtocolImplementation = {
  id: "joyhub",
  initialize(ctx) {
    const slots = new Array<number>(MOTOR_SLOTS).fill(0);
    let sprayGeneration = 0;
    const motor = (f: FeatureDefinition, s: number): HardwareCommand[] => {
      // Upstream indexes a 4-slot array with `fi` and would panic past it; refuse instead.
      if (f.index >= MOTOR_SLOTS) {
        throw new ButtplugDeviceError(`JoyHub has no motor slot for feature ${f.index}`);
      }
      slots[f.index] = Math.abs(s) & 0xff;
      return [write("tx", [0xa0, 0x03, ...slots, 0xaa], false, JOYHUB_MOTORS_CID)];
    };
    const scheduleSprayOff = (generation: number, fi: number): void => {
      ctx.sleep(JOYHUB_SPRAY_OFF_MS)
        .then(async () => {
          // A later spray command restarts the 1 s window (upstream fires one off per command).
          if (generation !== sprayGeneration) return;
          await ctx.hardware.write("tx", Uint8Array.from(SPRAY_OFF), false);
          ctx.noteOutput(fi, "Spray", 0); // so the same spray value again is not de-duplicated
        })
        .catch(() => {/* the device went away: nothing left to switch off */});
    };
    return {
      vibrate: motor,
      rotate: motor,
      oscillate: motor,
      constrict: (f, s) => [
        write(
          "tx",
          f.index === 4
            ? [0xa0, 0x07, s > 0 ? 0x01 : 0x00, 0x00, s & 0xff, 0xff]
            : [0xa0, 0x0d, 0x00, 0x00, s & 0xff, 0xff],
          false,
          f.id,
        ),
      ],
      temperature: (f, s) => [write("tx", joyhubSwitchFrame(0x04, s), false, f.id)],
      led: (f, s) => [write("tx", joyhubSwitchFrame(0x14, s), false, f.id)],
      spray(f, s) {
        const generation = ++sprayGeneration;
        // Upstream also schedules the off after a spray off; only a spray on needs one.
        if (s !== 0) scheduleSprayOff(generation, f.index);
        return [write("tx", joyhubSwitchFrame(0x24, s), false, f.id)];
      },
    };
  },
};
