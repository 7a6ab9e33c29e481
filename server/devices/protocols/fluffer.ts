/**
 * Fluffer (`fluffer`, DEVICES.md §3.9): matched by manufacturer company `0x684A`; every write
 * to `tx` (without response) is AES-128-ECB/PKCS#7 encrypted with the ASCII key
 * `jdk#Flu%y6fer32f`.
 *
 * - Identify: identifier = BLE name; keeps `A = [4A 68] ‖ data` of the `0x684A` manufacturer
 *   entry for initialize.
 * - Initialize: subscribe `rx`. With `A`: derive 4 bytes (`key = A[2] ^ A[1]`; walk `A[3]…`,
 *   at most 4 bytes, each XORed with `key` unless it is `00` or equal to `key`), pick 4 random
 *   bytes `R`, send enc(`A5 01 08` ‖ R ‖ SHA-256(R ‖ derived)[0..4]); the next notification must
 *   decrypt to `A5 01 01 00`, then send enc(`82 0E 02 00 01`). Anything else refuses the device.
 * - Outputs keep m0/m1 (feature 0/1): vibrate and oscillate `s`, rotate `s` (clockwise) or
 *   `|s| + 100` (counter-clockwise); packet enc(`82 0F 05 00 m0 m1 00 00`), protocol CID.
 * - Keepalive: hardware-required packet enc(`80 02 00`).
 *
 * Upstream waits forever for the handshake reply; we give up after
 * {@linkcode FLUFFER_AUTH_TIMEOUT_MS} so a silent device cannot hang the connection.
 *
 * @module
 */
import { loadNodeCrypto, nodeCrypto } from "./_node_crypto.ts";
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  type FeatureDefinition,
  type HardwareCommand,
  type Identification,
  type ProtocolContext,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the motor packet (and the keepalive). */
export const FLUFFER_CID = "d3721a71-a81d-461a-b404-8599ce50c00b";
/** Manufacturer company id the device advertises. */
export const FLUFFER_COMPANY = 0x684a;
/** How long initialize waits for the authentication reply. */
export const FLUFFER_AUTH_TIMEOUT_MS = 5000;

const KEY = new TextEncoder().encode("jdk#Flu%y6fer32f");

/**
 * AES-128-ECB/PKCS#7 encryption with the Fluffer key.
 *
 * @example
 * ```ts
 * import { flufferEncrypt } from "./fluffer.ts";
 * console.assert(flufferEncrypt([0x82, 0x0f, 0x05, 0x00, 100, 0, 0, 0])[0] === 0x34);
 * ```
 */
export function flufferEncrypt(plain: ArrayLike<number>): Uint8Array {
  const cipher = nodeCrypto().createCipheriv("aes-128-ecb", KEY, null);
  return new Uint8Array([...cipher.update(Uint8Array.from(plain)), ...cipher.final()]);
}

/** AES-128-ECB/PKCS#7 decryption; `undefined` when the data is not a valid ciphertext. */
export function flufferDecrypt(data: ArrayLike<number>): Uint8Array | undefined {
  try {
    const decipher = nodeCrypto().createDecipheriv("aes-128-ecb", KEY, null);
    return new Uint8Array([...decipher.update(Uint8Array.from(data)), ...decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * The 4 bytes derived from the advertisement bytes `A` (company id little-endian ‖ data).
 *
 * @example
 * ```ts
 * import { flufferDerive } from "./fluffer.ts";
 * // key = 0x10 ^ 0x68 = 0x78; 0x00 and 0x78 pass through unchanged.
 * console.assert(flufferDerive([0x4a, 0x68, 0x10, 0x01, 0x00, 0x78, 0x7f, 0x55]).join() === "121,0,120,7");
 * ```
 */
export function flufferDerive(adv: ArrayLike<number>): number[] {
  const out: number[] = [];
  if (adv.length < 3) return out;
  const key = adv[2] ^ adv[1];
  for (let i = 3; i < adv.length && out.length < 4; i++) {
    const b = adv[i];
    out.push(b !== 0 && b !== key ? b ^ key : b);
  }
  return out;
}

const enc = (plain: number[]): HardwareCommand =>
  write("tx", flufferEncrypt(plain), false, FLUFFER_CID);

async function authenticate(ctx: ProtocolContext, adv: readonly number[]): Promise<void> {
  const random = crypto.getRandomValues(new Uint8Array(4));
  const digest = nodeCrypto().createHash("sha256").update(random).update(
    Uint8Array.from(flufferDerive(adv)),
  )
    .digest();
  using replies = ctx.listenNotifications("rx");
  await ctx.hardware.write(
    "tx",
    flufferEncrypt([0xa5, 0x01, 0x08, ...random, ...digest.subarray(0, 4)]),
    false,
  );
  const reply = await replies.next(FLUFFER_AUTH_TIMEOUT_MS);
  const plain = reply ? flufferDecrypt(reply.data) : undefined;
  if (!plain || plain.join() !== "165,1,1,0") {
    throw new ButtplugDeviceError(
      reply
        ? "Fluffer rejected the security handshake"
        : "Fluffer did not answer the security handshake",
    );
  }
  await ctx.hardware.write("tx", flufferEncrypt([0x82, 0x0e, 0x02, 0x00, 0x01]), false);
}

function handler(): ProtocolHandler {
  const motors = [0, 0];
  const set = (f: FeatureDefinition, value: number): HardwareCommand[] => {
    if (f.index === 0 || f.index === 1) motors[f.index] = value & 0xff;
    return [enc([0x82, 0x0f, 0x05, 0x00, motors[0], motors[1], 0x00, 0x00])];
  };
  return {
    keepalive: { kind: "hardware-required-packet", command: enc([0x80, 0x02, 0x00]) },
    vibrate: set,
    oscillate: set,
    rotate: (f, s) => set(f, s < 0 ? -s + 100 : s),
  };
}

async function initialize(
  ctx: ProtocolContext,
  adv: readonly number[] | undefined,
): Promise<ProtocolHandler> {
  await loadNodeCrypto();
  await ctx.hardware.subscribe("rx");
  if (adv && adv.length > 0) await authenticate(ctx, adv);
  return handler();
}

/**
 * The `fluffer` protocol.
 *
 * @example
 * ```ts ignore
 * const handler = await fluffer.initialize(ctx, definition); // subscribes rx (no manufacturer data)
 * handler.vibrate!(definition.features[0], 100); // → tx 34 86 9A 67 … (encrypted)
 * ```
 */
export const fluffer: ProtocolImplementation = {
  id: "fluffer",
  identify(ctx, advertisement): Promise<Identification> {
    const entry = advertisement.manufacturerData?.find((m) => m.company === FLUFFER_COMPANY);
    const adv = entry ? [FLUFFER_COMPANY & 0xff, FLUFFER_COMPANY >> 8, ...(entry.data ?? [])] : [];
    return Promise.resolve({
      identifier: ctx.hardware.name,
      initialize: (c) => initialize(c, adv),
    });
  },
  initialize(ctx): Promise<ProtocolHandler> {
    return initialize(ctx, undefined);
  },
};
