import assert from "node:assert/strict";
import { jejoue, JEJOUE_CID, jejouePacket } from "../../../../server/devices/protocols/jejoue.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("jejoue: pattern from the two stored motor values", async () => {
  assert.deepEqual(jejouePacket(4, 2), [0x02, 0x04], "v1 ignored while v0 runs");
  using h = await harness("jejoue", "Je Joue");
  const def = definition("jejoue");
  const handler = await jejoue.initialize(h.ctx, def);
  const [m0, m1] = def.features;
  assert.deepEqual(bytes(handler.vibrate!(m1, 4)), [[0x03, 0x04]]);
  assert.deepEqual(bytes(handler.vibrate!(m0, 1)), [[0x02, 0x01]]);
  assert.deepEqual(bytes(handler.vibrate!(m0, 0)), [[0x03, 0x04]]);
  const off = handler.vibrate!(m1, 0);
  assert.deepEqual(bytes(off), [[0x01, 0x00]]);
  assert.ok(off[0].kind === "write" && off[0].cids[0] === JEJOUE_CID);
});
