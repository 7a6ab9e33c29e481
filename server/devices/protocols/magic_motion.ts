/**
 * The Magic Motion family (DEVICES.md §3.9 "Magic Motion"): frames on `tx`; battery is the
 * default `rxblebattery` read.
 *
 * - `magic-motion-1` (0–100): `0B FF 04 0A 32 32 00 04 08 s 64 00` for vibrate and oscillate.
 * - `magic-motion-2` (0–100, two slots by feature index, CID constant):
 *   `10 FF 04 0A 32 0A 00 04 08 v0 64 00 04 08 v1 64 01`.
 * - `magic-motion-3` (Krush, 0–77): `0B FF 04 0A 46 46 00 04 08 s 64 00`.
 * - `magic-motion-4` (0–100, with response, CID constant):
 *   `10 FF 04 0A 32 32 00 04 08 v0 64 00 04 08 v1 64 01`; a single-motor device sends `s` in
 *   both slots.
 *
 * Upstream's `magic-motion-2` only encodes vibrate, although its config gives the FunTown Jive
 * (`CBT001`) an oscillate output on feature 1 (DEVICES.md §5.10), so that output always failed.
 * Here oscillate fills the feature's slot exactly like vibrate (as `magic-motion-1` does for the
 * Xone's oscillator), so the Jive's second motor works.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  type FeatureDefinition,
  type HardwareCommand,
  outputFeatures,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the `magic-motion-2` packet (both slots). */
export const MAGIC_MOTION_2_CID = "f82b3e1c-d015-4d44-9a53-434032d9561e";
/** CID of the `magic-motion-4` packet (both slots). */
export const MAGIC_MOTION_4_CID = "8b03ea70-c8f4-4add-b66e-24a93b72e2d8";

const single = (a: number, s: number): number[] => [
  0x0b,
  0xff,
  0x04,
  0x0a,
  a,
  a,
  0x00,
  0x04,
  0x08,
  s & 0xff,
  0x64,
  0x00,
];

const dual = (b5: number, v0: number, v1: number): number[] => [
  0x10,
  0xff,
  0x04,
  0x0a,
  0x32,
  b5,
  0x00,
  0x04,
  0x08,
  v0 & 0xff,
  0x64,
  0x00,
  0x04,
  0x08,
  v1 & 0xff,
  0x64,
  0x01,
];

/** The `magic-motion-1` protocol. */
export const magicMotion1: ProtocolImplementation = {
  id: "magic-motion-1",
  initialize() {
    const motor = (f: FeatureDefinition, s: number) => [write("tx", single(0x32, s), false, f.id)];
    return { vibrate: motor, oscillate: motor };
  },
};

/** The `magic-motion-2` protocol. */
export const magicMotion2: ProtocolImplementation = {
  id: "magic-motion-2",
  initialize() {
    const slots = [0, 0];
    const motor = (f: FeatureDefinition, s: number): HardwareCommand[] => {
      if (f.index > 1) throw new ButtplugDeviceError(`Magic Motion v2 has no slot ${f.index}`);
      slots[f.index] = s;
      return [write("tx", dual(0x0a, slots[0], slots[1]), false, MAGIC_MOTION_2_CID)];
    };
    return { vibrate: motor, oscillate: motor };
  },
};

/** The `magic-motion-3` protocol. */
export const magicMotion3: ProtocolImplementation = {
  id: "magic-motion-3",
  initialize() {
    return { vibrate: (f, s) => [write("tx", single(0x46, s), false, f.id)] };
  },
};

/** The `magic-motion-4` protocol. */
export const magicMotion4: ProtocolImplementation = {
  id: "magic-motion-4",
  initialize(_ctx, definition) {
    const motors = outputFeatures(definition).map((f) => f.index);
    const speeds = new Map<number, number>(motors.map((i) => [i, 0]));
    return {
      vibrate(f, s) {
        speeds.set(f.index, s);
        const v0 = motors.length < 2 ? s : speeds.get(motors[0]) ?? 0;
        const v1 = motors.length < 2 ? s : speeds.get(motors[1]) ?? 0;
        return [write("tx", dual(0x32, v0, v1), true, MAGIC_MOTION_4_CID)];
      },
    };
  },
};
