/**
 * Xuanhuan (`xuanhuan`, DEVICES.md §3.7): name `QUXIN`, vibrate 0–10. Frame `03 02 00 s` on `tx`
 * with response (CID constant). The device stops on its own unless the command is repeated, so a
 * background loop re-sends the current frame every 300 ms while the speed is above 0.
 *
 * Upstream's loop ticks on a fixed 300 ms period regardless of when the last command went out,
 * which can slip a stale repeat between two fresh commands. Here the loop only re-sends after
 * 300 ms without any Xuanhuan frame (a fresh command restarts the wait), which keeps the same
 * refresh rate with no redundant writes.
 *
 * @module
 */
import { type ProtocolImplementation, write } from "../protocol.ts";

/** CID of the Xuanhuan frame. */
export const XUANHUAN_CID = "xuanhuan-vibrate";
/** How long the device may go without a frame while running (ms). */
export const XUANHUAN_REFRESH_MS = 300;

const frame = (s: number): number[] => [0x03, 0x02, 0x00, s & 0xff];

/** The `xuanhuan` protocol. */
export const xuanhuan: ProtocolImplementation = {
  id: "xuanhuan",
  initialize(ctx) {
    let speed = 0;
    let lastSent = ctx.clock.now();
    return {
      vibrate(_f, s) {
        speed = s;
        lastSent = ctx.clock.now();
        return [write("tx", frame(s), true, XUANHUAN_CID)];
      },
      start(loopCtx) {
        const loop = async () => {
          while (!loopCtx.signal.aborted) {
            const wait = lastSent + XUANHUAN_REFRESH_MS - loopCtx.clock.now();
            if (wait > 0) {
              await loopCtx.sleep(wait);
              continue;
            }
            if (speed > 0) {
              await loopCtx.hardware.write("tx", Uint8Array.from(frame(speed)), true);
            }
            lastSent = loopCtx.clock.now();
          }
        };
        // Ends when the device goes away (sleep rejects) or a write fails, as upstream.
        loop().catch(() => {});
      },
    };
  },
};
