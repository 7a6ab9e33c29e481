/**
 * Fredorch (`fredorch`, DEVICES.md §3.9): name `YXlinksSPP`; Modbus-RTU-like frames on `tx`
 * (without response) with CRC-16/MODBUS appended low byte first.
 *
 * - Initialize: subscribe `rx`; wait up to 500 ms for an optional wake-up notification; then
 *   program the device with five frames (program mode, record mode, move to 0 at speed 5, run,
 *   repeat), each of which must be answered by a notification within 500 ms.
 * - hw_position (0–15): distance = |previous − p| (at most 15); speed = 0 for no move, else the
 *   first k in 1…19 whose table time `M[distance−1][k−1]` is shorter than the duration, else 20;
 *   frame `01 10 00 6B 00 05 0A 00 sp 00 sp 00 p×10 00 p×10 00 01`.
 * - oscillate: `01 10 00 6B 00 05 0A 00 s 00 s 00 00 00 (s>0 ? E1 : 00) 00 01`.
 *
 * The upstream case `test_fredorch_protocol.yaml` predates the 0–15 position range (its move
 * bytes do not fit any value of that range); `ours/test_fredorch_positions.yaml` replaces it.
 *
 * @module
 */
import { ButtplugDeviceError } from "../../../protocol/errors.ts";
import { type ProtocolHandler, type ProtocolImplementation, write } from "../protocol.ts";
import { crc16Modbus } from "./_crc16.ts";

/** CID of the program frame (one program register block drives the device). */
export const FREDORCH_CID = "f9a83f46-0af5-4766-84f0-a1cca6614115";

const REPLY_TIMEOUT_MS = 500;

/** Move times in ms: rows = distance 1–15, columns = speed 1–20 (DEVICES.md §3.9). */
const SPEED_TABLE: readonly (readonly number[])[] = [
  [1000, 800, 400, 235, 200, 172, 155, 92, 60, 45, 38, 34, 32, 28, 27, 26, 25, 24, 23, 22],
  [1500, 1000, 800, 680, 600, 515, 425, 265, 165, 115, 80, 70, 50, 48, 45, 35, 34, 33, 32, 30],
  [2500, 2310, 1135, 925, 792, 695, 565, 380, 218, 155, 105, 82, 70, 68, 65, 60, 48, 45, 43, 40],
  [3000, 2800, 1500, 1155, 965, 810, 690, 465, 260, 195, 140, 110, 85, 75, 74, 73, 70, 65, 60, 55],
  [
    3400,
    3232,
    2305,
    1380,
    1200,
    1165,
    972,
    565,
    328,
    235,
    162,
    132,
    98,
    78,
    75,
    74,
    73,
    72,
    71,
    70,
  ],
  [
    3500,
    3350,
    2500,
    1640,
    1250,
    1210,
    1010,
    645,
    385,
    275,
    175,
    160,
    115,
    95,
    91,
    90,
    85,
    80,
    77,
    75,
  ],
  [
    3600,
    3472,
    2980,
    2060,
    1560,
    1275,
    1132,
    738,
    430,
    310,
    230,
    170,
    128,
    122,
    110,
    108,
    105,
    103,
    101,
    100,
  ],
  [
    3800,
    3500,
    3055,
    2105,
    1740,
    1370,
    1290,
    830,
    490,
    355,
    235,
    195,
    150,
    140,
    135,
    132,
    130,
    125,
    120,
    119,
  ],
  [
    3900,
    3518,
    3190,
    2315,
    2045,
    1510,
    1442,
    1045,
    552,
    392,
    280,
    225,
    172,
    145,
    140,
    138,
    135,
    134,
    132,
    130,
  ],
  [
    6000,
    5755,
    3240,
    2530,
    2135,
    1605,
    1500,
    1200,
    595,
    425,
    285,
    245,
    175,
    170,
    160,
    155,
    150,
    145,
    142,
    140,
  ],
  [
    6428,
    5872,
    3335,
    2780,
    2270,
    1782,
    1590,
    1310,
    648,
    470,
    315,
    255,
    182,
    180,
    175,
    172,
    170,
    162,
    160,
    155,
  ],
  [
    6730,
    5950,
    3490,
    2995,
    2395,
    1890,
    1650,
    1350,
    700,
    500,
    350,
    290,
    220,
    190,
    185,
    180,
    175,
    170,
    165,
    160,
  ],
  [
    6962,
    6122,
    3880,
    3205,
    2465,
    1900,
    1700,
    1400,
    835,
    545,
    375,
    310,
    228,
    195,
    190,
    185,
    182,
    181,
    180,
    175,
  ],
  [
    7945,
    6365,
    4130,
    3470,
    2505,
    1910,
    1755,
    1510,
    855,
    580,
    400,
    330,
    235,
    210,
    205,
    200,
    195,
    190,
    185,
    180,
  ],
  [
    8048,
    7068,
    4442,
    3708,
    2668,
    1930,
    1800,
    1520,
    878,
    618,
    428,
    365,
    260,
    255,
    250,
    240,
    230,
    220,
    210,
    200,
  ],
];

/**
 * Appends the CRC-16/MODBUS of `body`, low byte first.
 *
 * @example
 * ```ts
 * import { fredorchFrame } from "./fredorch.ts";
 * console.assert(fredorchFrame([0x01, 0x06, 0x00, 0x64, 0x00, 0x01]).slice(6).join() === "9,213");
 * ```
 */
export function fredorchFrame(body: readonly number[]): Uint8Array {
  const crc = crc16Modbus(body);
  return Uint8Array.from([...body, crc & 0xff, crc >>> 8]);
}

/**
 * Speed code (0–20) for a move of `distance` positions taking `durationMs`.
 *
 * @example
 * ```ts
 * import { fredorchSpeed } from "./fredorch.ts";
 * console.assert(fredorchSpeed(0, 100) === 0);
 * console.assert(fredorchSpeed(8, 200) === 12); // first time below 200 ms: 195 (speed 12)
 * console.assert(fredorchSpeed(15, 50) === 20);
 * ```
 */
export function fredorchSpeed(distance: number, durationMs: number): number {
  const d = Math.min(Math.max(Math.trunc(distance), 0), 15);
  if (d === 0) return 0;
  const row = SPEED_TABLE[d - 1];
  for (let k = 1; k < 20; k++) if (row[k - 1] < durationMs) return k;
  return 20;
}

const program = (speed: number, from: number, to: number): Uint8Array =>
  fredorchFrame([
    0x01,
    0x10,
    0x00,
    0x6b,
    0x00,
    0x05,
    0x0a,
    0x00,
    speed & 0xff,
    0x00,
    speed & 0xff,
    0x00,
    from & 0xff,
    0x00,
    to & 0xff,
    0x00,
    0x01,
  ]);

/** The five initialization frames (without CRC). */
const INIT_FRAMES: readonly (readonly number[])[] = [
  [0x01, 0x06, 0x00, 0x64, 0x00, 0x01], // program mode
  [0x01, 0x06, 0x00, 0x69, 0x00, 0x00], // record mode
  [
    0x01,
    0x10,
    0x00,
    0x6b,
    0x00,
    0x05,
    0x0a,
    0x00,
    0x05,
    0x00,
    0x05,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01,
  ],
  [0x01, 0x06, 0x00, 0x69, 0x00, 0x01], // run the program
  [0x01, 0x06, 0x00, 0x6a, 0x00, 0x01], // repeat it
];

/**
 * The `fredorch` protocol.
 *
 * @example
 * ```ts ignore
 * const handler = await fredorch.initialize(ctx, definition); // five acknowledged frames
 * handler.hwPositionWithDuration!(definition.features[0], 8, 200); // speed 12, position 80
 * ```
 */
export const fredorch: ProtocolImplementation = {
  id: "fredorch",
  async initialize(ctx): Promise<ProtocolHandler> {
    using replies = ctx.listenNotifications("rx");
    await ctx.hardware.subscribe("rx");
    await replies.next(REPLY_TIMEOUT_MS); // optional wake-up notification
    for (const body of INIT_FRAMES) {
      await ctx.hardware.write("tx", fredorchFrame([...body]), false);
      if (!(await replies.next(REPLY_TIMEOUT_MS))) {
        throw new ButtplugDeviceError("Fredorch did not acknowledge its initialization");
      }
    }
    let previous = 0;
    return {
      hwPositionWithDuration(_f, s, durationMs) {
        const speed = fredorchSpeed(Math.abs(previous - s), durationMs);
        previous = s;
        return [write("tx", program(speed, s * 10, s * 10), false, FREDORCH_CID)];
      },
      oscillate: (_f, s) => [write("tx", program(s, 0, s > 0 ? 0xe1 : 0x00), false, FREDORCH_CID)],
    };
  },
};
