/**
 * Fredorch rotary machines (`fredorch-rotary`, DEVICES.md §3.7): names `M1_*`, service `ae10`
 * (tx `ae01`, rx `ae02`). Frames `55 03 c (c+3) AA` without response: `1F` power up, `24` stop,
 * `01` one speed step up, `02` one speed step down. The device has no absolute speed command, so
 * the handler keeps a target (0–20) and a background loop steps the device towards it.
 *
 * - Initialize: subscribe `rx`; send `55 03 99 9C AA`, `55 09 21 00 00 00 00 00 00 2A AA`,
 *   `55 03 1F 22 AA`, `55 03 24 27 AA`, waiting up to 100 ms for a notification after each (a
 *   timeout is fine; a disconnect fails).
 * - oscillate: stores the target; `s = 0` also resets the current speed and returns the stop
 *   frame, `s > 0` returns nothing.
 * - Loop: while target ≠ current, send one step frame and move current by one (back to back,
 *   each write awaited); when they match, check again after 100 ms. A write error ends the loop.
 *
 * @module
 */
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";

/** CID of the stop frame. */
export const FREDORCH_ROTARY_CID = "0d7ddb1d-d2e8-4cbb-8cb9-26e4527956de";

const INIT_REPLY_MS = 100;
const IDLE_CHECK_MS = 100;

/**
 * A `55 03 c (c+3) AA` frame.
 *
 * @example
 * ```ts
 * import { fredorchRotaryFrame } from "./fredorch_rotary.ts";
 * console.assert(fredorchRotaryFrame(0x24).join() === "85,3,36,39,170");
 * ```
 */
export function fredorchRotaryFrame(code: number): Uint8Array {
  return Uint8Array.from([0x55, 0x03, code & 0xff, (code + 3) & 0xff, 0xaa]);
}

const INIT_FRAMES: readonly Uint8Array[] = [
  fredorchRotaryFrame(0x99),
  Uint8Array.from([0x55, 0x09, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xaa]),
  fredorchRotaryFrame(0x1f),
  fredorchRotaryFrame(0x24),
];
const STOP = fredorchRotaryFrame(0x24);
const UP = fredorchRotaryFrame(0x01);
const DOWN = fredorchRotaryFrame(0x02);

/**
 * The `fredorch-rotary` protocol.
 *
 * @example
 * ```ts ignore
 * const handler = await fredorchRotary.initialize(ctx, definition);
 * handler.start!(ctx);
 * handler.oscillate!(definition.features[0], 2); // the loop then sends 55 03 01 04 AA twice
 * ```
 */
export const fredorchRotary: ProtocolImplementation = {
  id: "fredorch-rotary",
  async initialize(ctx): Promise<ProtocolHandler> {
    using replies = ctx.listenNotifications();
    await ctx.hardware.subscribe("rx");
    for (const frame of INIT_FRAMES) {
      await ctx.hardware.write("tx", frame, false);
      await replies.next(INIT_REPLY_MS); // rejects on disconnect; a timeout is fine
    }
    let target = 0;
    let current = 0;
    return {
      oscillate(_f, s) {
        target = s;
        if (s !== 0) return [];
        current = 0;
        return [write("tx", STOP, false, FREDORCH_ROTARY_CID)];
      },
      start(loopCtx) {
        const loop = async (): Promise<void> => {
          while (!loopCtx.signal.aborted) {
            if (target === current) {
              await loopCtx.sleep(IDLE_CHECK_MS);
              continue;
            }
            if (target === 0) {
              current = 0;
              await loopCtx.hardware.write("tx", STOP, false);
            } else if (target > current) {
              current++;
              await loopCtx.hardware.write("tx", UP, false);
            } else {
              current--;
              await loopCtx.hardware.write("tx", DOWN, false);
            }
          }
        };
        loop().catch(() => {/* ends with the device or on a write error */});
      },
    };
  },
};
