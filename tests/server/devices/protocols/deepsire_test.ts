import assert from "node:assert/strict";
import { deepsire } from "../../../../server/devices/protocols/deepsire.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("deepsire: 55 04 01 00 00 s AA", async () => {
  using h = await harness("deepsire", "IMP 3");
  const def = definition("deepsire", "IMP 3");
  const handler = await deepsire.initialize(h.ctx, def);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 0x80)), [[
    0x55,
    0x04,
    0x01,
    0,
    0,
    0x80,
    0xaa,
  ]]);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 0xff)), [[
    0x55,
    0x04,
    0x01,
    0,
    0,
    0xff,
    0xaa,
  ]]);
});
