import assert from "node:assert/strict";
import { foreo, foreoMode } from "../../../../server/devices/protocols/foreo.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("foreo: mode byte from the name", () => {
  assert.equal(foreoMode("LUNA play smart 2"), 3);
  assert.equal(foreoMode("LUNA PLAYSMART2"), 3);
  assert.equal(foreoMode("LUNA PLAY SMART"), 0, "smart without 2");
  assert.equal(foreoMode("LUNA fofo"), 1);
  assert.equal(foreoMode("UFO3mini"), 1);
  assert.equal(foreoMode("BEAR 2"), 0);
});

Deno.test("foreo: 01 mode s with response", async () => {
  using h = await harness("foreo", "LUNA play smart2");
  const def = definition("foreo", "LUNA play smart2");
  const handler = await foreo.initialize(h.ctx, def);
  const cmd = handler.vibrate!(def.features[0], 10);
  assert.deepEqual(bytes(cmd), [[0x01, 0x03, 0x0a]]);
  assert.ok(cmd[0].kind === "write" && cmd[0].withResponse);
});
