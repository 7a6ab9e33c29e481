/**
 * Sakuraneko (`sakuraneko`, DEVICES.md §3.7): 12-byte frames on `tx` without response, CID = the
 * feature id.
 *
 * - vibrate (0–100): `A1 08 01 00 00 00 64 s 00 64 DF 55`,
 * - rotate (0–100, one direction; Koikoi): `A2 08 01 00 00 00 64 s 00 32 DF 55`.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `sakuraneko` protocol. */
export const sakuraneko: ProtocolImplementation = {
  id: "sakuraneko",
  initialize() {
    return {
      vibrate: (f, s) => [
        write(
          "tx",
          [0xa1, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, s & 0xff, 0x00, 0x64, 0xdf, 0x55],
          false,
          f.id,
        ),
      ],
      rotate: (f, s) => [
        write(
          "tx",
          [0xa2, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, Math.abs(s) & 0xff, 0x00, 0x32, 0xdf, 0x55],
          false,
          f.id,
        ),
      ],
    };
  },
};
