/**
 * Youou (`youou`, DEVICES.md §3.9 "Youou"): names `VX001_*`, vibrate 0–255 on `tx` without
 * response, CID = the feature id. 17-byte frame
 * `AA 55 pid 02 03 01 s (s>0) x FF 00 00 00 00 00 00 00` where `pid` is a packet counter from 0
 * (+1 per frame, wrapping at 256) and `x` is the XOR of the first 8 bytes.
 *
 * Identify: the identifier is always `VX001_`. Upstream reports the protocol as `Youou`
 * (capitalised), so its config lookup fails and the device never connects (DEVICES.md §5.1);
 * we keep the config id `youou`.
 *
 * @module
 */
import { type Identification, type ProtocolImplementation, write } from "../protocol.ts";

/** The config identifier every Youou device reports. */
export const YOUOU_IDENTIFIER = "VX001_";

/**
 * Builds one Youou frame.
 *
 * @example
 * ```ts
 * import { yououFrame } from "./youou.ts";
 * const f = yououFrame(0, 0x80);
 * console.assert(f.length === 17 && f[8] === (0xaa ^ 0x55 ^ 0 ^ 2 ^ 3 ^ 1 ^ 0x80 ^ 1));
 * ```
 */
export function yououFrame(packetId: number, s: number): number[] {
  const head = [0xaa, 0x55, packetId & 0xff, 0x02, 0x03, 0x01, s & 0xff, s > 0 ? 0x01 : 0x00];
  const check = head.reduce((x, b) => x ^ b, 0);
  return [...head, check, 0xff, 0, 0, 0, 0, 0, 0, 0];
}

/** The `youou` protocol. */
export const youou: ProtocolImplementation = {
  id: "youou",
  identify(): Promise<Identification> {
    // Upstream returns protocol "Youou" here (a lookup bug); the lowercase id is the right one.
    return Promise.resolve({ identifier: YOUOU_IDENTIFIER });
  },
  initialize() {
    let packetId = 0;
    return {
      vibrate(f, s) {
        const frame = yououFrame(packetId, s);
        packetId = (packetId + 1) & 0xff;
        return [write("tx", frame, false, f.id)];
      },
    };
  },
};
