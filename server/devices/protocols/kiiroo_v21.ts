/**
 * Kiiroo v2.1 family (DEVICES.md §3.9 "Kiiroo / Fleshlight"): writes on `tx`, no response.
 *
 * - vibrate `s` → `01 s`;
 * - hardware position `p` (0–99) with duration `d` → `03 00 speed p`, `speed` from the Launch
 *   speed curve for the distance from the previous position;
 * - `kiiroo-v21` battery: a 20-byte read of `whitelist`, level in byte 5.
 *
 * `kiiroo-v21-initialized` (Onyx 2.1/+, Keon) first writes `03 00 64 19` then `03 00 64 00` to
 * `tx` with response and has no battery override. `kiiroo-v3` (Keon WiFi) uses the v2.1 encoder
 * and battery rule, but its config binds no `whitelist`: the battery read is refused with a
 * clear error instead of upstream's bare "invalid endpoint".
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
import { LaunchTracker } from "./fleshlight_launch.ts";

const BATTERY_READ_LENGTH = 20;
const BATTERY_BYTE = 5;
const BATTERY_TIMEOUT_MS = 1000;

/** Battery level from a `whitelist` read: exactly 20 bytes, level in byte 5. */
export function kiirooV21Battery(data: Uint8Array): number {
  if (data.length !== BATTERY_READ_LENGTH) {
    throw new ButtplugDeviceError(
      `Kiiroo battery data has ${data.length} bytes, expected ${BATTERY_READ_LENGTH}`,
    );
  }
  return data[BATTERY_BYTE];
}

async function readBattery(
  _feature: FeatureDefinition,
  type: InputType,
  ctx: ProtocolContext,
): Promise<number> {
  if (type !== "Battery") throw new ButtplugDeviceError(`Kiiroo cannot read ${type}`);
  if (!ctx.hardware.endpoints.includes("whitelist")) {
    throw new ButtplugDeviceError(
      `${ctx.hardware.name} reports no battery level over Bluetooth (no whitelist endpoint)`,
    );
  }
  const data = await ctx.hardware.read("whitelist", BATTERY_READ_LENGTH, BATTERY_TIMEOUT_MS);
  return kiirooV21Battery(data);
}

/** The v2.1 encoder (vibrate `01 s`, position `03 00 speed p`), optionally with battery. */
export function kiirooV21Handler(battery: boolean): ProtocolHandler {
  const launch = new LaunchTracker();
  return {
    vibrate: (f, s) => [write("tx", [0x01, s & 0xff], false, f.id)],
    hwPositionWithDuration(f, s, durationMs) {
      const speed = launch.move(s, durationMs);
      return [write("tx", [0x03, 0x00, speed, s & 0xff], false, f.id)];
    },
    ...(battery ? { readInput: readBattery } : {}),
  };
}

/** The `kiiroo-v21` protocol. */
export const kiirooV21: ProtocolImplementation = {
  id: "kiiroo-v21",
  initialize: () => kiirooV21Handler(true),
};

/** The `kiiroo-v21-initialized` protocol. */
export const kiirooV21Initialized: ProtocolImplementation = {
  id: "kiiroo-v21-initialized",
  async initialize(ctx) {
    await ctx.hardware.write("tx", Uint8Array.from([0x03, 0x00, 0x64, 0x19]), true);
    await ctx.hardware.write("tx", Uint8Array.from([0x03, 0x00, 0x64, 0x00]), true);
    return kiirooV21Handler(false);
  },
};

/** The `kiiroo-v3` protocol. */
export const kiirooV3: ProtocolImplementation = {
  id: "kiiroo-v3",
  initialize: () => kiirooV21Handler(true),
};
