/**
 * MonsterPub / Tracy's Dog (`monsterpub`, DEVICES.md §3.9): names `MonsterPub`, `MonsterHub`,
 * `TracyDog`.
 *
 * - Identify: read `rxblemodel` (32 bytes, 500 ms) → UTF-8 with NUL bytes removed is the
 *   identifier (`MP2_QC_TL_P1`, ...); `"Unknown"` (protocol defaults) when the read fails. A reply
 *   that is not UTF-8 refuses the device.
 * - Initialize (only when the device has `rx`): read `rx` (16 bytes, 200 ms; failure refuses the
 *   device). Byte 0 (0–3) picks a 15-byte key made by repeating `2IPO`, `LSBB`, `SIS6` or `TALK`;
 *   bytes 1–15 XOR the key are written back to **`rx`** with response (authentication).
 * - Output: one byte per output feature (slot = feature index, last values kept) to `txvibrate`
 *   if the device has it, else `tx`, else `generic0` (then prefixed with `03`). On `tx`, an
 *   all-zero packet goes to `txmode` with response instead. Other writes are without response.
 *   One protocol-constant CID.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  type HardwareCommand,
  type Identification,
  outputFeatures,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the all-motors packet. */
export const MONSTERPUB_CID = "7634b20a-d7fd-4c90-9d05-eb100de96141";

const MODEL_READ_TIMEOUT_MS = 500;
const AUTH_READ_TIMEOUT_MS = 200;
const AUTH_KEYS = ["2IPO", "LSBB", "SIS6", "TALK"];

/**
 * The authentication reply for the 16-byte challenge read from `rx`: bytes 1–15 XOR the key that
 * byte 0 selects.
 *
 * @throws {ButtplugDeviceError} when the challenge is shorter than 16 bytes or byte 0 is not 0–3.
 *
 * @example
 * ```ts
 * import { monsterpubAuthReply } from "./monsterpub.ts";
 * const challenge = [0, ...new Array(15).fill(0)];
 * console.assert(new TextDecoder().decode(Uint8Array.from(monsterpubAuthReply(challenge))) === "2IPO2IPO2IPO2IP");
 * ```
 */
export function monsterpubAuthReply(challenge: ArrayLike<number>): number[] {
  if (challenge.length < 16) {
    throw new ButtplugDeviceError(
      `MonsterPub authentication: expected 16 challenge bytes, got ${challenge.length}`,
    );
  }
  const key = AUTH_KEYS[challenge[0]];
  if (key === undefined) {
    throw new ButtplugDeviceError(
      `MonsterPub authentication: unknown key index ${challenge[0]} (expected 0-3)`,
    );
  }
  const out: number[] = [];
  for (let i = 0; i < 15; i++) out.push(challenge[i + 1] ^ key.charCodeAt(i % key.length));
  return out;
}

/** The `monsterpub` protocol. */
export const monsterpub: ProtocolImplementation = {
  id: "monsterpub",
  async identify(ctx): Promise<Identification> {
    let model: Uint8Array;
    try {
      model = await ctx.hardware.read("rxblemodel", 32, MODEL_READ_TIMEOUT_MS);
    } catch {
      return { identifier: "Unknown" };
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(model);
    } catch {
      throw new ButtplugDeviceError("MonsterPub model name is not UTF-8");
    }
    return { identifier: text.replaceAll("\0", "") };
  },
  async initialize(ctx, definition) {
    const hardware = ctx.hardware;
    if (hardware.endpoints.includes("rx")) {
      let challenge: Uint8Array;
      try {
        challenge = await hardware.read("rx", 16, AUTH_READ_TIMEOUT_MS);
      } catch (err) {
        throw new ButtplugDeviceError(
          `MonsterPub authentication read failed: ${(err as Error).message}`,
          0,
          { cause: err },
        );
      }
      await hardware.write("rx", Uint8Array.from(monsterpubAuthReply(challenge)), true);
    }
    const endpoint = ["txvibrate", "tx", "generic0"].find((e) => hardware.endpoints.includes(e));
    if (endpoint === undefined) {
      throw new ButtplugDeviceError("MonsterPub device has no txvibrate, tx or generic0 endpoint");
    }
    const values = new Map<number, number>(outputFeatures(definition).map((f) => [f.index, 0]));
    const set = (index: number, s: number): HardwareCommand[] => {
      values.set(index, s & 0xff);
      const motors = [...values.values()];
      if (endpoint === "generic0") {
        return [write("generic0", [0x03, ...motors], false, MONSTERPUB_CID)];
      }
      if (endpoint === "tx" && motors.every((v) => v === 0)) {
        return [write("txmode", motors, true, MONSTERPUB_CID)];
      }
      return [write(endpoint, motors, false, MONSTERPUB_CID)];
    };
    return {
      vibrate: (f, s) => set(f.index, s),
      oscillate: (f, s) => set(f.index, s),
    };
  },
};
