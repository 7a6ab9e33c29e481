/**
 * The Svakom family (DEVICES.md §3.7, §3.9 "Svakom family"): twenty small protocols, all writing
 * short frames to `tx` (service `ffe0`, or `ae00` for the Sam Neo), none with a handshake except
 * `svakom-sam` (subscribes `rx`). All use the default keepalive. Unless noted, writes are without
 * response and carry the feature id as CID ("F").
 *
 * | id | frame(s) |
 * | --- | --- |
 * | `svakom-alex` | `12 01 03 00 (s=0?FF:s) 00` |
 * | `svakom-alex-v2` | `55 03 03 00 s (s+5)` |
 * | `svakom-avaneo` | fi 0: `55 03 00 00 (s>0) s`; other vib `55 09 00 00 s FF`; other osc `55 08 00 00 s FF` |
 * | `svakom-barnard` | vib `55 03 00 00 s (s>0)`; osc `55 08 00 00 s (s>0?FF:00)` |
 * | `svakom-barney` | as `svakom-v4` with flag `03` |
 * | `svakom-dice` | `55 04 00 00 01 s AA` |
 * | `svakom-dt250a` | `55 mode 00 00 s flag` (vib fi 0 → 03, other vib → 08, constrict → 09) |
 * | `svakom-iker` | `55 03 03 00 01 v0` (+ `55 07 00 00 v1 00` when v1 > 0); both 0 → `55 07 00 00 00 00` |
 * | `svakom-jordan` | vib `55 03 00 00 (s>0) s 00`; osc `55 08 00 00 (s>0) s 00` |
 * | `svakom-pulse` | `55 03 03 00 (s>0) (s+1)` |
 * | `svakom-sam` | vib gen2 `12 01 03 00 (s>0?04:00) s`, gen1 `12 01 03 00 05 s`; constrict `12 06 01 s` |
 * | `svakom-sam2` | vib `55 03 00 00 (s>0?05:00) s 00`; constrict `55 09 00 00 (s>0) s 00`; with response |
 * | `svakom-suitcase` | fi 0: `55 03 00 00 intensity speed`; fi 1: `55 09 00 00 s 00` |
 * | `svakom-tarax` | fi 0: `55 03 00 00 (s=0?01:s) (s=0?01:02)`; fi 1: `55 09 00 00 s 00` |
 * | `svakom-v1` | `55 04 03 00 (s>0) s` |
 * | `svakom-v2` | fi 1: `55 06 01 00 s s`; else `55 03 03 00 (s>0) s`; with response |
 * | `svakom-v3` | vib fi 0 `55 03 03 00 (s>0) s`, other `55 09 00 00 (s>0) s`; rotate `55 08 00 00 s FF` |
 * | `svakom-v4` | `55 03 mode 00 flag max(v0,v1) 00` (both motors, CID constant) |
 * | `svakom-v5` | `55 03 mode 00 flag max(v0,v1)` (CID constant); osc `55 09 00 00 s 00` |
 * | `svakom-v6` | fi 0/1 as v4; fi 2 `55 07 00 00 (v2>0) v2 00` |
 *
 * @module
 */
import {
  type DeviceDefinition,
  type FeatureDefinition,
  featuresWithOutput,
  type HardwareCommand,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the shared two-motor frame of `svakom-v4`. */
export const SVAKOM_V4_CID = "svakom-v4-vibrators";
/** CID of the shared two-motor frame of `svakom-barney`. */
export const SVAKOM_BARNEY_CID = "svakom-barney-vibrators";
/** CID of the shared two-motor frame of `svakom-v5`. */
export const SVAKOM_V5_CID = "svakom-v5-vibrators";
/** CID of the shared two-motor frame of `svakom-v6`. */
export const SVAKOM_V6_CID = "svakom-v6-vibrators";

/** `1` when running, `0` when stopped. */
const on = (s: number): number => (s > 0 ? 1 : 0);

/** A write to `tx` (Rust `as u8` casts: every byte keeps its low 8 bits). */
function tx(data: readonly number[], cid: string, withResponse = false): HardwareCommand {
  return write("tx", data.map((b) => b & 0xff), withResponse, cid);
}

/** A protocol without handshake whose handler does not depend on the definition. */
function stateless(id: string, handler: () => ProtocolHandler): ProtocolImplementation {
  return { id, initialize: () => handler() };
}

// ---------------------------------------------------------------------------------------------
// Single-frame protocols
// ---------------------------------------------------------------------------------------------

/** `svakom-alex` (Alex Neo, 0–3): `12 01 03 00 (s=0?FF:s) 00`. */
export const svakomAlex: ProtocolImplementation = stateless("svakom-alex", () => ({
  vibrate: (f, s) => [tx([0x12, 0x01, 0x03, 0x00, s === 0 ? 0xff : s, 0x00], f.id)],
}));

/** `svakom-alex-v2` (Alex Neo 2, 0–3): `55 03 03 00 s (s+5)`. */
export const svakomAlexV2: ProtocolImplementation = stateless("svakom-alex-v2", () => ({
  vibrate: (f, s) => [tx([0x55, 0x03, 0x03, 0x00, s, s + 5], f.id)],
}));

/** `svakom-avaneo` (Ava Neo): feature 0 vibrates or oscillates with one frame, others differ. */
export const svakomAvaneo: ProtocolImplementation = stateless("svakom-avaneo", () => {
  const first = (f: FeatureDefinition, s: number) => [
    tx([0x55, 0x03, 0x00, 0x00, on(s), s], f.id),
  ];
  return {
    vibrate: (f, s) => f.index === 0 ? first(f, s) : [tx([0x55, 0x09, 0x00, 0x00, s, 0xff], f.id)],
    oscillate: (f, s) =>
      f.index === 0 ? first(f, s) : [tx([0x55, 0x08, 0x00, 0x00, s, 0xff], f.id)],
  };
});

/** `svakom-barnard` (Fantasy Cup Barnard): vibrate `55 03 …`, oscillate `55 08 …`. */
export const svakomBarnard: ProtocolImplementation = stateless("svakom-barnard", () => ({
  vibrate: (f, s) => [tx([0x55, 0x03, 0x00, 0x00, s, on(s)], f.id)],
  oscillate: (f, s) => [tx([0x55, 0x08, 0x00, 0x00, s, s > 0 ? 0xff : 0x00], f.id)],
}));

/** `svakom-dice` (Zemalia Dice, 0–255): `55 04 00 00 01 s AA`. */
export const svakomDice: ProtocolImplementation = stateless("svakom-dice", () => ({
  vibrate: (f, s) => [tx([0x55, 0x04, 0x00, 0x00, 0x01, s, 0xaa], f.id)],
}));

/** `svakom-dt250a` (Coleur Dor DT250A): `55 mode 00 00 s flag`. */
export const svakomDt250a: ProtocolImplementation = stateless("svakom-dt250a", () => {
  const frame = (mode: number, f: FeatureDefinition, s: number) => [
    tx([0x55, mode, 0x00, 0x00, s, s === 0 || mode === 0x09 ? 0x00 : 0x01], f.id),
  ];
  return {
    vibrate: (f, s) => frame(f.index === 0 ? 0x03 : 0x08, f, s),
    constrict: (f, s) => frame(0x09, f, s),
  };
});

/** `svakom-jordan` (Jordan): vibrate `55 03 …`, oscillate `55 08 …`, 7 bytes. */
export const svakomJordan: ProtocolImplementation = stateless("svakom-jordan", () => ({
  vibrate: (f, s) => [tx([0x55, 0x03, 0x00, 0x00, on(s), s, 0x00], f.id)],
  oscillate: (f, s) => [tx([0x55, 0x08, 0x00, 0x00, on(s), s, 0x00], f.id)],
}));

/** `svakom-pulse` (Pulse family, 0–9): `55 03 03 00 (s>0) (s+1)`; stop → `55 03 03 00 00 01`. */
export const svakomPulse: ProtocolImplementation = stateless("svakom-pulse", () => ({
  vibrate: (f, s) => [tx([0x55, 0x03, 0x03, 0x00, on(s), s + 1], f.id)],
}));

/** `svakom-sam2` (Sam Neo 2 / 2 Pro): vibrate and suction, written with response. */
export const svakomSam2: ProtocolImplementation = stateless("svakom-sam2", () => ({
  vibrate: (f, s) => [tx([0x55, 0x03, 0x00, 0x00, s > 0 ? 0x05 : 0x00, s, 0x00], f.id, true)],
  constrict: (f, s) => [tx([0x55, 0x09, 0x00, 0x00, on(s), s, 0x00], f.id, true)],
}));

/**
 * Splits a Magic Suitcase level (0–30) into `[intensity, speed]`: speed = s mod 10, intensity =
 * ⌊s/10⌋ + 1 (0 when stopped); a multiple of ten is expressed as speed 10 of the band below.
 *
 * @example
 * ```ts
 * import { suitcaseLevel } from "./svakom.ts";
 * console.assert(suitcaseLevel(15).join() === "2,5");
 * console.assert(suitcaseLevel(10).join() === "1,10");
 * console.assert(suitcaseLevel(0).join() === "0,0");
 * ```
 */
export function suitcaseLevel(s: number): [intensity: number, speed: number] {
  let speed = s % 10;
  let intensity = s === 0 ? 0 : Math.floor(s / 10) + 1;
  if (speed === 0 && intensity !== 0) {
    speed = 10;
    intensity -= 1;
  }
  return [intensity, speed];
}

/** `svakom-suitcase` (Magic Suitcase): fi 0 split into intensity/speed, fi 1 `55 09 00 00 s 00`. */
export const svakomSuitcase: ProtocolImplementation = stateless("svakom-suitcase", () => ({
  vibrate(f, s) {
    if (f.index !== 0) return [tx([0x55, 0x09, 0x00, 0x00, s, 0x00], f.id)];
    const [intensity, speed] = suitcaseLevel(s);
    return [tx([0x55, 0x03, 0x00, 0x00, intensity, speed], f.id)];
  },
}));

/** `svakom-tarax` (ToyCod Tara X): internal vibrator fi 0, external pulsator fi 1. */
export const svakomTarax: ProtocolImplementation = stateless("svakom-tarax", () => ({
  vibrate: (f, s) =>
    f.index === 0
      ? [tx([0x55, 0x03, 0x00, 0x00, s === 0 ? 0x01 : s, s === 0 ? 0x01 : 0x02], f.id)]
      : [tx([0x55, 0x09, 0x00, 0x00, s, 0x00], f.id)],
}));

/** `svakom-v1` (0–19): `55 04 03 00 (s>0) s`. */
export const svakomV1: ProtocolImplementation = stateless("svakom-v1", () => ({
  vibrate: (f, s) => [tx([0x55, 0x04, 0x03, 0x00, on(s), s], f.id)],
}));

/** `svakom-v2` (0–10): fi 1 → `55 06 01 00 s s`, else `55 03 03 00 (s>0) s`; with response. */
export const svakomV2: ProtocolImplementation = stateless("svakom-v2", () => ({
  vibrate: (f, s) =>
    f.index === 1
      ? [tx([0x55, 0x06, 0x01, 0x00, s, s], f.id, true)]
      : [tx([0x55, 0x03, 0x03, 0x00, on(s), s], f.id, true)],
}));

/** `svakom-v3`: vibrate fi 0 `55 03 03 …`, other fi `55 09 00 …`; rotate `55 08 00 00 s FF`. */
export const svakomV3: ProtocolImplementation = stateless("svakom-v3", () => ({
  vibrate: (f, s) =>
    f.index === 0
      ? [tx([0x55, 0x03, 0x03, 0x00, on(s), s], f.id)]
      : [tx([0x55, 0x09, 0x00, 0x00, on(s), s], f.id)],
  rotate: (f, s) => [tx([0x55, 0x08, 0x00, 0x00, s, 0xff], f.id)],
}));

// ---------------------------------------------------------------------------------------------
// Stateful protocols
// ---------------------------------------------------------------------------------------------

/** `svakom-iker` (Iker): keeps both motors; frames as in DEVICES.md §3.9. */
export const svakomIker: ProtocolImplementation = {
  id: "svakom-iker",
  initialize() {
    const speeds = [0, 0];
    return {
      vibrate(f, s) {
        speeds[f.index === 0 ? 0 : 1] = s;
        const [v0, v1] = speeds;
        if (v0 === 0 && v1 === 0) return [tx([0x55, 0x07, 0x00, 0x00, 0x00, 0x00], f.id)];
        const out = [tx([0x55, 0x03, 0x03, 0x00, 0x01, v0], f.id)];
        if (v1 > 0) out.push(tx([0x55, 0x07, 0x00, 0x00, v1, 0x00], f.id));
        return out;
      },
    };
  },
};

/** Options of the shared two-motor frame (`svakom-v4`, `svakom-barney`, `svakom-v5`, `svakom-v6`). */
export interface DualFrameOptions {
  /** Value of the flag byte when any motor runs (`01`; barney `03`). */
  readonly flag: number;
  /** Whether a device with a single vibrator always uses mode `00` (v4, barney, v6). */
  readonly singleClause: boolean;
  /** Whether the frame ends with a `00` byte (7 bytes; v5 has 6). */
  readonly trailingZero: boolean;
}

/**
 * Builds the shared motor frame `55 03 mode 00 flag max(v0,v1) [00]` (DEVICES.md §3.9):
 * mode = 00 when (single vibrator and `singleClause`) or both run or v0 == v1, 01 when only v0
 * runs, 02 when only v1 runs; flag = 00 when both are stopped.
 *
 * @example
 * ```ts
 * import { svakomDualFrame } from "./svakom.ts";
 * const opts = { flag: 1, singleClause: false, trailingZero: false };
 * console.assert(svakomDualFrame(5, 0, 2, opts).join() === [0x55, 3, 1, 0, 1, 5].join());
 * ```
 */
export function svakomDualFrame(
  v0: number,
  v1: number,
  vibrators: number,
  options: DualFrameOptions,
): number[] {
  const mode = (options.singleClause && vibrators === 1) || (v0 > 0 && v1 > 0) || v0 === v1
    ? 0x00
    : v0 > 0
    ? 0x01
    : 0x02;
  const flag = v0 === 0 && v1 === 0 ? 0x00 : options.flag;
  const frame = [0x55, 0x03, mode, 0x00, flag, Math.max(v0, v1) & 0xff];
  if (options.trailingZero) frame.push(0x00);
  return frame;
}

/** A two-motor handler keeping the last value of every vibrate feature (by config index). */
function dualMotorHandler(
  definition: DeviceDefinition,
  cid: string,
  options: DualFrameOptions,
  thirdMotor: boolean,
): ProtocolHandler {
  const vibrators = featuresWithOutput(definition, "Vibrate").length;
  const speeds = new Map<number, number>();
  return {
    vibrate(f, s) {
      speeds.set(f.index, s);
      if (thirdMotor && f.index >= 2) {
        return [tx([0x55, 0x07, 0x00, 0x00, on(s), s, 0x00], f.id)];
      }
      const frame = svakomDualFrame(speeds.get(0) ?? 0, speeds.get(1) ?? 0, vibrators, options);
      return [tx(frame, cid)];
    },
  };
}

/** `svakom-v4`: both motors in one frame (CID constant), 7 bytes. */
export const svakomV4: ProtocolImplementation = {
  id: "svakom-v4",
  initialize: (_ctx, definition) =>
    dualMotorHandler(
      definition,
      SVAKOM_V4_CID,
      { flag: 0x01, singleClause: true, trailingZero: true },
      false,
    ),
};

/** `svakom-barney` (Mutufun Barney): as `svakom-v4` with flag `03`. */
export const svakomBarney: ProtocolImplementation = {
  id: "svakom-barney",
  initialize: (_ctx, definition) =>
    dualMotorHandler(
      definition,
      SVAKOM_BARNEY_CID,
      { flag: 0x03, singleClause: true, trailingZero: true },
      false,
    ),
};

/** `svakom-v5`: 6-byte two-motor frame without the single-vibrator clause; oscillate per feature. */
export const svakomV5: ProtocolImplementation = {
  id: "svakom-v5",
  initialize(_ctx, definition) {
    const handler = dualMotorHandler(
      definition,
      SVAKOM_V5_CID,
      { flag: 0x01, singleClause: false, trailingZero: false },
      false,
    );
    return {
      ...handler,
      oscillate: (f, s) => [tx([0x55, 0x09, 0x00, 0x00, s, 0x00], f.id)],
    };
  },
};

/** `svakom-v6`: motors 0/1 as v4 (CID constant); motor 2 `55 07 00 00 (v2>0) v2 00`. */
export const svakomV6: ProtocolImplementation = {
  id: "svakom-v6",
  initialize: (_ctx, definition) =>
    dualMotorHandler(
      definition,
      SVAKOM_V6_CID,
      { flag: 0x01, singleClause: true, trailingZero: true },
      true,
    ),
};

/**
 * `svakom-sam` (Sam Neo): subscribes `rx` on initialize. A device exposing `txmode` (or, lacking
 * it, `firmware`) is "gen2" (`12 01 03 00 (s>0?04:00) s`); otherwise gen1 (`12 01 03 00 05 s`).
 * Upstream notes that the firmware-only variant vibrates at a single speed.
 */
export const svakomSam: ProtocolImplementation = {
  id: "svakom-sam",
  async initialize(ctx) {
    await ctx.hardware.subscribe("rx");
    const endpoints = ctx.hardware.endpoints;
    const gen2 = endpoints.includes("txmode") || endpoints.includes("firmware");
    // gen2 flags running/stopped in byte 4; gen1 always sends 05 there.
    const mode = (s: number): number => (gen2 ? (s === 0 ? 0x00 : 0x04) : 0x05);
    return {
      vibrate: (f, s) => [tx([0x12, 0x01, 0x03, 0x00, mode(s), s], f.id)],
      constrict: (f, s) => [tx([0x12, 0x06, 0x01, s], f.id)],
    };
  },
};
