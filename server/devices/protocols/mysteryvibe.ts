/**
 * MysteryVibe (`mysteryvibe`, `mysteryvibe-v2`, DEVICES.md §3.9): service
 * `f0006900-110c-478b-b74b-6f403b364a9c`.
 *
 * Initialize writes a mode packet to `txmode` with response (`43 02 00` for v1, `03 02 40` for
 * v2). The handler keeps one value (0–56) per output feature and always writes all of them, one
 * byte each in ascending feature index, to `txvibrate` without response under one protocol
 * constant CID (so a multi-motor update inside one batching window is a single packet). The
 * motors stop unless refreshed, so the keepalive rewrites the last packet every 93 ms (the device
 * layer then also stops every motor right after connecting).
 *
 * @module
 */
import {
  type DeviceDefinition,
  outputFeatures,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the all-motors packet. */
export const MYSTERYVIBE_CID = "ddcd9b00-0c00-4ca7-be00-c89ade3c5f0b";

/** Keepalive period of both versions (ms). */
export const MYSTERYVIBE_KEEPALIVE_MS = 93;

function handler(definition: DeviceDefinition): ProtocolHandler {
  const values = new Map<number, number>(outputFeatures(definition).map((f) => [f.index, 0]));
  return {
    keepalive: { kind: "repeat-last-with-timing", ms: MYSTERYVIBE_KEEPALIVE_MS },
    vibrate(f, s) {
      values.set(f.index, s & 0xff);
      return [write("txvibrate", [...values.values()], false, MYSTERYVIBE_CID)];
    },
  };
}

/** `mysteryvibe`: init `43 02 00`. */
export const mysteryvibe: ProtocolImplementation = {
  id: "mysteryvibe",
  async initialize(ctx, definition) {
    await ctx.hardware.write("txmode", Uint8Array.of(0x43, 0x02, 0x00), true);
    return handler(definition);
  },
};

/** `mysteryvibe-v2`: init `03 02 40`. */
export const mysteryvibeV2: ProtocolImplementation = {
  id: "mysteryvibe-v2",
  async initialize(ctx, definition) {
    await ctx.hardware.write("txmode", Uint8Array.of(0x03, 0x02, 0x40), true);
    return handler(definition);
  },
};
