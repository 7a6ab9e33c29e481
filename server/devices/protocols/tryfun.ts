/**
 * The TryFun family (DEVICES.md §3.9 "TryFun family"). Frames end with the check byte
 * `c(bytes, n0) = (FF − Σ bytes[1..] + n0 + count(bytes[1..])) mod 256`; every command carries
 * the feature id as CID.
 *
 * - `tryfun` (Yuan series; with response, n0 = 0): oscillate `AA 02 07 s c`, rotate
 *   `AA 02 08 s c`; "TF-SPRAY" vibrate
 *   `00 02 00 05 (s>0?02:01) (s>0?s:02) 01 (s>0?00:01) (FD − max(s,1))`.
 * - `tryfun-blackhole` (no response, n0 = 1): `pid 02 00 03 0C s c` oscillate,
 *   `pid 02 00 03 09 s c` vibrate.
 * - `tryfun-meta2` (no response, n0 = 1): `pid 02 00 05 21 05 op v c` with op `0B` oscillate,
 *   `08` vibrate, `0E` rotate (v = two's complement of −(s+1) for s ≥ 0, of −s for s < 0).
 *
 * `pid` is a per-device packet counter from 0, +1 per frame (wrapping), shared by all outputs.
 *
 * @module
 */
import { type HardwareCommand, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * Appends the TryFun check byte to `bytes`.
 *
 * @example
 * ```ts
 * import { tryfunChecksum } from "./tryfun.ts";
 * console.assert(tryfunChecksum([0xaa, 0x02, 0x07, 0x05], 0) === 0xf4);
 * ```
 */
export function tryfunChecksum(bytes: readonly number[], n0: number): number {
  const rest = bytes.slice(1);
  const sum = rest.reduce((a, b) => a + (b & 0xff), 0);
  return (((0xff - sum + n0 + rest.length) % 256) + 256) % 256;
}

/** Bytes plus check byte. */
function framed(bytes: number[], n0: number): number[] {
  const data = bytes.map((b) => b & 0xff);
  return [...data, tryfunChecksum(data, n0)];
}

/** The Meta 2 rotation byte for a signed speed. */
export function meta2RotationByte(s: number): number {
  return (s >= 0 ? -(s + 1) : -s) & 0xff;
}

/** `tryfun`: Yuan series (oscillate + rotate) and Surge Pro "TF-SPRAY" (vibrate). */
export const tryfun: ProtocolImplementation = {
  id: "tryfun",
  initialize() {
    const cmd = (op: number, f: { id: string }, s: number): HardwareCommand[] => [
      write("tx", framed([0xaa, 0x02, op, s], 0), true, f.id),
    ];
    return {
      oscillate: (f, s) => cmd(0x07, f, s),
      rotate: (f, s) => cmd(0x08, f, s),
      vibrate: (f, s) => [
        write(
          "tx",
          [
            0x00,
            0x02,
            0x00,
            0x05,
            s > 0 ? 0x02 : 0x01,
            s > 0 ? s & 0xff : 0x02,
            0x01,
            s > 0 ? 0x00 : 0x01,
            (0xfd - Math.max(s, 1)) & 0xff,
          ],
          true,
          f.id,
        ),
      ],
    };
  },
};

/** `tryfun-blackhole`: Black Hole Plus (oscillate + vibrate) and Rock (vibrate only). */
export const tryfunBlackhole: ProtocolImplementation = {
  id: "tryfun-blackhole",
  initialize() {
    let pid = 0;
    const cmd = (op: number, f: { id: string }, s: number): HardwareCommand[] => {
      const data = framed([pid, 0x02, 0x00, 0x03, op, s], 1);
      pid = (pid + 1) & 0xff;
      return [write("tx", data, false, f.id)];
    };
    return {
      oscillate: (f, s) => cmd(0x0c, f, s),
      vibrate: (f, s) => cmd(0x09, f, s),
    };
  },
};

/** `tryfun-meta2`: Meta 2 (oscillate, vibrate, signed rotate). */
export const tryfunMeta2: ProtocolImplementation = {
  id: "tryfun-meta2",
  initialize() {
    let pid = 0;
    const cmd = (op: number, f: { id: string }, v: number): HardwareCommand[] => {
      const data = framed([pid, 0x02, 0x00, 0x05, 0x21, 0x05, op, v], 1);
      pid = (pid + 1) & 0xff;
      return [write("tx", data, false, f.id)];
    };
    return {
      oscillate: (f, s) => cmd(0x0b, f, s),
      vibrate: (f, s) => cmd(0x08, f, s),
      rotate: (f, s) => cmd(0x0e, f, meta2RotationByte(s)),
    };
  },
};
