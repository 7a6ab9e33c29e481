/**
 * VibCrafter (`vibcrafter`, DEVICES.md §3.7): names `be gentle`, `Janna`, `Hayden`, `Nidalee`;
 * one or two vibrators 0–99. Every message is ASCII text encrypted with AES-128-ECB / PKCS#7
 * under the key `jdk#Cra%f5Vib28r`, written to `tx` without response.
 *
 * Initialize (authentication): subscribe `rx`; send `Auth:<6 random alphanumerics>;`; then for
 * every notification (decrypted): `OK;` → authenticated; a challenge `XXXX:<token>;` (4
 * alphanumerics, colon, alphanumerics) → answer `Auth:<hhhh>;` where `hhhh` is the first two
 * bytes of SHA-256(token) in lowercase hex, and keep waiting; anything else → refuse the device.
 * Upstream waits forever for each reply (and panics on undecryptable data); here a reply must
 * come within {@linkcode VIBCRAFTER_REPLY_TIMEOUT_MS} and bad data refuses the device cleanly.
 *
 * Vibrate: `MtInt:AABB;` with AA = motor 0, BB = motor 1 (last values, two digits, zero-padded),
 * CID = the feature id (as upstream).
 *
 * @module
 */
import { loadNodeCrypto, nodeCrypto } from "./_node_crypto.ts";
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/** The AES-128 key (ASCII). */
const KEY = new TextEncoder().encode("jdk#Cra%f5Vib28r");
/** How long the handshake waits for each device reply (ms). */
export const VIBCRAFTER_REPLY_TIMEOUT_MS = 3000;
/** Most challenge rounds accepted before giving up (upstream: unbounded). */
const MAX_ROUNDS = 8;
const CHALLENGE = /^[a-zA-Z0-9]{4}:([a-zA-Z0-9]+);$/;
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * Encrypts a VibCrafter command (AES-128-ECB, PKCS#7).
 *
 * @example
 * ```ts
 * import { vibcrafterEncrypt } from "./vibcrafter.ts";
 * console.assert(vibcrafterEncrypt("MtInt:0510;").length === 16);
 * ```
 */
export function vibcrafterEncrypt(text: string): Uint8Array {
  const cipher = nodeCrypto().createCipheriv("aes-128-ecb", KEY, null);
  const head = cipher.update(new TextEncoder().encode(text));
  const tail = cipher.final();
  return Uint8Array.from([...head, ...tail]);
}

/**
 * Decrypts a VibCrafter message.
 *
 * @throws {ButtplugDeviceError} when the data is not a valid AES/PKCS#7 UTF-8 message.
 */
export function vibcrafterDecrypt(data: Uint8Array): string {
  try {
    const decipher = nodeCrypto().createDecipheriv("aes-128-ecb", KEY, null);
    const head = decipher.update(data);
    const tail = decipher.final();
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from([...head, ...tail]));
  } catch {
    throw new ButtplugDeviceError("VibCrafter: undecryptable message from the device");
  }
}

/**
 * The answer to an authentication challenge token: the first two bytes of SHA-256(token) in
 * lowercase hex.
 *
 * @example
 * ```ts
 * import { vibcrafterChallengeAnswer } from "./vibcrafter.ts";
 * console.assert(vibcrafterChallengeAnswer("abc") === "ba78"); // SHA-256("abc") = ba7816bf…
 * ```
 */
export function vibcrafterChallengeAnswer(token: string): string {
  return nodeCrypto().createHash("sha256").update(token).digest("hex").slice(0, 4);
}

/** Six random alphanumerics (the client nonce of `Auth:<nonce>;`). */
function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  // 62 symbols: the modulo bias is irrelevant for a nonce the device only echoes into a session.
  return Array.from(bytes, (b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join("");
}

/** Options of {@linkcode vibcrafterProtocol}. */
export interface VibcrafterOptions {
  /** Source of the 6-character `Auth:` nonce (tests inject a fixed one). */
  readonly nonce?: () => string;
}

/** Formats one motor value as two digits. */
const pad2 = (v: number): string => String(v).padStart(2, "0");

/**
 * Builds the VibCrafter protocol; {@linkcode vibcrafter} is the registered instance.
 *
 * @example
 * ```ts ignore
 * const fixed = vibcrafterProtocol({ nonce: () => "abc123" });
 * ```
 */
export function vibcrafterProtocol(options: VibcrafterOptions = {}): ProtocolImplementation {
  const nonce = options.nonce ?? randomNonce;
  return {
    id: "vibcrafter",
    async initialize(ctx): Promise<ProtocolHandler> {
      await loadNodeCrypto();
      await ctx.hardware.subscribe("rx");
      using replies = ctx.listenNotifications("rx");
      const send = (text: string) => ctx.hardware.write("tx", vibcrafterEncrypt(text), false);
      await send(`Auth:${nonce()};`);
      let authenticated = false;
      for (let round = 0; round < MAX_ROUNDS && !authenticated; round++) {
        const reply = await replies.next(VIBCRAFTER_REPLY_TIMEOUT_MS);
        if (!reply) throw new ButtplugDeviceError("VibCrafter: no reply to the authentication");
        const text = vibcrafterDecrypt(reply.data);
        if (text === "OK;") {
          authenticated = true;
          continue;
        }
        const challenge = CHALLENGE.exec(text);
        if (!challenge) {
          throw new ButtplugDeviceError("VibCrafter didn't provide a valid security handshake");
        }
        await send(`Auth:${vibcrafterChallengeAnswer(challenge[1])};`);
      }
      if (!authenticated) {
        throw new ButtplugDeviceError("VibCrafter: authentication did not complete");
      }
      const speeds = [0, 0];
      return {
        vibrate(f, s) {
          if (f.index === 0 || f.index === 1) speeds[f.index] = s;
          const text = `MtInt:${pad2(speeds[0])}${pad2(speeds[1])};`;
          return [write("tx", vibcrafterEncrypt(text), false, f.id)];
        },
      };
    },
  };
}

/** The `vibcrafter` protocol (random authentication nonce). */
export const vibcrafter: ProtocolImplementation = vibcrafterProtocol();
