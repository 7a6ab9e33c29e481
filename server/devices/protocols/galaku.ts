/**
 * Galaku (`galaku`, `galaku-pump`, DEVICES.md §3.9): service `00001000-…`, tx `1001`, battery
 * `1002`. Frames are 12 bytes: `23` + 10 payload bytes + checksum (Σ of the previous bytes mod
 * 256), then enciphered with a table-driven stream cipher ({@linkcode galakuEncipher}).
 *
 * - `galaku`, one output: payload `5A 00 00 01 31 s 00 00 00 00`; the `AC695X_1(BLE)` pump
 *   instead takes the plain 16 bytes `AA 01 0A 03 s (s>0) 00×10`. Two or more outputs: slots by
 *   feature index, payload `5A 00 00 01 40 03 v0 v1 00 00`. Written without response.
 * - `galaku` battery: subscribe `rxblebattery`, write (with response) the enciphered request
 *   `5A 00 00 01 13 00 00 00 00 00`, report byte 0 of the next `rxblebattery` notification.
 * - `galaku-pump` (V415 Nebula): plaintext `23 5A 00 00 01 60 03 osc vib 00 00` + checksum,
 *   enciphered, with response; oscillate is byte 7 and vibrate byte 8 whatever the feature index.
 *
 * Upstream has no rotate encoder although one config (G339) declares a rotate output; that
 * output is unidirectional (0–100), so we encode it like the others (its slot value).
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  type FeatureDefinition,
  type HardwareCommand,
  outputFeatures,
  type ProtocolContext,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the multi-output packet. */
export const GALAKU_CID = "766d15d5-0f43-4768-a73a-96ff48bc389e";
/** CID of the galaku-pump packet. */
export const GALAKU_PUMP_CID = "76c5ec59-eb57-4a49-abfe-71b3376dd811";
/** Name of the single-output pump that takes unenciphered frames. */
export const GALAKU_PLAIN_PUMP_NAME = "AC695X_1(BLE)";

const BATTERY_TIMEOUT_MS = 2000;

const KEY: readonly (readonly number[])[] = [
  [0x00, 0x18, 0x98, 0xf7, 0xa5, 0x3d, 0x0d, 0x29, 0x25, 0x50, 0x44, 0x46],
  [0x00, 0x45, 0x6e, 0x6a, 0x6f, 0x78, 0x20, 0x53, 0x2d, 0x31, 0x2e, 0x37],
  [0x00, 0x65, 0x78, 0x20, 0x54, 0x6f, 0x79, 0x73, 0x0a, 0x8e, 0x9d, 0xa3],
  [0x00, 0xc5, 0xd6, 0xe7, 0xf8, 0x0a, 0x32, 0x20, 0x6f, 0x62, 0x0d, 0x0a],
];

/**
 * Enciphers a 12-byte plaintext frame: `O[0] = P[0]`; for i ≥ 1 with
 * `k = KEY[O[i−1] & 3][i]`, `O[i] = ((k ^ P[0] ^ P[i]) + k) mod 256`.
 *
 * @example
 * ```ts
 * import { galakuEncipher, galakuFrame } from "./galaku.ts";
 * const frame = galakuEncipher(galakuFrame([0x5a, 0, 0, 1, 0x13, 0, 0, 0, 0, 0]));
 * console.assert(frame[1] === 0x81 && frame[11] === 0xc2);
 * ```
 */
export function galakuEncipher(plain: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(plain.length);
  out[0] = plain[0];
  for (let i = 1; i < plain.length; i++) {
    const k = KEY[out[i - 1] & 3][i];
    out[i] = ((k ^ plain[0] ^ plain[i]) + k) & 0xff;
  }
  return out;
}

/** The plaintext frame for a 10-byte payload: `23` ‖ payload ‖ checksum. */
export function galakuFrame(payload: readonly number[]): number[] {
  const frame = [0x23, ...payload.map((b) => b & 0xff)];
  return [...frame, frame.reduce((a, b) => a + b, 0) & 0xff];
}

const BATTERY_REQUEST = galakuEncipher(galakuFrame([0x5a, 0x00, 0x00, 0x01, 0x13, 0, 0, 0, 0, 0]));

async function readBattery(ctx: ProtocolContext, subscribed: { done: boolean }): Promise<number> {
  if (!subscribed.done) {
    await ctx.hardware.subscribe("rxblebattery");
    subscribed.done = true;
  }
  using replies = ctx.listenNotifications("rxblebattery");
  await ctx.hardware.write("tx", BATTERY_REQUEST, true);
  const reply = await replies.next(BATTERY_TIMEOUT_MS);
  if (!reply || reply.data.length < 1) {
    throw new ButtplugDeviceError("Galaku did not report its battery level");
  }
  return reply.data[0];
}

function galakuHandler(ctx: ProtocolContext, features: FeatureDefinition[]): ProtocolHandler {
  let encode: (f: FeatureDefinition, s: number) => HardwareCommand[];
  if (features.length <= 1) {
    encode = ctx.hardware.name === GALAKU_PLAIN_PUMP_NAME
      ? (f, s) => {
        const data = new Uint8Array(16);
        data.set([0xaa, 0x01, 0x0a, 0x03, s & 0xff, s > 0 ? 1 : 0]);
        return [write("tx", data, false, f.id)];
      }
      : (f, s) => [
        write(
          "tx",
          galakuEncipher(galakuFrame([0x5a, 0, 0, 0x01, 0x31, s, 0, 0, 0, 0])),
          false,
          f.id,
        ),
      ];
  } else {
    const slots = [0, 0];
    encode = (f, s) => {
      if (f.index === 0 || f.index === 1) slots[f.index] = s & 0xff;
      const payload = [0x5a, 0, 0, 0x01, 0x40, 0x03, slots[0], slots[1], 0, 0];
      return [write("tx", galakuEncipher(galakuFrame(payload)), false, GALAKU_CID)];
    };
  }
  const subscribed = { done: false };
  return {
    vibrate: encode,
    oscillate: encode,
    constrict: encode,
    rotate: (f, s) => encode(f, Math.abs(s)),
    readInput(_f, type, c) {
      if (type !== "Battery") {
        return Promise.reject(new ButtplugDeviceError(`Galaku cannot read ${type}`));
      }
      return readBattery(c, subscribed);
    },
  };
}

/**
 * The `galaku` protocol.
 *
 * @example
 * ```ts ignore
 * handler.vibrate!(feature, 100); // GX21 → tx 23 81 BB AB D2 EC 57 23 BB A3 3B 44
 * ```
 */
export const galaku: ProtocolImplementation = {
  id: "galaku",
  initialize(ctx, definition): ProtocolHandler {
    return galakuHandler(ctx, outputFeatures(definition));
  },
};

/**
 * The `galaku-pump` protocol.
 *
 * @example
 * ```ts ignore
 * handler.oscillate!(definition.features[0], 100); // → tx 23 81 BB AB D2 9B 44 97 BB A3 3B 76
 * ```
 */
export const galakuPump: ProtocolImplementation = {
  id: "galaku-pump",
  initialize(): ProtocolHandler {
    let oscillate = 0;
    let vibrate = 0;
    const packet = () => [
      write(
        "tx",
        galakuEncipher(galakuFrame([0x5a, 0, 0, 0x01, 0x60, 0x03, oscillate, vibrate, 0, 0])),
        true,
        GALAKU_PUMP_CID,
      ),
    ];
    return {
      oscillate(_f, s) {
        oscillate = s & 0xff;
        return packet();
      },
      vibrate(_f, s) {
        vibrate = s & 0xff;
        return packet();
      },
    };
  },
};
