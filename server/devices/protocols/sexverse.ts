/**
 * The Sexverse family (DEVICES.md §3.7, §3.9). All write to `tx`.
 *
 * | id | outputs | packet | response | CID |
 * | --- | --- | --- | --- | --- |
 * | `sexverse-lg389` | #0 vibrate 0–3, #1 oscillate 0–10 | `AA 05 v 14 a 00 r 00 o 00` (a = 1, r = 4 while o > 0) | yes | P |
 * | `sexverse-v1` | 1–3 of vibrate / rotate / oscillate / constrict 0–255 | `23 07 3n {80\|k, type, v}… xor` | no | P |
 * | `sexverse-v2` | vibrate / oscillate 0–20 | `AA 03 01 (fi+1) 64 s`; init `AA 04` | yes | F |
 * | `sexverse-v3` | vibrate / oscillate 0–20 | `A1 04 s (fi+1)`; timed keepalive 100 ms | yes | F |
 * | `sexverse-v4` | vibrate 0–99 | `BB 01 s 66` | yes | F |
 * | `sexverse-v5` | vibrate 0–100 | `AA 03 03 s 00 00 00` | no | F |
 *
 * @module
 */
import type { OutputType } from "../../../protocol/messages.ts";
import {
  type DeviceDefinition,
  type FeatureDefinition,
  type HardwareCommand,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the `sexverse-lg389` packet (both motors). */
export const SEXVERSE_LG389_CID = "c2e4575d-f27b-423f-9025-ca3916997256";
/** CID of the `sexverse-v1` packet (every channel). */
export const SEXVERSE_V1_CID = "f2d77c6d-e6ff-4dc7-b956-44f6e5b4276a";

/** `sexverse-lg389`: one packet carrying the vibrator level and the oscillator level. */
export const sexverseLg389: ProtocolImplementation = {
  id: "sexverse-lg389",
  initialize() {
    let vib = 0;
    let osc = 0;
    const packet = (): HardwareCommand[] => {
      const running = osc > 0;
      const data = [0xaa, 0x05, vib, 0x14, running ? 1 : 0, 0x00, running ? 4 : 0, 0x00, osc, 0x00];
      return [write("tx", data.map((b) => b & 0xff), true, SEXVERSE_LG389_CID)];
    };
    return {
      vibrate(_f, s) {
        vib = s;
        return packet();
      },
      oscillate(_f, s) {
        osc = s;
        return packet();
      },
    };
  },
};

/** Channel order inside one `sexverse-v1` feature (DEVICES.md §3.9). */
const V1_TYPE_ORDER: readonly OutputType[] = [
  "Vibrate",
  "Rotate",
  "Oscillate",
  "Constrict",
  "Temperature",
  "Led",
  "Position",
  "HwPositionWithDuration",
  "Spray",
];

/** The type byte of a `sexverse-v1` channel. */
function v1TypeByte(type: OutputType): number {
  if (type === "Rotate") return 0x06;
  if (type === "Oscillate" || type === "Constrict") return 0x04;
  return 0x03;
}

/**
 * The `sexverse-v1` packet for channels `[type byte, value]` (1-based channel numbers in list
 * order): `23 07 (3n) {80|k, type, value}… xor`, the last byte being the XOR of all before it.
 *
 * @example
 * ```ts
 * import { sexverseV1Packet } from "./sexverse.ts";
 * const p = sexverseV1Packet([[0x03, 0x80], [0x04, 0x00]]);
 * console.assert(p[p.length - 1] === 0xa6);
 * ```
 */
export function sexverseV1Packet(channels: readonly (readonly [number, number])[]): number[] {
  const data = [0x23, 0x07, (channels.length * 3) & 0xff];
  channels.forEach(([type, value], i) => data.push(0x80 | ((i + 1) & 0x7f), type, value & 0xff));
  data.push(data.reduce((a, b) => a ^ b, 0));
  return data;
}

function sexverseV1Handler(definition: DeviceDefinition): ProtocolHandler {
  // One channel per (feature, output type). Upstream indexes the channel list by feature index,
  // which only lines up while every feature has exactly one output type; key by both instead.
  const channels: { key: string; type: number; value: number }[] = [];
  for (const f of definition.features) {
    for (const t of V1_TYPE_ORDER) {
      if (f.output?.[t] !== undefined) {
        channels.push({ key: `${f.index}/${t}`, type: v1TypeByte(t), value: 0 });
      }
    }
  }
  const set = (type: OutputType) => (f: FeatureDefinition, s: number): HardwareCommand[] => {
    const channel = channels.find((c) => c.key === `${f.index}/${type}`);
    if (channel) channel.value = s & 0xff;
    const packet = sexverseV1Packet(channels.map((c) => [c.type, c.value] as const));
    return [write("tx", packet, false, SEXVERSE_V1_CID)];
  };
  return {
    vibrate: set("Vibrate"),
    rotate: set("Rotate"),
    oscillate: set("Oscillate"),
    constrict: set("Constrict"),
  };
}

/** `sexverse-v1`: multi-channel packet with an XOR checksum. */
export const sexverseV1: ProtocolImplementation = {
  id: "sexverse-v1",
  initialize(_ctx, definition) {
    return sexverseV1Handler(definition);
  },
};

/** `sexverse-v2`: init `AA 04`, then `AA 03 01 (fi+1) 64 s` per feature. */
export const sexverseV2: ProtocolImplementation = {
  id: "sexverse-v2",
  async initialize(ctx) {
    await ctx.hardware.write("tx", Uint8Array.of(0xaa, 0x04), true);
    const encode = (f: FeatureDefinition, s: number): HardwareCommand[] => [
      write("tx", [0xaa, 0x03, 0x01, (f.index + 1) & 0xff, 0x64, s & 0xff], true, f.id),
    ];
    return { vibrate: encode, oscillate: encode };
  },
};

/** `sexverse-v3`: `A1 04 s (fi+1)` per feature, timed keepalive 100 ms. */
export const sexverseV3: ProtocolImplementation = {
  id: "sexverse-v3",
  initialize() {
    const encode = (f: FeatureDefinition, s: number): HardwareCommand[] => [
      write("tx", [0xa1, 0x04, Math.abs(s) & 0xff, (f.index + 1) & 0xff], true, f.id),
    ];
    // Upstream encodes vibrate and rotate only, so the Zeus's oscillate output (the only
    // non-vibrate output any config declares) is refused there (DEVICES.md §5.10). The packet
    // addresses the motor by feature index alone, so oscillate uses the same encoding.
    return {
      keepalive: { kind: "repeat-last-with-timing", ms: 100 },
      vibrate: encode,
      rotate: encode,
      oscillate: encode,
    };
  },
};

/** `sexverse-v4`: `BB 01 s 66`. */
export const sexverseV4: ProtocolImplementation = {
  id: "sexverse-v4",
  initialize() {
    return { vibrate: (f, s) => [write("tx", [0xbb, 0x01, s & 0xff, 0x66], true, f.id)] };
  },
};

/** `sexverse-v5`: `AA 03 03 s 00 00 00`. */
export const sexverseV5: ProtocolImplementation = {
  id: "sexverse-v5",
  initialize() {
    return {
      vibrate: (f, s) => [
        write("tx", [0xaa, 0x03, 0x03, s & 0xff, 0x00, 0x00, 0x00], false, f.id),
      ],
    };
  },
};
