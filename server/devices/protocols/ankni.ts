/**
 * Ankni / Roselex (`ankni`, DEVICES.md §3.7): vibrate (0–3) → 20 bytes `03 12 s` + 17×`00` on
 * `tx` with response, one packet per feature.
 *
 * Initialize: read `generic0` (the PnP ID characteristic, 16 bytes, 100 ms; a failed read
 * refuses the device). More than 6 bytes back → no handshake. Otherwise
 * `chk` = high byte of CRC-16/XMODEM over `01` ‖ the bytes read, then write (with response)
 * 20×`01` and `01 02` + 16×`chk` + `00 00`.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";
import { crc16Xmodem } from "./_crc16.ts";

const READ_TIMEOUT_MS = 100;

/**
 * The handshake check byte for the bytes read from `generic0`.
 *
 * @example
 * ```ts
 * import { ankniCheckByte } from "./ankni.ts";
 * console.assert(ankniCheckByte([0xa2, 0x31, 0x35, 0x53, 0x52, 0xd8]) === 0xc1);
 * ```
 */
export function ankniCheckByte(read: ArrayLike<number>): number {
  return crc16Xmodem([0x01, ...Array.from(read)]) >>> 8;
}

/**
 * The `ankni` protocol.
 *
 * @example
 * ```ts ignore
 * const handler = await ankni.initialize(ctx, definition); // handshake when the read is short
 * handler.vibrate!(definition.features[0], 2); // → tx 03 12 02 00… (20 bytes, with response)
 * ```
 */
export const ankni: ProtocolImplementation = {
  id: "ankni",
  async initialize(ctx): Promise<ProtocolHandler> {
    let read: Uint8Array;
    try {
      read = await ctx.hardware.read("generic0", 16, READ_TIMEOUT_MS);
    } catch (err) {
      throw new ButtplugDeviceError(`ankni: cannot read the device id: ${(err as Error).message}`);
    }
    if (read.length <= 6) {
      const chk = ankniCheckByte(read);
      await ctx.hardware.write("tx", new Uint8Array(20).fill(0x01), true);
      const second = new Uint8Array(20);
      second.set([0x01, 0x02]);
      second.fill(chk, 2, 18);
      await ctx.hardware.write("tx", second, true);
    }
    return {
      vibrate(f, s) {
        const data = new Uint8Array(20);
        data.set([0x03, 0x12, s & 0xff]);
        return [write("tx", data, true, f.id)];
      },
    };
  },
};
