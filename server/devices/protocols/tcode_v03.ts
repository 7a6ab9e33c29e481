/**
 * TCode v0.3 (`tcode-v03`, DEVICES.md §3.9): newline-terminated ASCII on `tx`, usually over a
 * serial port named in the user config (the base config only lists port `"default"`), with a
 * 20 ms message gap from the definition.
 *
 * - position `p` (0–1000): `L0<p:03>\nR0<p:03>\n` (both axes),
 * - hw position `p` with duration `d`: `L<fi><p:02>I<d>\n`,
 * - vibrate `s`: `V<fi><s:02>\n`.
 *
 * @module
 */
import { type ProtocolImplementation, writeText } from "../protocol.ts";

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/** The `tcode-v03` protocol. */
export const tcodeV03: ProtocolImplementation = {
  id: "tcode-v03",
  initialize() {
    return {
      position: (f, s) => [writeText("tx", `L0${pad(s, 3)}\nR0${pad(s, 3)}\n`, false, f.id)],
      hwPositionWithDuration: (f, s, durationMs) => [
        writeText("tx", `L${f.index}${pad(s, 2)}I${durationMs}\n`, false, f.id),
      ],
      vibrate: (f, s) => [writeText("tx", `V${f.index}${pad(s, 2)}\n`, false, f.id)],
    };
  },
};
