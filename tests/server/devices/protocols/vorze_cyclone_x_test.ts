import assert from "node:assert/strict";
import {
  cycloneX10Report,
  vorzeCycloneX,
} from "../../../../server/devices/protocols/vorze_cyclone_x.ts";
import { bytes, definition, harness } from "./_harness.ts";

const BASE = [0x00, 0x3c, 0x30, 0x31, 0x35, 0x32, 0x30];
const TAIL = [0x30, 0x30, 0x01, 0x02, 0x03, 0x68, 0x3e];

Deno.test("report: 16 bytes, report id 00, direction digit then level digit", () => {
  assert.deepEqual(cycloneX10Report(0), [...BASE, 0x30, 0x30, ...TAIL]);
  assert.deepEqual(cycloneX10Report(7), [...BASE, 0x30, 0x37, ...TAIL]);
  assert.deepEqual(cycloneX10Report(-10), [...BASE, 0x31, 0x3a, ...TAIL]);
});

Deno.test("HID device: rotate writes the report to tx without response", async () => {
  using h = await harness("vorze-cyclone-x", "Cyclone X10", { transport: "hid" });
  const def = definition("vorze-cyclone-x");
  assert.deepEqual(def.features[0].output?.Rotate?.value, [-10, 10]);
  const handler = await vorzeCycloneX.initialize(h.ctx, def);
  const cmds = handler.rotate!(def.features[0], -3);
  assert.deepEqual(bytes(cmds), [[...BASE, 0x31, 0x33, ...TAIL]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].endpoint === "tx" && !cmds[0].withResponse);
  await h.peripheral.write("tx", cmds[0].data, false); // tx is bound on an HID connection
});
