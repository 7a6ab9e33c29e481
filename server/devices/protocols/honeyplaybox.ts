/**
 * HoneyPlayBox (`honeyplaybox`, DEVICES.md §3.9): service `ff12` (tx `ff03`, rx `ff02`), battery
 * `2a19`. Every write is a frame
 * `02 A5 5A 55 AA F0 cnt type cmd lenHi lenLo data… 03 crcHi crcLo` (with response), CRC-16/MODBUS
 * over `type cmd lenHi lenLo data`, high byte first.
 *
 * - Initialize: subscribe `rx`, then write the token request (type `B1`, cmd `01`, data `00 10`)
 *   with counter 0, 1, 2…; after each request wait for up to three notifications (reassembled
 *   into frames), each wait timing out after (t+1) s where t counts the timeouts so far — the 4th
 *   timeout refuses the device. A reply with code `9000` carries the 16-byte token; any other
 *   code refuses the device.
 * - Outputs: one strength slot per output feature (rotate uses |s|); a command frame (type `B1`,
 *   cmd `03`) holds one group `((i&0F)<<4 | 1) 00 05 00 3C 00 00 strength_i` per slot followed by
 *   the first 8 bytes of MD5(`B1 03 lenHi lenLo` ‖ groups ‖ SECRET ‖ token). The counter goes up
 *   by one before every frame (so the first command after a single request carries 2).
 * - Keepalive loop: every 100 ms, if 500 ms passed since the last frame, resend the strengths.
 * - Battery: read `rxblebattery` (20 bytes), byte 0.
 *
 * CIDs: upstream tags every frame with one protocol constant. A Stop then stops the features one
 * by one inside one batching window and the window would drop every frame but the last, so the
 * device would see a gap in the counter; we tag frames with the feature id instead, so a
 * multi-feature Stop sends one frame per feature with consecutive counters (as the upstream
 * test case expects).
 *
 * @module
 */
import { loadNodeCrypto, nodeCrypto } from "./_node_crypto.ts";
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import {
  type FeatureDefinition,
  type HardwareCommand,
  outputFeatures,
  type ProtocolContext,
  type ProtocolHandler,
  type ProtocolImplementation,
  write,
} from "../protocol.ts";
import { crc16Modbus } from "./_crc16.ts";

const HEADER = [0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0] as const;
const SECRET = [
  0x8b,
  0xe3,
  0xfd,
  0x04,
  0x68,
  0x35,
  0x09,
  0x86,
  0x12,
  0x1a,
  0xbf,
  0x03,
  0x30,
  0xe9,
  0xe3,
  0xc5,
] as const;
const TYPE = 0xb1;
const CMD_TOKEN = 0x01;
const CMD_VIBRATE = 0x03;
const MAX_TIMEOUTS = 3;
const WAITS_PER_REQUEST = 3;
/** Keepalive loop polling period. */
export const HONEYPLAYBOX_POLL_MS = 100;
/** Idle time after which the keepalive loop resends the strengths. */
export const HONEYPLAYBOX_KEEPALIVE_MS = 500;

/**
 * Builds a frame.
 *
 * @example
 * ```ts
 * import { honeyPlayBoxFrame } from "./honeyplaybox.ts";
 * const f = honeyPlayBoxFrame(0xb1, 0x01, [0x00, 0x10], 0);
 * console.assert(f.length === 16 && f[14] === 0x36 && f[15] === 0x86);
 * ```
 */
export function honeyPlayBoxFrame(
  type: number,
  cmd: number,
  data: ArrayLike<number>,
  counter: number,
): Uint8Array {
  const len = data.length;
  const body = [type, cmd, (len >>> 8) & 0xff, len & 0xff, ...Array.from(data)];
  const crc = crc16Modbus(body);
  return Uint8Array.from([...HEADER, counter & 0xff, ...body, 0x03, crc >>> 8, crc & 0xff]);
}

/** Reassembles frames from notification chunks (scan for the header, check the `03` tail). */
export class HoneyPlayBoxFrameCollector {
  #buffer: number[] = [];

  /** Adds a chunk; returns every complete frame it finished. */
  push(chunk: ArrayLike<number>): Uint8Array[] {
    this.#buffer.push(...Array.from(chunk));
    const frames: Uint8Array[] = [];
    while (true) {
      const start = this.#findHeader();
      if (start < 0) {
        // Keep a tail that may be the beginning of a header split across chunks.
        this.#buffer = this.#buffer.slice(-(HEADER.length - 1));
        while (this.#buffer.length > 0 && this.#buffer[0] !== HEADER[0]) this.#buffer.shift();
        break;
      }
      this.#buffer = this.#buffer.slice(start);
      if (this.#buffer.length < 11) break;
      const len = (this.#buffer[9] << 8) | this.#buffer[10];
      const frameLength = 14 + len;
      if (this.#buffer.length < frameLength) break;
      if (this.#buffer[11 + len] !== 0x03) {
        this.#buffer.shift(); // not a frame: resync on the next header
        continue;
      }
      frames.push(Uint8Array.from(this.#buffer.slice(0, frameLength)));
      this.#buffer = this.#buffer.slice(frameLength);
    }
    return frames;
  }

  #findHeader(): number {
    const b = this.#buffer;
    outer: for (let i = 0; i + HEADER.length <= b.length; i++) {
      for (let j = 0; j < HEADER.length; j++) if (b[i + j] !== HEADER[j]) continue outer;
      return i;
    }
    return -1;
  }
}

/** Response code (data bytes 0–1, big-endian) of a frame; `undefined` if it has none. */
export function honeyPlayBoxResponseCode(frame: Uint8Array): number | undefined {
  if (frame.length < 15) return undefined;
  const len = (frame[9] << 8) | frame[10];
  if (len < 2 || frame.length < 14 + len) return undefined;
  return (frame[11] << 8) | frame[12];
}

/** The 16-byte token of a `9000` reply (data bytes 2–17); `undefined` if too short. */
export function honeyPlayBoxToken(frame: Uint8Array): Uint8Array | undefined {
  const len = (frame[9] << 8) | frame[10];
  if (len < 18 || frame.length < 11 + len) return undefined;
  return frame.slice(13, 29);
}

/**
 * The signed payload of a command frame for the given strengths.
 *
 * @example
 * ```ts
 * import { honeyPlayBoxPayload } from "./honeyplaybox.ts";
 * const token = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
 * const p = honeyPlayBoxPayload([50, 0], token);
 * console.assert(p.length === 24 && p[7] === 50 && p[8] === 0x11);
 * ```
 */
export function honeyPlayBoxPayload(strengths: readonly number[], token: Uint8Array): Uint8Array {
  const groups = strengths.flatMap((
    s,
    i,
  ) => [((i & 0x0f) << 4) | 0x01, 0x00, 0x05, 0x00, 0x3c, 0x00, 0x00, s & 0xff]);
  const len = groups.length + 8;
  const md5 = nodeCrypto().createHash("md5")
    .update(Uint8Array.from([TYPE, CMD_VIBRATE, (len >>> 8) & 0xff, len & 0xff, ...groups]))
    .update(Uint8Array.from(SECRET))
    .update(token)
    .digest();
  return Uint8Array.from([...groups, ...md5.subarray(0, 8)]);
}

/** Runs the token handshake; resolves the token and the counter to continue from. */
async function handshake(ctx: ProtocolContext): Promise<{ token: Uint8Array; counter: number }> {
  using replies = ctx.listenNotifications("rx");
  await ctx.hardware.subscribe("rx");
  const collector = new HoneyPlayBoxFrameCollector();
  let timeouts = 0;
  let counter = 0;
  while (true) {
    await ctx.hardware.write("tx", honeyPlayBoxFrame(TYPE, CMD_TOKEN, [0x00, 0x10], counter), true);
    counter = (counter + 1) & 0xff;
    for (let wait = 0; wait < WAITS_PER_REQUEST; wait++) {
      const notification = await replies.next((timeouts + 1) * 1000); // rejects on disconnect
      if (!notification) {
        if (++timeouts > MAX_TIMEOUTS) {
          throw new ButtplugDeviceError(
            `HoneyPlayBox handshake failed after ${MAX_TIMEOUTS} retries`,
          );
        }
        continue;
      }
      for (const frame of collector.push(notification.data)) {
        const code = honeyPlayBoxResponseCode(frame);
        if (code === undefined) continue;
        if (code !== 0x9000) {
          throw new ButtplugDeviceError(
            `HoneyPlayBox handshake failed, code=${
              code.toString(16).toUpperCase().padStart(4, "0")
            }`,
          );
        }
        const token = honeyPlayBoxToken(frame);
        if (token) return { token, counter };
      }
    }
  }
}

/**
 * The `honeyplaybox` protocol.
 *
 * @example
 * ```ts ignore
 * const handler = await honeyplaybox.initialize(ctx, definition); // token handshake
 * handler.start!(ctx); // keepalive loop
 * handler.vibrate!(definition.features[0], 50); // signed command frame, counter 2
 * ```
 */
export const honeyplaybox: ProtocolImplementation = {
  id: "honeyplaybox",
  async initialize(ctx, definition): Promise<ProtocolHandler> {
    await loadNodeCrypto();
    const { token, counter: start } = await handshake(ctx);
    const slots = new Map(outputFeatures(definition).map((f, i) => [f.index, i]));
    const strengths = [...slots.values()].map(() => 0);
    let counter = start;
    let lastSend = ctx.clock.now();
    const nextFrame = (): Uint8Array => {
      counter = (counter + 1) & 0xff;
      lastSend = ctx.clock.now();
      return honeyPlayBoxFrame(TYPE, CMD_VIBRATE, honeyPlayBoxPayload(strengths, token), counter);
    };
    const set = (f: FeatureDefinition, s: number): HardwareCommand[] => {
      const slot = slots.get(f.index);
      if (slot !== undefined) strengths[slot] = s;
      return [write("tx", nextFrame(), true, f.id)];
    };
    return {
      vibrate: set,
      oscillate: set,
      rotate: (f, s) => set(f, Math.abs(s)),
      async readInput(f, type, c) {
        if (type !== "Battery") throw new ButtplugDeviceError(`HoneyPlayBox cannot read ${type}`);
        const data = await c.hardware.read("rxblebattery", 20, 1000);
        if (data.length < 1) {
          throw new ButtplugDeviceError(`HoneyPlayBox battery (feature ${f.index}): empty reading`);
        }
        return data[0];
      },
      start(loopCtx) {
        const loop = async (): Promise<void> => {
          while (!loopCtx.signal.aborted) {
            await loopCtx.sleep(HONEYPLAYBOX_POLL_MS);
            if (loopCtx.clock.now() - lastSend < HONEYPLAYBOX_KEEPALIVE_MS) continue;
            await loopCtx.hardware.write("tx", nextFrame(), true);
          }
        };
        loop().catch(() => {/* ends with the device or on a write error */});
      },
    };
  },
};
