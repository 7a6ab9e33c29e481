import assert from "node:assert/strict";
import { crc16Modbus, crc16Xmodem } from "../../../../server/devices/protocols/_crc16.ts";

Deno.test('CRC-16 check values ("123456789")', () => {
  const check = new TextEncoder().encode("123456789");
  assert.equal(crc16Modbus(check), 0x4b37);
  assert.equal(crc16Xmodem(check), 0x31c3);
  assert.equal(crc16Modbus([]), 0xffff);
  assert.equal(crc16Xmodem([]), 0x0000);
});
