/**
 * Xiuxiuda (`xiuxiuda`, DEVICES.md §3.7): names `XXD-Lush*`, vibrate 0–19 on `tx` without
 * response, CID = the feature id. Frame `00 00 00 00 65 3A 30 s 64`.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `xiuxiuda` protocol. */
export const xiuxiuda: ProtocolImplementation = {
  id: "xiuxiuda",
  initialize() {
    return {
      vibrate: (f, s) => [
        write("tx", [0x00, 0x00, 0x00, 0x00, 0x65, 0x3a, 0x30, s & 0xff, 0x64], false, f.id),
      ],
    };
  },
};
