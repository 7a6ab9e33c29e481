/**
 * Nintendo Joy-Con / Pro Controller (`nintendo-joycon`, DEVICES.md §3.9): HID 057E:2006 (L),
 * 2007 (R), 2009 (Pro); one vibrate output 0–1000 driving both HD-rumble actuators.
 *
 * Every write is a 64-byte HID output report to `tx` (without response):
 * `[0]` report id, `[1]` packet counter, `[2..6]` left rumble, `[6..10]` right rumble, `[10]`
 * subcommand, `[11..]` subcommand data.
 *
 * - Initialize: report `01` with subcommand `48` data `01` (enable vibration), zero rumble.
 * - The handler only records the amplitude (`s / 1000`) and returns no commands; a background
 *   loop writes a rumble-only report `10` every 15 ms with both rumbles at 200 Hz and that
 *   amplitude (or the stop pattern when the amplitude is ≤ 0.001), continuously, until the device
 *   goes away or a write fails.
 * - Packet counter: the public Joy-Con notes (dekuNukem, "Nintendo Switch Reverse Engineering",
 *   bluetooth_hid_notes) say it increments with every report and wraps within 0x0–0xF; upstream
 *   sends a constant `1` after the init's `0`. This implementation increments it as documented.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import type { ProtocolImplementation } from "../protocol.ts";

/** Period of the rumble loop (ms). */
export const JOYCON_LOOP_MS = 15;
/** Rumble frequency used for every amplitude (Hz). */
export const JOYCON_FREQUENCY_HZ = 200;

const REPORT_LENGTH = 0x40;
const f32 = Math.fround;

/** Rust's `f32 as u8`: truncate toward zero, saturate to 0–255, NaN → 0. */
function u8(x: number): number {
  if (Number.isNaN(x) || x <= 0) return 0;
  if (x >= 255) return 255;
  return Math.trunc(x);
}

/** Rust's `f32::round` (half away from zero), in single precision. */
function round(x: number): number {
  return f32(Math.sign(x) * Math.round(Math.abs(x)));
}

const log2 = (x: number): number => f32(Math.log2(f32(x)));

/**
 * The 4-byte HD-rumble encoding of one actuator (32-bit float math as upstream; float → u8 casts
 * saturate, `log2(0) = −∞` → 0). Frequency is clamped to 0–1252 Hz, amplitude to 0–1.799.
 *
 * @example
 * ```ts
 * import { joyconRumble } from "./nintendo_joycon.ts";
 * console.assert(joyconRumble(200, 0.5).join() === [0xa8, 0x88, 0x4a, 0x62].join());
 * console.assert(joyconRumble(0, 0).join() === [0x00, 0x00, 0x01, 0x40].join());
 * ```
 */
export function joyconRumble(
  frequency: number,
  amplitude: number,
): [number, number, number, number] {
  const freq = f32(Math.min(Math.max(frequency, 0), 1252));
  const amp = f32(Math.min(Math.max(amplitude, 0), 1.799));
  const ef = u8(round(f32(log2(f32(freq / 10)) * 32)));
  const hf = Math.max(ef - 0x60, 0) * 4;
  const lf = Math.max(ef - 0x41, 0) + 1;
  let ea: number;
  if (amp > f32(0.23)) {
    ea = u8(round(f32(log2(f32(amp * f32(8.7))) * 32)));
  } else if (amp > f32(0.12)) {
    ea = u8(round(f32(log2(f32(amp * 17)) * 16)));
  } else {
    ea = u8(round(f32(f32(f32(log2(amp) * 32) - 96) / f32(4 - f32(2 * amp)))));
  }
  const hfa = Math.min(ea * 2, 0x1fc);
  const lfa = Math.min(Math.trunc(ea / 2) + 64, 0x7f);
  return [hf & 0xff, (hfa + ((hf >> 8) & 0xff)) & 0xff, Math.min(lf + (lfa >> 8), 255), lfa];
}

/**
 * One 64-byte output report.
 *
 * @example
 * ```ts
 * import { joyconReport } from "./nintendo_joycon.ts";
 * const init = joyconReport(0x01, 0, undefined, 0x48, [0x01]);
 * console.assert(init.length === 64 && init[10] === 0x48 && init[11] === 0x01);
 * ```
 */
export function joyconReport(
  command: number,
  counter: number,
  rumble: readonly number[] | undefined,
  subcommand: number,
  data: readonly number[] = [],
): Uint8Array {
  const buf = new Uint8Array(REPORT_LENGTH);
  buf[0] = command;
  buf[1] = counter & 0x0f;
  if (rumble) {
    buf.set(rumble, 2);
    buf.set(rumble, 6);
  }
  buf[10] = subcommand;
  buf.set(data, 11);
  return buf;
}

/** The rumble of a vibrate value `s` (0–1000): 200 Hz at `s / 1000`, or the stop pattern. */
export function joyconRumbleFor(s: number): [number, number, number, number] {
  const amp = f32(s / 1000);
  return amp > f32(0.001) ? joyconRumble(JOYCON_FREQUENCY_HZ, amp) : joyconRumble(0, 0);
}

/** The `nintendo-joycon` protocol. */
export const nintendoJoycon: ProtocolImplementation = {
  id: "nintendo-joycon",
  async initialize(ctx) {
    try {
      await ctx.hardware.write("tx", joyconReport(0x01, 0, undefined, 0x48, [0x01]), false);
    } catch (err) {
      throw new ButtplugDeviceError(
        `Cannot initialize Joy-Con ${ctx.hardware.name}: ${(err as Error).message}`,
        0,
        { cause: err },
      );
    }
    let value = 0;
    return {
      vibrate(_f, s) {
        value = s;
        return [];
      },
      start(loopCtx) {
        const loop = async () => {
          let counter = 1;
          while (!loopCtx.signal.aborted) {
            const report = joyconReport(0x10, counter, joyconRumbleFor(value), 0x00);
            counter = (counter + 1) & 0x0f;
            await loopCtx.hardware.write("tx", report, false);
            await loopCtx.sleep(JOYCON_LOOP_MS);
          }
        };
        // Ends when the device goes away (sleep rejects) or a write fails, as upstream.
        loop().catch(() => {});
      },
    };
  },
};
