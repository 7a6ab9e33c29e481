import assert from "node:assert/strict";
import { muse, MUSE_KEEPALIVE_MS } from "../../../../server/devices/protocols/muse.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("muse: speed mode `s 01`, stop `00 00`, timed keepalive inside the 1 s speed window", async () => {
  using h = await harness("muse", "WB-TDD");
  const def = definition("muse", "WB-TDD");
  assert.equal(def.name, "Galaku Panty Vib");
  const handler = await muse.initialize(h.ctx, def);
  assert.deepEqual(handler.keepalive, { kind: "repeat-last-with-timing", ms: MUSE_KEEPALIVE_MS });
  assert.ok(MUSE_KEEPALIVE_MS < 1000);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 9)), [[0x09, 0x01]]);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 1)), [[0x01, 0x01]]);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 0)), [[0x00, 0x00]]);
});
