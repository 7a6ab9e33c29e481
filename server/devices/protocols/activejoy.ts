/**
 * ActiveJoy (`activejoy`, DEVICES.md §3.7): `B0 01 00 fi (s>0 ? 01 : 00) s` on `tx`, without
 * response, one packet per feature (CID = feature id).
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The `activejoy` protocol.
 *
 * @example
 * ```ts ignore
 * const handler = await activejoy.initialize(ctx, definition);
 * handler.vibrate!(definition.features[0], 128); // → tx B0 01 00 00 01 80
 * ```
 */
export const activejoy: ProtocolImplementation = {
  id: "activejoy",
  initialize(): ProtocolHandler {
    return {
      vibrate: (f, s) => [
        write("tx", [0xb0, 0x01, 0x00, f.index & 0xff, s > 0 ? 0x01 : 0x00, s & 0xff], false, f.id),
      ],
    };
  },
};
