import assert from "node:assert/strict";
import { activejoy } from "../../../../server/devices/protocols/activejoy.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("activejoy: B0 01 00 fi on s per feature, without response", async () => {
  using h = await harness("activejoy", "SS-TD-YDTD-001");
  const def = definition("activejoy");
  const handler = await activejoy.initialize(h.ctx, def);
  const f = def.features[0];
  const cmds = handler.vibrate!(f, 128);
  assert.deepEqual(bytes(cmds), [[0xb0, 0x01, 0x00, 0x00, 0x01, 0x80]]);
  assert.ok(cmds[0].kind === "write" && !cmds[0].withResponse && cmds[0].cids[0] === f.id);
  assert.deepEqual(bytes(handler.vibrate!(f, 255)), [[0xb0, 0x01, 0x00, 0x00, 0x01, 0xff]]);
  assert.deepEqual(bytes(handler.vibrate!(f, 0)), [[0xb0, 0x01, 0x00, 0x00, 0x00, 0x00]]);
  assert.equal(h.peripheral.history.length, 0, "no init I/O");
});
