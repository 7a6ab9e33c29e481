/**
 * Youcups (`youcups`, DEVICES.md §3.7): name `Youcups` (Warrior II), vibrate 0–8 on `tx` without
 * response, CID = the feature id. ASCII command `$SYS,<s>?` (decimal, no padding).
 *
 * @module
 */
import { type ProtocolImplementation, writeText } from "../protocol.ts";

/** The `youcups` protocol. */
export const youcups: ProtocolImplementation = {
  id: "youcups",
  initialize() {
    return {
      vibrate: (f, s) => [writeText("tx", `$SYS,${s & 0xff}?`, false, f.id)],
    };
  },
};
