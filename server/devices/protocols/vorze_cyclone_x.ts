/**
 * Vorze Cyclone X10 (`vorze-cyclone-x`, USB HID 0483:5750; DEVICES.md §3.8 lists it as
 * config-only upstream). One signed rotator (−10..10).
 *
 * Byte layout from public sources: Buttplug C# 0.2.2 (2018, BSD-3) shipped a Cyclone X10 driver,
 * and the vendor's open-source HID sample (also used by the CM3D2/Unity "CycloneX10" plugins)
 * writes the same report. Each command is one 16-byte HID output report (first byte = report id
 * `00`) on `tx`:
 *
 * `00 3C 30 31 35 32 30 (30+dir) (30+level) 30 30 01 02 03 68 3E`
 *
 * where `dir` is the pattern digit (0 = forward/clockwise, 1 = backward/counter-clockwise) and
 * `level` the speed 0–10. Stop (0) is sent as forward at level 0. CID = the feature id.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/**
 * The HID output report for a signed rotation `s` (−10..10).
 *
 * @example
 * ```ts
 * import { cycloneX10Report } from "./vorze_cyclone_x.ts";
 * const r = cycloneX10Report(-4);
 * console.assert(r.length === 16 && r[7] === 0x31 && r[8] === 0x34);
 * ```
 */
export function cycloneX10Report(s: number): number[] {
  const level = Math.min(Math.abs(s), 10);
  const direction = s < 0 ? 1 : 0;
  return [
    0x00,
    0x3c,
    0x30,
    0x31,
    0x35,
    0x32,
    0x30,
    0x30 + direction,
    0x30 + level,
    0x30,
    0x30,
    0x01,
    0x02,
    0x03,
    0x68,
    0x3e,
  ];
}

/** The `vorze-cyclone-x` protocol. */
export const vorzeCycloneX: ProtocolImplementation = {
  id: "vorze-cyclone-x",
  initialize(): ProtocolHandler {
    return {
      rotate: (f, s) => [write("tx", cycloneX10Report(s), false, f.id)],
    };
  },
};
