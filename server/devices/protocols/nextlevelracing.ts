/**
 * Next Level Racing HF8 haptic gaming pad (`nextlevelracing`, DEVICES.md §3.7): serial at
 * 115200 baud (the port comes from a user config), eight vibrators (0–255). Each command writes
 * the ASCII line `M<fi><s>\r` (decimal, no padding) to `tx`; CID = the feature id. Serial has no
 * batching window, so every command is written as it comes.
 *
 * @module
 */
import { type ProtocolImplementation, writeText } from "../protocol.ts";

/** The `nextlevelracing` protocol. */
export const nextlevelracing: ProtocolImplementation = {
  id: "nextlevelracing",
  initialize() {
    return { vibrate: (f, s) => [writeText("tx", `M${f.index}${s}\r`, false, f.id)] };
  },
};
