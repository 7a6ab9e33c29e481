/**
 * Vibratissimo (`vibratissimo`, DEVICES.md §3.7): name `Vibratissimo`; one to three vibrators
 * plus a battery input (default read: byte 0 of `rxblebattery`).
 *
 * Identify: read `rxblemodel` (up to 128 bytes, 500 ms); the UTF-8 model string (`Licker`,
 * `Rabbit`, ...) is the config identifier. Upstream falls back to the BLE name only when the
 * bytes are not UTF-8 and fails the connection when the read itself fails; here a failed read
 * falls back to the name too, and trailing NUL padding is dropped so a padded model string still
 * finds its configuration.
 *
 * Vibrate: two writes without response, both with the feature id as CID: `03 FF` to `txmode`
 * (write mode), then one byte per vibrator (last values, config order) to `txvibrate`, padded
 * with `00` when the device has a single vibrator.
 *
 * @module
 */
import {
  featuresWithOutput,
  type Identification,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

const MODEL_READ_LENGTH = 128;
const MODEL_READ_TIMEOUT_MS = 500;

/**
 * The config identifier from the `rxblemodel` bytes, or `undefined` when they are not UTF-8.
 *
 * @example
 * ```ts
 * import { vibratissimoModel } from "./vibratissimo.ts";
 * console.assert(vibratissimoModel(new TextEncoder().encode("Rabbit\0\0")) === "Rabbit");
 * console.assert(vibratissimoModel(Uint8Array.of(0xff, 0xfe)) === undefined);
 * ```
 */
export function vibratissimoModel(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/\0+$/, "");
  } catch {
    return undefined;
  }
}

/** The `vibratissimo` protocol. */
export const vibratissimo: ProtocolImplementation = {
  id: "vibratissimo",
  async identify(ctx): Promise<Identification> {
    let model: string | undefined;
    try {
      const bytes = await ctx.hardware.read("rxblemodel", MODEL_READ_LENGTH, MODEL_READ_TIMEOUT_MS);
      model = vibratissimoModel(bytes);
    } catch {
      model = undefined;
    }
    return { identifier: model ?? ctx.hardware.name };
  },
  initialize(_ctx, definition) {
    const motors = featuresWithOutput(definition, "Vibrate").map((f) => f.index);
    const speeds = new Map<number, number>(motors.map((i) => [i, 0]));
    return {
      vibrate(f, s) {
        speeds.set(f.index, s);
        const data = motors.map((i) => (speeds.get(i) ?? 0) & 0xff);
        if (data.length === 1) data.push(0x00);
        return [
          write("txmode", [0x03, 0xff], false, f.id),
          write("txvibrate", data, false, f.id),
        ];
      },
    };
  },
};
