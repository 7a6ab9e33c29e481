import assert from "node:assert/strict";
import { cupido } from "../../../../server/devices/protocols/cupido.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("cupido: B0 03 00 00 00 s AA", async () => {
  using h = await harness("cupido", "MY2607-BLE-V1.0");
  const def = definition("cupido");
  const handler = await cupido.initialize(h.ctx, def);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 0xc0)), [[
    0xb0,
    0x03,
    0,
    0,
    0,
    0xc0,
    0xaa,
  ]]);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 0)), [[
    0xb0,
    0x03,
    0,
    0,
    0,
    0x00,
    0xaa,
  ]]);
});
