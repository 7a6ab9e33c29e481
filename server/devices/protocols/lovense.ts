/**
 * Lovense (`lovense`, DEVICES.md §3.9): ASCII commands on `tx`, replies on `rx`.
 *
 * Identify: subscribe `rx`, send `DeviceType;` (up to 6 times, 500 ms each) and take the model
 * letter(s) from the `<id>:<fw>:<mac>;` reply (`EI` with firmware ≥ 3 becomes `EI-FW3`); without
 * a reply fall back to the `LVS-<letters><digits>` name. Initialize picks one of six encoders
 * from the resolved definition. Battery: `Battery;` → `<level>;`. Keepalive: hardware-required
 * `DeviceType;`.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  type DeviceDefinition,
  type FeatureDefinition,
  featuresWithOutput,
  type HardwareCommand,
  type Identification,
  outputFeatures,
  type ProtocolContext,
  type ProtocolHandler,
  type ProtocolImplementation,
  writeText,
} from "../protocol.ts";

/** CID of `RotateChange;` (RotateVibrator). */
export const LOVENSE_ROTATE_CHANGE_CID = "4ad23456-2ba8-4916-bd91-9b603811f253";
/** CID of `Rotate:<n>;` (RotateVibrator). */
export const LOVENSE_ROTATE_CID = "4a741489-922f-4f0b-a594-175b75482849";
/** CID of `Mply:...;` (Multi). */
export const LOVENSE_MPLY_CID = "7925d93b-15d0-4c59-bb5b-9779ec6c04e4";
/** CID of the stroker position loop's `FSetSite:<n>;`. */
export const LOVENSE_FSETSITE_CID = "a97fc354-5561-459a-bc62-110d7c2868ac";

const IDENTIFY_ATTEMPTS = 6;
const IDENTIFY_WAIT_MS = 500;
const BATTERY_TIMEOUT_MS = 2000;
const STROKER_TICK_MS = 100;

/**
 * Parses a `DeviceType;` reply into the config identifier.
 *
 * @example
 * ```ts
 * import { parseDeviceType } from "./lovense.ts";
 * const enc = new TextEncoder();
 * console.assert(parseDeviceType(enc.encode("Z:11:0082059AD3BD;")) === "Z");
 * console.assert(parseDeviceType(enc.encode("EI:03:0082059AD3BD;")) === "EI-FW3");
 * ```
 *
 * @throws {ButtplugDeviceError} when the reply is not UTF-8.
 */
export function parseDeviceType(data: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(data);
  } catch {
    throw new ButtplugDeviceError("Lovense DeviceType reply is not UTF-8");
  }
  const parts = text.split(":");
  if (parts.length < 2) return "lovense";
  const identifier = parts[0];
  const version = /^\d+/.test(parts[1]) ? parseInt(parts[1], 10) : 0;
  return identifier === "EI" && version >= 3 ? "EI-FW3" : identifier;
}

/** Parses a battery reply (`85;`, busy devices prefix `s`); `undefined` if it is no level. */
export function parseBattery(data: Uint8Array): number | undefined {
  let text = new TextDecoder().decode(data);
  if (text.includes("s")) text = text.replace(/^s/, "");
  const digits = text.slice(0, -1);
  if (!/^\d{1,3}$/.test(digits)) return undefined;
  const level = parseInt(digits, 10);
  return level <= 255 ? level : undefined;
}

const tx = (text: string, cid: string): HardwareCommand => writeText("tx", text, false, cid);

async function readBattery(feature: FeatureDefinition, ctx: ProtocolContext): Promise<number> {
  using replies = ctx.listenNotifications();
  await ctx.hardware.write("tx", new TextEncoder().encode("Battery;"), false);
  const deadline = ctx.clock.now() + BATTERY_TIMEOUT_MS;
  while (true) {
    const remaining = deadline - ctx.clock.now();
    const reply = remaining > 0 ? await replies.next(remaining) : undefined;
    if (!reply) {
      throw new ButtplugDeviceError(`Lovense battery (feature ${feature.index}): no reply`);
    }
    const level = parseBattery(reply.data);
    if (level !== undefined) return level;
  }
}

/** Shared parts of every Lovense handler. */
function base(): Pick<ProtocolHandler, "readInput" | "keepalive"> {
  return {
    keepalive: {
      kind: "hardware-required-packet",
      command: tx("DeviceType;", "lovense-keepalive"),
    },
    readInput(feature, type, ctx) {
      if (type !== "Battery") {
        return Promise.reject(new ButtplugDeviceError(`Lovense cannot read ${type}`));
      }
      return readBattery(feature, ctx);
    },
  };
}

function single(): ProtocolHandler {
  const vibrate = (f: FeatureDefinition, s: number) => [tx(`Vibrate:${s};`, f.id)];
  return { ...base(), vibrate, oscillate: vibrate };
}

function dual(): ProtocolHandler {
  const vibrate = (f: FeatureDefinition, s: number) => [tx(`Vibrate${f.index + 1}:${s};`, f.id)];
  return { ...base(), vibrate, oscillate: vibrate };
}

function max(): ProtocolHandler {
  const vibrate = (f: FeatureDefinition, s: number) => [tx(`Vibrate:${s};`, f.id)];
  return {
    ...base(),
    vibrate,
    oscillate: vibrate,
    constrict: (f, s) => [tx(`Air:Level:${s};`, f.id)],
  };
}

function rotateVibrator(): ProtocolHandler {
  return {
    ...base(),
    vibrate: (f, s) => [tx(`Vibrate:${s};`, f.id)],
    // Upstream quirk kept: RotateChange precedes *every* counter-clockwise command.
    rotate: (_f, s) =>
      s < 0
        ? [
          tx("RotateChange;", LOVENSE_ROTATE_CHANGE_CID),
          tx(`Rotate:${-s};`, LOVENSE_ROTATE_CID),
        ]
        : [tx(`Rotate:${s};`, LOVENSE_ROTATE_CID)],
  };
}

function multi(definition: DeviceDefinition): ProtocolHandler {
  const slots = new Map<number, number>(outputFeatures(definition).map((f) => [f.index, 0]));
  const set = (f: FeatureDefinition, s: number) => {
    slots.set(f.index, Math.abs(s));
    return [tx(`Mply:${[...slots.values()].join(":")};`, LOVENSE_MPLY_CID)];
  };
  return { ...base(), vibrate: set, rotate: set };
}

function stroker(needsRangeZeroed: boolean): ProtocolHandler {
  let target = 0;
  let current = 0;
  let step = 0;
  return {
    ...base(),
    oscillate: (f, s) => [tx(`Mply:${s}:${s === 0 && needsRangeZeroed ? 0 : 20};`, f.id)],
    hwPositionWithDuration(_f, s, durationMs) {
      target = s;
      const ticks = Math.max(Math.trunc(durationMs / STROKER_TICK_MS), 1);
      step = Math.trunc((target - current) / ticks);
      return [];
    },
    start(ctx) {
      const loop = async () => {
        while (!ctx.signal.aborted) {
          await ctx.sleep(STROKER_TICK_MS);
          if (current === target) continue;
          // Upstream can stall when |step| rounds to 0: move at least one unit, never overshoot.
          const direction = Math.sign(target - current);
          const move = Math.max(Math.abs(step), 1);
          current = direction > 0
            ? Math.min(current + move, target)
            : Math.max(current - move, target);
          await ctx.hardware.write(
            "tx",
            new TextEncoder().encode(`FSetSite:${current};`),
            false,
          );
        }
      };
      loop().catch(() => {/* ends with the device */});
    },
  };
}

/**
 * Chooses the encoder from the resolved definition (DEVICES.md §3.9 "Initialize").
 */
export function lovenseHandler(definition: DeviceDefinition): ProtocolHandler {
  const id = definition.identifier;
  if (id === "BA" || id === "H") return stroker(id === "H");
  const outputs = outputFeatures(definition);
  const count = (type: "Vibrate" | "Constrict" | "Rotate") =>
    featuresWithOutput(definition, type).length;
  const vibes = definition.features.filter((f) => f.output?.Vibrate || f.output?.Oscillate).length;
  if (outputs.length === 1) return single();
  if (outputs.length === 2 && count("Vibrate") === 1 && count("Constrict") === 1) return max();
  if (outputs.length === 2 && count("Vibrate") === 1 && count("Rotate") === 1) {
    return rotateVibrator();
  }
  if ((vibes === 2 && outputs.length > 2) || vibes > 2) return multi(definition);
  return dual();
}

/** The `lovense` protocol. */
export const lovense: ProtocolImplementation = {
  id: "lovense",
  async identify(ctx): Promise<Identification> {
    const hardware = ctx.hardware;
    await hardware.subscribe("rx");
    for (let attempt = 0; attempt < IDENTIFY_ATTEMPTS; attempt++) {
      using replies = ctx.listenNotifications();
      await hardware.write("tx", new TextEncoder().encode("DeviceType;"), false);
      const reply = await replies.next(IDENTIFY_WAIT_MS);
      if (reply) return { identifier: parseDeviceType(reply.data) };
    }
    const match = /LVS-([A-Z]+)\d+/.exec(hardware.name);
    return match ? { identifier: match[1] } : {};
  },
  initialize(_ctx, definition) {
    return lovenseHandler(definition);
  },
};
