/**
 * Kiiroo v1 (`kiiroo-v1`): the first-generation Kiiroo Pearl (vibrator) and Onyx (stroker).
 * Config-only upstream (DEVICES.md §3.8); implemented from the public, older Buttplug C#
 * implementation (`KiirooGen1Protocol`, BSD-3), whose facts are:
 *
 * - init: subscribe `rx` (the Onyx only works with notifications on), write `01 00` to
 *   `command` with response (mode select), write ASCII `0,` to `tx` with response (home);
 * - every command is ASCII `<n>,\n` on `tx` with n in 0–4;
 * - Pearl vibrate `s` (0–4) → `<s>,\n`;
 * - Onyx positions are inverted (device 0 = client maximum) and the device only knows the five
 *   positions 0–4, so a move to `p` over `d` ms is interpolated: every 50 ms the position
 *   `round(from + (to − from) × elapsed / d)` is sent when it changed, ending exactly at the
 *   target. (The C# version also re-sent the current position every 500 ms while idle; the
 *   device holds its position without it, so that ping is left out.)
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  type FeatureDefinition,
  type ProtocolContext,
  type ProtocolImplementation,
  writeText,
} from "../protocol.ts";

/** Interval of the Onyx interpolation loop. */
export const KIIROO_V1_TICK_MS = 50;

/** The ASCII command for position/speed `n`. */
export function kiirooV1Command(n: number): string {
  return `${n},\n`;
}

/** Interpolates Onyx moves on the context clock and writes the intermediate positions. */
class OnyxMover {
  #from = 0;
  #to = 0;
  #startedAt = 0;
  #durationMs = 0;
  #current = 0;
  #sent = 0; // the init handshake homes the device at 0
  #moving = false;
  #wake?: () => void;

  moveTo(target: number, durationMs: number, now: number): void {
    this.#from = this.#current;
    this.#to = target;
    this.#startedAt = now;
    this.#durationMs = durationMs;
    this.#moving = true;
    this.#wake?.();
  }

  async run(ctx: ProtocolContext): Promise<void> {
    while (!ctx.signal.aborted) {
      if (!this.#moving) {
        await this.#idle(ctx.signal);
        continue;
      }
      const elapsed = ctx.clock.now() - this.#startedAt;
      if (elapsed >= this.#durationMs) {
        this.#current = this.#to;
        this.#moving = false;
      } else {
        this.#current = this.#from + ((this.#to - this.#from) * elapsed) / this.#durationMs;
      }
      const n = Math.round(this.#current);
      if (n !== this.#sent) {
        this.#sent = n;
        await ctx.hardware.write("tx", new TextEncoder().encode(kiirooV1Command(n)), false);
      }
      if (this.#moving) await ctx.sleep(KIIROO_V1_TICK_MS);
    }
  }

  #idle(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

function positionMax(f: FeatureDefinition): number {
  const range = f.output?.HwPositionWithDuration?.value;
  if (!range) throw new ButtplugDeviceError(`feature ${f.index} has no position output`);
  return range[1];
}

/** The `kiiroo-v1` protocol. */
export const kiirooV1: ProtocolImplementation = {
  id: "kiiroo-v1",
  async initialize(ctx) {
    await ctx.hardware.subscribe("rx");
    await ctx.hardware.write("command", Uint8Array.from([0x01, 0x00]), true);
    await ctx.hardware.write("tx", new TextEncoder().encode("0,"), true);
    const onyx = new OnyxMover();
    return {
      vibrate: (f, s) => [writeText("tx", kiirooV1Command(s), false, f.id)],
      hwPositionWithDuration(f, s, durationMs) {
        onyx.moveTo(positionMax(f) - s, durationMs, ctx.clock.now());
        return [];
      },
      start(ctx) {
        onyx.run(ctx).catch(() => {/* ends with the device */});
      },
    };
  },
};
