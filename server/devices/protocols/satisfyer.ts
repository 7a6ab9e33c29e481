/**
 * Satisfyer (`satisfyer`, DEVICES.md §3.9): names `SF *` or manufacturer company 93.
 *
 * Identify: the first advertised manufacturer entry with data, else a read of `rxblemodel`;
 * exactly 4 bytes → the big-endian u32 in decimal (`00 00 27 B0` → `"10160"`), otherwise
 * `"0"`. Initialize: `01` to `command` with response. Encoding: one value per output feature,
 * each repeated 4 times, to `tx` without response (protocol-constant CID). Timed keepalive
 * every 3 s (so the device layer also stops every motor right after connecting).
 *
 * @module
 */
import {
  type Identification,
  outputFeatures,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

const MODEL_READ_TIMEOUT_MS = 500;

/** Config identifier from model bytes. */
export function satisfyerIdentifier(bytes: ArrayLike<number>): string {
  if (bytes.length !== 4) return "0";
  return String(((bytes[0] << 24) >>> 0) + (bytes[1] << 16) + (bytes[2] << 8) + bytes[3]);
}

/** The `satisfyer` protocol. */
export const satisfyer: ProtocolImplementation = {
  id: "satisfyer",
  async identify(ctx, advertisement): Promise<Identification> {
    const entry = advertisement.manufacturerData?.find((m) => m.data !== undefined);
    if (entry?.data) return { identifier: satisfyerIdentifier(entry.data) };
    const model = await ctx.hardware.read("rxblemodel", 128, MODEL_READ_TIMEOUT_MS);
    return { identifier: satisfyerIdentifier(model) };
  },
  async initialize(ctx, definition) {
    await ctx.hardware.write("command", Uint8Array.from([0x01]), true);
    const motors = outputFeatures(definition).map((f) => f.index);
    const values = new Map<number, number>(motors.map((i) => [i, 0]));
    return {
      keepalive: { kind: "repeat-last-with-timing", ms: 3000 },
      vibrate(f, s) {
        values.set(f.index, s);
        const data = [...values.values()].flatMap((v) => [v, v, v, v]);
        return [write("tx", data, false, "satisfyer-motors")];
      },
    };
  },
};
