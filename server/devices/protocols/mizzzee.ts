/**
 * The MizzZee family (DEVICES.md §3.7, §3.9): one vibrator, one write per command on `tx`,
 * CID = the feature id.
 *
 * - `mizzzee` (0–68): `69 96 03 01 (s>0) s`, without response.
 * - `mizzzee-v2` (0–68): `69 96 04 02 s 2C s`, without response.
 * - `mizzzee-v3` (0–1000): a 20-byte frame ({@linkcode mizzzeeV3Frame}) **with** response, and a
 *   timed keepalive of 200 ms (the device layer then also stops the motor right after connecting).
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** `mizzzee`: `69 96 03 01 (s>0) s`. */
export const mizzzee: ProtocolImplementation = {
  id: "mizzzee",
  initialize() {
    return {
      vibrate: (
        f,
        s,
      ) => [write("tx", [0x69, 0x96, 0x03, 0x01, s > 0 ? 1 : 0, s & 0xff], false, f.id)],
    };
  },
};

/** `mizzzee-v2`: `69 96 04 02 s 2C s`. */
export const mizzzeeV2: ProtocolImplementation = {
  id: "mizzzee-v2",
  initialize() {
    return {
      vibrate: (
        f,
        s,
      ) => [write("tx", [0x69, 0x96, 0x04, 0x02, s & 0xff, 0x2c, s & 0xff], false, f.id)],
    };
  },
};

const V3_BLOCK = [0x00, 0xfc, 0x00, 0xfe, 0x40, 0x01];

/**
 * The 20-byte `mizzzee-v3` frame for a vibrate value `s` in 0–1000 (DEVICES.md §3.9).
 *
 * `s = 0` is `03 12` and 18 zero bytes. Otherwise the motor word is
 * `m = (trunc((s/1000 × 0.7 + 0.3) × 1023) << 6) | 0x3C` (u16, little-endian), and the frame is
 * `03 12 F3 ‖ 00 FC 00 FE 40 01 ‖ m ‖ 00 FC 00 FE 40 01 ‖ m ‖ 00`. Upstream computes in 32-bit
 * floats; for every `s` in 1…1000 64-bit arithmetic truncates to the same integer.
 *
 * @example
 * ```ts
 * import { mizzzeeV3Frame } from "./mizzzee.ts";
 * const frame = mizzzeeV3Frame(1000);
 * console.assert(frame.length === 20 && frame[9] === 0xfc && frame[10] === 0xff);
 * ```
 */
export function mizzzeeV3Frame(s: number): number[] {
  if (s <= 0) return [0x03, 0x12, ...new Array<number>(18).fill(0)];
  const scale = Math.trunc(((s / 1000) * 0.7 + 0.3) * 1023);
  const m = ((scale << 6) | 0x3c) & 0xffff;
  const word = [m & 0xff, m >> 8];
  return [0x03, 0x12, 0xf3, ...V3_BLOCK, ...word, ...V3_BLOCK, ...word, 0x00];
}

/** `mizzzee-v3`: 20-byte frames with response, timed keepalive 200 ms. */
export const mizzzeeV3: ProtocolImplementation = {
  id: "mizzzee-v3",
  initialize() {
    return {
      keepalive: { kind: "repeat-last-with-timing", ms: 200 },
      vibrate: (f, s) => [write("tx", mizzzeeV3Frame(s), true, f.id)],
    };
  },
};
