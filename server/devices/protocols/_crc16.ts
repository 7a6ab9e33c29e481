/**
 * CRC-16 variants used by several toy protocols (DEVICES.md §3.6): CRC-16/MODBUS (fredorch,
 * honeyplaybox) and CRC-16/XMODEM (ankni). Bitwise implementations written from the published
 * CRC parameters (width 16, poly, init, refin/refout, xorout).
 *
 * @module
 */

/**
 * CRC-16/MODBUS: poly 0x8005 reflected (0xA001), init 0xFFFF, reflected in/out, no final XOR.
 *
 * @example
 * ```ts
 * import { crc16Modbus } from "./_crc16.ts";
 * // Fredorch appends it low byte first: 01 06 00 64 00 01 → 09 D5.
 * console.assert(crc16Modbus([0x01, 0x06, 0x00, 0x64, 0x00, 0x01]) === 0xd509);
 * ```
 */
export function crc16Modbus(data: ArrayLike<number>): number {
  let crc = 0xffff;
  for (let i = 0; i < data.length; i++) {
    crc ^= data[i] & 0xff;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc & 0xffff;
}

/**
 * CRC-16/XMODEM: poly 0x1021, init 0, no reflection, no final XOR.
 *
 * @example
 * ```ts
 * import { crc16Xmodem } from "./_crc16.ts";
 * console.assert(crc16Xmodem(new TextEncoder().encode("123456789")) === 0x31c3);
 * ```
 */
export function crc16Xmodem(data: ArrayLike<number>): number {
  let crc = 0;
  for (let i = 0; i < data.length; i++) {
    crc ^= (data[i] & 0xff) << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}
