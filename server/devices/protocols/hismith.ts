/**
 * Hismith (`hismith`, `hismith-mini`, DEVICES.md §3.9): service `ffe5` (tx `ffe9`), model id in
 * `rxblemodel` (`ff96` in `ff90`). Every command is a 4-byte frame `hdr idx v (v+idx)` on `tx`
 * without response (u8 wrap), one per feature.
 *
 * Identify (both ids): read `rxblemodel` (128 bytes, 500 ms) → lowercase hex of all bytes
 * (`10 05` → `"1005"`). A `hismith` device whose id is not one of the legacy ids
 * {@linkcode HISMITH_LEGACY_IDS} is looked up — and driven — as `hismith-mini`.
 *
 * - `hismith` (header `AA`): oscillate → idx 04; vibrate → idx 04 for feature 0, 06 otherwise,
 *   and a level of 0 on a feature other than 0 is sent as `F0`.
 * - `hismith-mini` (header `CC`): oscillate → idx 03; vibrate → idx 05 when the device has fewer
 *   than two vibrate features or for feature 1, else 03; constrict → idx 05 when the first
 *   constrict feature is the device's second feature, else 03; rotate → `CC 03 |s| (|s|+3)`
 *   then the direction frame `CC 01 C0 C1` (s ≥ 0) or `CC 01 C1 C2` (s < 0); spray → `CC 0B 01 0C`.
 *
 * Spray is a one-shot pump trigger that ignores the level: upstream also sends it for level 0,
 * so every Stop squirted lube. Level 0 sends nothing here.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  type DeviceDefinition,
  featuresWithOutput,
  type Identification,
  type ProtocolContext,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** Model ids driven by the `hismith` (`AA`) encoder; any other id uses `hismith-mini`. */
export const HISMITH_LEGACY_IDS: readonly string[] = [
  "1001",
  "1002",
  "1003",
  "3001",
  "2001",
  "1006",
];
/** CID of the hismith-mini rotation direction frame. */
export const HISMITH_MINI_DIRECTION_CID = "94befc1a-9859-4bf6-99ee-5678c89237a7";

const MODEL_READ_TIMEOUT_MS = 500;

/** A `hdr idx v (v+idx)` frame (u8 arithmetic). */
export function hismithFrame(header: number, idx: number, value: number): number[] {
  const v = value & 0xff;
  return [header, idx, v, (v + idx) & 0xff];
}

/**
 * Reads the model id as lowercase hex.
 *
 * @throws {ButtplugDeviceError} when the read fails.
 */
export async function readHismithModel(ctx: ProtocolContext): Promise<string> {
  let data: Uint8Array;
  try {
    data = await ctx.hardware.read("rxblemodel", 128, MODEL_READ_TIMEOUT_MS);
  } catch (err) {
    throw new ButtplugDeviceError(`Hismith: cannot read the model id: ${(err as Error).message}`);
  }
  return [...data].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function hismithHandler(): ProtocolHandler {
  return {
    oscillate: (f, s) => [write("tx", hismithFrame(0xaa, 0x04, s), false, f.id)],
    vibrate(f, s) {
      const idx = f.index === 0 ? 0x04 : 0x06;
      const value = f.index !== 0 && s === 0 ? 0xf0 : s;
      return [write("tx", hismithFrame(0xaa, idx, value), false, f.id)];
    },
  };
}

/** The hismith-mini encoder for a definition. */
function hismithMiniHandler(definition: DeviceDefinition): ProtocolHandler {
  const dualVibe = featuresWithOutput(definition, "Vibrate").length >= 2;
  const constrictAt = definition.features.findIndex((f) => f.output?.Constrict !== undefined);
  const constrictIdx = constrictAt === 1 ? 0x05 : 0x03;
  return {
    oscillate: (f, s) => [write("tx", hismithFrame(0xcc, 0x03, s), false, f.id)],
    vibrate: (f, s) => [
      write("tx", hismithFrame(0xcc, !dualVibe || f.index === 1 ? 0x05 : 0x03, s), false, f.id),
    ],
    constrict: (f, s) => [write("tx", hismithFrame(0xcc, constrictIdx, s), false, f.id)],
    rotate: (f, s) => [
      write("tx", hismithFrame(0xcc, 0x03, Math.abs(s)), false, f.id),
      write(
        "tx",
        s >= 0 ? [0xcc, 0x01, 0xc0, 0xc1] : [0xcc, 0x01, 0xc1, 0xc2],
        false,
        HISMITH_MINI_DIRECTION_CID,
      ),
    ],
    spray: (f, s) => (s > 0 ? [write("tx", [0xcc, 0x0b, 0x01, 0x0c], false, f.id)] : []),
  };
}

/**
 * The `hismith-mini` protocol.
 *
 * @example
 * ```ts ignore
 * handler.constrict!(definition.features[0], 10); // Sinloli → tx CC 03 0A 0D
 * ```
 */
export const hismithMini: ProtocolImplementation = {
  id: "hismith-mini",
  async identify(ctx): Promise<Identification> {
    return { identifier: await readHismithModel(ctx) };
  },
  initialize(_ctx, definition): ProtocolHandler {
    return hismithMiniHandler(definition);
  },
};

/**
 * The `hismith` protocol.
 *
 * @example
 * ```ts ignore
 * handler.oscillate!(definition.features[0], 50); // Thrusting Cup → tx AA 04 32 36
 * ```
 */
export const hismith: ProtocolImplementation = {
  id: "hismith",
  async identify(ctx): Promise<Identification> {
    const identifier = await readHismithModel(ctx);
    if (HISMITH_LEGACY_IDS.includes(identifier)) return { identifier };
    return { identifier, protocol: hismithMini.id, initialize: hismithMini.initialize };
  },
  initialize(): ProtocolHandler {
    return hismithHandler();
  },
};
