/**
 * Simple Kiiroo vibrators (DEVICES.md §3.9 "Kiiroo / Fleshlight"):
 *
 * - `kiiroo-powershot`: `01 00 00 v0 v1 00` with response (both motors, protocol-constant CID);
 * - `kiiroo-prowand`: `00 00 64 (s>0 ? FF : 00) s s`;
 * - `kiiroo-spot`: `00 FF 00 00 00 s`;
 * - `kiiroo-v2-vibrator` (Pearl 2, Fuse, Titan...): always 3 bytes `v0 v1 v2` (last values).
 *
 * The first three read their battery as byte 0 of a 20-byte read of `rxblebattery`.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  type FeatureDefinition,
  type ProtocolContext,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";
import type { InputType } from "../../../protocol/messages.ts";

/** CID of the PowerShot packet (carries both motors). */
export const KIIROO_POWERSHOT_CID = "23c604b9-ac8c-4653-aa75-709ae8a669cc";

const BATTERY_READ_LENGTH = 20;
const BATTERY_TIMEOUT_MS = 1000;

/** Battery as byte 0 of a 20-byte `rxblebattery` read (powershot, prowand, spot). */
async function readBattery20(
  _feature: FeatureDefinition,
  type: InputType,
  ctx: ProtocolContext,
): Promise<number> {
  if (type !== "Battery") throw new ButtplugDeviceError(`Kiiroo cannot read ${type}`);
  const data = await ctx.hardware.read("rxblebattery", BATTERY_READ_LENGTH, BATTERY_TIMEOUT_MS);
  if (data.length < 1) throw new ButtplugDeviceError("Kiiroo battery read returned no data");
  return data[0];
}

/** A handler keeping the last value of motors 0..count-1 (by feature index). */
function slots(count: number): { set(f: FeatureDefinition, s: number): number[] } {
  const values = new Array<number>(count).fill(0);
  return {
    set(f, s) {
      if (f.index < 0 || f.index >= count) {
        throw new ButtplugDeviceError(`no motor slot for feature ${f.index}`);
      }
      values[f.index] = s & 0xff;
      return values;
    },
  };
}

/** The `kiiroo-powershot` protocol. */
export const kiirooPowershot: ProtocolImplementation = {
  id: "kiiroo-powershot",
  initialize(): ProtocolHandler {
    const motors = slots(2);
    return {
      vibrate(f, s) {
        const [v0, v1] = motors.set(f, s);
        return [write("tx", [0x01, 0x00, 0x00, v0, v1, 0x00], true, KIIROO_POWERSHOT_CID)];
      },
      readInput: readBattery20,
    };
  },
};

/** The `kiiroo-prowand` protocol. */
export const kiirooProwand: ProtocolImplementation = {
  id: "kiiroo-prowand",
  initialize(): ProtocolHandler {
    return {
      vibrate: (f, s) => [
        write("tx", [0x00, 0x00, 0x64, s > 0 ? 0xff : 0x00, s & 0xff, s & 0xff], false, f.id),
      ],
      readInput: readBattery20,
    };
  },
};

/** The `kiiroo-spot` protocol. */
export const kiirooSpot: ProtocolImplementation = {
  id: "kiiroo-spot",
  initialize(): ProtocolHandler {
    return {
      vibrate: (f, s) => [write("tx", [0x00, 0xff, 0x00, 0x00, 0x00, s & 0xff], false, f.id)],
      readInput: readBattery20,
    };
  },
};

/** The `kiiroo-v2-vibrator` protocol. */
export const kiirooV2Vibrator: ProtocolImplementation = {
  id: "kiiroo-v2-vibrator",
  initialize(): ProtocolHandler {
    const motors = slots(3);
    // CID per feature as upstream: each write carries every motor, so the last one wins anyway.
    return { vibrate: (f, s) => [write("tx", [...motors.set(f, s)], false, f.id)] };
  },
};
