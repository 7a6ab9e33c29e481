/**
 * The Lelo family (DEVICES.md §3.9 "Lelo"):
 *
 * - `lelo-f1s`: init subscribes `rx` (the user must press the power button before the toy
 *   accepts commands); packet `01 v0 v1` on `tx` without response, both motors, CID constant.
 * - `lelo-f1sv2`: security handshake on `whitelist` (or, when the device has none, on `generic0`,
 *   "harmony mode"), then the F1s packet with response (or the Harmony encoder in harmony mode).
 * - `lelo-harmony`: security handshake on `whitelist`, then `0A 12 (fi+1) 08 00 00 00 00 s 00`
 *   on `tx` for vibrate and rotate (CID per feature).
 *
 * Handshake: subscribe the security endpoint; for each notification on it: "not yet
 * authorised" → keep waiting (the user has to press the power button); "authorised" → done;
 * anything else is a password: unsubscribe, write it back to the same endpoint with response,
 * subscribe again and keep waiting. F1s V2 compares exactly (`00×8` / `01 00×7`); Harmony
 * accepts any all-zero payload as unauthorised and `01` followed only by zeros as authorised.
 * Upstream waits forever for the button press (DEVICES.md §5.7); here the wait gives up after
 * {@linkcode LELO_HANDSHAKE_TIMEOUT_MS} with a clear error (the toy is retried when it is seen
 * again) and ends as soon as the device disconnects. An empty notification is not taken as a
 * password (writing back nothing cannot authorise anything).
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  type ProtocolContext,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";

/** CID of the F1s packet (carries both motors). */
export const LELO_F1S_CID = "64f68a8d-4c3f-475b-860d-353390c13887";
/** How long a security handshake waits for the user to press the power button. */
export const LELO_HANDSHAKE_TIMEOUT_MS = 120_000;

/** What a security notification means. */
export type LeloSecurityState = "unauthorised" | "authorised" | "password";

/**
 * F1s V2 rule: exactly `00×8` / exactly `01 00×7`; anything else is a password.
 *
 * @example
 * ```ts
 * import { f1sv2SecurityState } from "./lelo.ts";
 * console.assert(f1sv2SecurityState(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)) === "authorised");
 * console.assert(f1sv2SecurityState(Uint8Array.of(1, 2, 3)) === "password");
 * ```
 */
export function f1sv2SecurityState(data: Uint8Array): LeloSecurityState {
  if (data.length === 0) return "unauthorised";
  if (data.length === 8 && data.every((b) => b === 0)) return "unauthorised";
  if (data.length === 8 && data[0] === 1 && data.subarray(1).every((b) => b === 0)) {
    return "authorised";
  }
  return "password";
}

/** Harmony rule: all zero → unauthorised; `01` then only zeros → authorised; else password. */
export function harmonySecurityState(data: Uint8Array): LeloSecurityState {
  if (data.every((b) => b === 0)) return "unauthorised";
  if (data[0] === 1 && data.subarray(1).every((b) => b === 0)) return "authorised";
  return "password";
}

/**
 * Runs the security handshake on `endpoint` until the device reports "authorised".
 *
 * @throws {ButtplugDeviceError} on timeout; rejects when the device disconnects.
 */
export async function leloSecurityHandshake(
  ctx: ProtocolContext,
  endpoint: string,
  classify: (data: Uint8Array) => LeloSecurityState,
  timeoutMs: number = LELO_HANDSHAKE_TIMEOUT_MS,
): Promise<void> {
  using events = ctx.listenNotifications(endpoint);
  const deadline = ctx.clock.now() + timeoutMs;
  await ctx.hardware.subscribe(endpoint);
  while (true) {
    const remaining = deadline - ctx.clock.now();
    const n = remaining > 0 ? await events.next(remaining) : undefined;
    if (!n) {
      throw new ButtplugDeviceError(
        `${ctx.hardware.name} was not authorised within ${Math.round(timeoutMs / 1000)} s: ` +
          "press the device's power button to complete the connection",
      );
    }
    switch (classify(n.data)) {
      case "unauthorised":
        continue;
      case "authorised":
        return;
      case "password":
        // The password cannot be written while subscribed.
        await ctx.hardware.unsubscribe(endpoint);
        await ctx.hardware.write(endpoint, n.data, true);
        await ctx.hardware.subscribe(endpoint);
    }
  }
}

/** The F1s two-motor encoder. */
export function leloF1sHandler(withResponse: boolean): ProtocolHandler {
  const speeds = [0, 0];
  return {
    vibrate(f, s) {
      if (f.index > 1) throw new ButtplugDeviceError(`Lelo F1s has no motor ${f.index}`);
      speeds[f.index] = s & 0xff;
      return [write("tx", [0x01, ...speeds], withResponse, LELO_F1S_CID)];
    },
  };
}

/** The Harmony per-feature encoder (vibrate and rotate). */
export function leloHarmonyHandler(): ProtocolHandler {
  const frame = (
    fi: number,
    s: number,
  ) => [0x0a, 0x12, (fi + 1) & 0xff, 0x08, 0x00, 0x00, 0x00, 0x00, Math.abs(s) & 0xff, 0x00];
  return {
    vibrate: (f, s) => [write("tx", frame(f.index, s), false, f.id)],
    rotate: (f, s) => [write("tx", frame(f.index, s), false, f.id)],
  };
}

/** The `lelo-f1s` protocol. */
export const leloF1s: ProtocolImplementation = {
  id: "lelo-f1s",
  async initialize(ctx) {
    await ctx.hardware.subscribe("rx");
    return leloF1sHandler(false);
  },
};

/** The `lelo-f1sv2` protocol. */
export const leloF1sv2: ProtocolImplementation = {
  id: "lelo-f1sv2",
  async initialize(ctx) {
    const harmonyMode = !ctx.hardware.endpoints.includes("whitelist");
    await leloSecurityHandshake(ctx, harmonyMode ? "generic0" : "whitelist", f1sv2SecurityState);
    return harmonyMode ? leloHarmonyHandler() : leloF1sHandler(true);
  },
};

/** The `lelo-harmony` protocol. */
export const leloHarmony: ProtocolImplementation = {
  id: "lelo-harmony",
  async initialize(ctx) {
    await leloSecurityHandshake(ctx, "whitelist", harmonySecurityState);
    return leloHarmonyHandler();
  },
};
