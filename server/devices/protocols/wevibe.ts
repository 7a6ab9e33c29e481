/**
 * The WeVibe family (DEVICES.md §3.9): 8-byte packets carrying both motors, written to `tx`
 * with response. One protocol-constant CID per family, so updates to both motors inside one
 * batching window collapse into the final packet. Single-motor devices use motor 0's value
 * for both nibbles/bytes.
 *
 * - `wevibe` (4-bit, 0–15): init writes `0F 03 00 99 00 03 00 00`, `0F 00 00 00 00 00 00 00`;
 *   packet `0F 03 00 (v0<<4 | v1) 00 03 00 00`.
 * - `wevibe-8bit` (0–12/22/27): packet `0F 03 00 (v1+3) (v0+3) st 00 00`.
 * - `wevibe-chorus` (0–30): packet `0F 03 00 v0 v1 st 00 00`.
 *
 * `st` = (v1 > 0 ? 2 : 0) | (v0 > 0 ? 1 : 0); both motors at 0 → `0F 00 00 00 00 00 00 00`.
 *
 * @module
 */
import {
  type DeviceDefinition,
  featuresWithOutput,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

const OFF = [0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

/** A two-motor handler whose packet is built from (v0, v1) by `encode`. */
function twoMotor(
  definition: DeviceDefinition,
  cid: string,
  encode: (v0: number, v1: number) => number[],
): ProtocolHandler {
  const motors = featuresWithOutput(definition, "Vibrate").map((f) => f.index);
  const values = new Map<number, number>(motors.map((i) => [i, 0]));
  return {
    vibrate(f, s) {
      values.set(f.index, s);
      const v0 = values.get(motors[0]) ?? 0;
      const v1 = motors.length > 1 ? values.get(motors[1]) ?? 0 : v0;
      const data = v0 === 0 && v1 === 0 ? OFF : encode(v0, v1);
      return [write("tx", data, true, cid)];
    },
  };
}

const status = (v0: number, v1: number): number => (v1 > 0 ? 2 : 0) | (v0 > 0 ? 1 : 0);

/** `wevibe`: 4-bit motors, init handshake. */
export const wevibe: ProtocolImplementation = {
  id: "wevibe",
  async initialize(ctx, definition) {
    await ctx.hardware.write(
      "tx",
      Uint8Array.from([0x0f, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00]),
      true,
    );
    await ctx.hardware.write("tx", Uint8Array.from(OFF), true);
    return twoMotor(
      definition,
      "wevibe-motors",
      (v0, v1) => [0x0f, 0x03, 0x00, ((v0 & 0x0f) << 4) | (v1 & 0x0f), 0x00, 0x03, 0x00, 0x00],
    );
  },
};

/** `wevibe-8bit`: 8-bit motors with a +3 offset. */
export const wevibe8bit: ProtocolImplementation = {
  id: "wevibe-8bit",
  initialize(_ctx, definition) {
    return twoMotor(
      definition,
      "wevibe-8bit-motors",
      (v0, v1) => [0x0f, 0x03, 0x00, (v1 + 3) & 0xff, (v0 + 3) & 0xff, status(v0, v1), 0x00, 0x00],
    );
  },
};

/** `wevibe-chorus`: 8-bit motors without offset. */
export const wevibeChorus: ProtocolImplementation = {
  id: "wevibe-chorus",
  initialize(_ctx, definition) {
    return twoMotor(
      definition,
      "wevibe-chorus-motors",
      (v0, v1) => [0x0f, 0x03, 0x00, v0 & 0xff, v1 & 0xff, status(v0, v1), 0x00, 0x00],
    );
  },
};
