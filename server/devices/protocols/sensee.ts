/**
 * Sensee (`sensee`, `sensee-v2`, DEVICES.md §3.7, §3.9): service `fff0`, tx `fff5`.
 *
 * - `sensee` (Diandou Rabbit, vibrate 0–100): `55 AA F0 01 01 0B 65 F7 01 01 s` without response,
 *   CID = the feature id.
 * - `sensee-v2` (vibrate / oscillate / constrict 0–100): initialize reads `tx` (128 bytes, 500 ms;
 *   a failed read refuses the device); the device type is byte 6 of the reply when the reply has at
 *   least 7 bytes and that byte is not 0, else `65` (upstream only checks for 6 bytes and would
 *   crash on exactly 6). Every command writes one multi-channel packet
 *   ({@linkcode senseeV2Packet}) without response under a protocol-constant CID.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import type { OutputType } from "../../../protocol/messages.ts";
import {
  type DeviceDefinition,
  type FeatureDefinition,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the `sensee-v2` multi-channel packet. */
export const SENSEE_V2_CID = "ece221a9-fd62-4651-b434-b04c0b46a914";

const TYPE_READ_TIMEOUT_MS = 500;
const DEFAULT_DEVICE_TYPE = 0x65;

/** `sensee`: `55 AA F0 01 01 0B 65 F7 01 01 s`. */
export const sensee: ProtocolImplementation = {
  id: "sensee",
  initialize() {
    return {
      vibrate: (f, s) => [
        write(
          "tx",
          [0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01, s & 0xff],
          false,
          f.id,
        ),
      ],
    };
  },
};

/** The `sensee-v2` device type from the reply to the initial `tx` read. */
export function senseeV2DeviceType(reply: ArrayLike<number>): number {
  return reply.length >= 7 && reply[6] !== 0 ? reply[6] : DEFAULT_DEVICE_TYPE;
}

/**
 * The `sensee-v2` packet: `55 AA F0 02 00 (04+L) type F1 ‖ body ‖ 00 00` where the body (L bytes)
 * is the number of non-empty groups, then for each group in the order vibrate (0), oscillate (1),
 * constrict (2): `group count 1 v₁ 2 v₂ …` with the group's values in ascending feature index.
 *
 * @example
 * ```ts
 * import { senseeV2Packet } from "./sensee.ts";
 * const p = senseeV2Packet(0x66, [[0x32], [], [0x00]]);
 * console.assert(p.length === 19 && p[5] === 0x0d);
 * ```
 */
export function senseeV2Packet(type: number, groups: readonly (readonly number[])[]): number[] {
  const body: number[] = [groups.filter((g) => g.length > 0).length];
  groups.forEach((values, group) => {
    if (values.length === 0) return;
    body.push(group, values.length);
    values.forEach((v, i) => body.push(i + 1, v & 0xff));
  });
  return [
    0x55,
    0xaa,
    0xf0,
    0x02,
    0x00,
    (0x04 + body.length) & 0xff,
    type & 0xff,
    0xf1,
    ...body,
    0x00,
    0x00,
  ];
}

const GROUP_TYPES: readonly OutputType[] = ["Vibrate", "Oscillate", "Constrict"];

function senseeV2Handler(definition: DeviceDefinition, type: number): ProtocolHandler {
  // One slot per (feature, output type) of the three grouped types, in ascending feature index
  // (upstream iterates a hash map, which is nondeterministic with two features of one type).
  const slots = GROUP_TYPES.map((t) =>
    new Map<number, number>(
      definition.features.filter((f) => f.output?.[t] !== undefined).map((f) => [f.index, 0]),
    )
  );
  const set = (group: number) => (f: FeatureDefinition, s: number) => {
    slots[group].set(f.index, s);
    const packet = senseeV2Packet(type, slots.map((m) => [...m.values()]));
    return [write("tx", packet, false, SENSEE_V2_CID)];
  };
  return { vibrate: set(0), oscillate: set(1), constrict: set(2) };
}

/** `sensee-v2`: device type read, multi-channel packets. */
export const senseeV2: ProtocolImplementation = {
  id: "sensee-v2",
  async initialize(ctx, definition) {
    let reply: Uint8Array;
    try {
      reply = await ctx.hardware.read("tx", 128, TYPE_READ_TIMEOUT_MS);
    } catch (err) {
      throw new ButtplugDeviceError(
        `sensee-v2: cannot read the device type of ${ctx.hardware.name}: ${(err as Error).message}`,
        0,
        { cause: err },
      );
    }
    return senseeV2Handler(definition, senseeV2DeviceType(reply));
  },
};
