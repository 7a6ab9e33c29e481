/**
 * Nexus Revo (`nexus-revo`, DEVICES.md §3.7): writes on `tx` with response, CID = the feature id.
 *
 * - vibrate (0–10): `AA 01 01 00 01 s`,
 * - rotate (±2): `AA 01 02 00 r 00` with `r = |s| + 2` clockwise (s > 0), `r = |s|` otherwise
 *   (so 0 stops, 1–2 turn one way, 3–4 the other).
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** The `nexus-revo` protocol. */
export const nexusRevo: ProtocolImplementation = {
  id: "nexus-revo",
  initialize() {
    return {
      vibrate: (f, s) => [write("tx", [0xaa, 0x01, 0x01, 0x00, 0x01, s & 0xff], true, f.id)],
      rotate: (f, s) => [
        write(
          "tx",
          [0xaa, 0x01, 0x02, 0x00, (Math.abs(s) + (s > 0 ? 2 : 0)) & 0xff, 0x00],
          true,
          f.id,
        ),
      ],
    };
  },
};
