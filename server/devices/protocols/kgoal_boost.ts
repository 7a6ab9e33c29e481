/**
 * KGoal Boost (`kgoal-boost`, DEVICES.md §3.7): a kegel trainer with inputs only.
 *
 * Two pressure features (#0 normalized, #1 raw) share the BLE characteristic `rxpressure`: the
 * first subscription subscribes it, the last unsubscription unsubscribes it. Each notification
 * of at least 7 bytes (`00 01 04 nH nL rH rL`) carries the normalized reading as a big-endian u16
 * in bytes 3–4 (reported on the first pressure feature) and the raw reading in bytes 5–6
 * (reported on the second); a reading is only reported when it changed. Battery (#2) is the
 * default `rxblebattery` read.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import type { NotificationListener, ProtocolImplementation } from "../protocol.ts";

/** Longest single wait of the notification loop (it loops until unsubscribed). */
const NOTIFICATION_WAIT_MS = 60_000;

/**
 * Decodes a pressure notification into `[normalized, raw]`; `undefined` if it is too short.
 *
 * @example
 * ```ts
 * import { kgoalPressure } from "./kgoal_boost.ts";
 * console.assert(kgoalPressure([0x00, 0x01, 0x04, 0x00, 0x00, 0x05, 0xd3])?.[1] === 1491);
 * ```
 */
export function kgoalPressure(data: ArrayLike<number>): [number, number] | undefined {
  if (data.length < 7) return undefined;
  return [(data[3] << 8) | data[4], (data[5] << 8) | data[6]];
}

/** The `kgoal-boost` protocol. */
export const kgoalBoost: ProtocolImplementation = {
  id: "kgoal-boost",
  initialize(_ctx, definition) {
    const pressure = definition.features.filter((f) => f.input?.Pressure).map((f) => f.index);
    const subscribed = new Set<number>();
    let listener: NotificationListener | undefined;

    const pump = async (
      own: NotificationListener,
      emit: (fi: number, value: number) => void,
    ): Promise<void> => {
      const last: (number | undefined)[] = [undefined, undefined];
      while (listener === own) {
        const n = await own.next(NOTIFICATION_WAIT_MS);
        if (!n || listener !== own) continue;
        const values = kgoalPressure(n.data);
        if (!values) continue; // upstream logs and carries on
        values.forEach((value, channel) => {
          const fi = pressure[channel];
          if (fi === undefined || last[channel] === value) return;
          last[channel] = value;
          emit(fi, value);
        });
      }
    };

    return {
      async subscribeInput(feature, type, ctx) {
        if (type !== "Pressure" || !pressure.includes(feature.index)) {
          throw new ButtplugDeviceError(
            `KGoal Boost cannot subscribe to ${type} on ${feature.index}`,
          );
        }
        if (!listener) {
          const own = ctx.listenNotifications("rxpressure");
          listener = own;
          try {
            await ctx.hardware.subscribe("rxpressure");
          } catch (err) {
            listener = undefined;
            own.close();
            throw err;
          }
          pump(own, (fi, value) => ctx.emitReading(fi, "Pressure", value))
            .catch(() => {/* the device went away */})
            .finally(() => own.close());
        }
        subscribed.add(feature.index);
      },
      async unsubscribeInput(feature, _type, ctx) {
        if (!subscribed.delete(feature.index) || subscribed.size > 0) return;
        const own = listener;
        listener = undefined;
        own?.close();
        await ctx.hardware.unsubscribe("rxpressure");
      },
    };
  },
};
