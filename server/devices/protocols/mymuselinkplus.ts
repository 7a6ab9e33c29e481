/**
 * MyMuse Link Plus (`mymuselinkplus`, DEVICES.md §3.7): one vibrator (0–3) on `tx`, without
 * response, CID = the feature id. `s > 0` → `AA 55 06 01 01 01 s FF`; `s = 0` →
 * `AA 55 06 AA 00 00 00 00`.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `mymuselinkplus` protocol. */
export const mymuselinkplus: ProtocolImplementation = {
  id: "mymuselinkplus",
  initialize() {
    return {
      vibrate: (f, s) => [
        write(
          "tx",
          s > 0
            ? [0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, s & 0xff, 0xff]
            : [0xaa, 0x55, 0x06, 0xaa, 0x00, 0x00, 0x00, 0x00],
          false,
          f.id,
        ),
      ],
    };
  },
};
