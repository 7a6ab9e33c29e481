import assert from "node:assert/strict";
import { feelingso, FEELINGSO_CID } from "../../../../server/devices/protocols/feelingso.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("feelingso: AA 40 03 vib osc 14 19 carries both values", async () => {
  using h = await harness("feelingso", "Flair Feel");
  const def = definition("feelingso");
  const handler = await feelingso.initialize(h.ctx, def);
  const [vib, osc] = def.features;
  assert.deepEqual(bytes(handler.vibrate!(vib, 15)), [[0xaa, 0x40, 0x03, 0x0f, 0x00, 0x14, 0x19]]);
  const cmd = handler.oscillate!(osc, 10);
  assert.deepEqual(bytes(cmd), [[0xaa, 0x40, 0x03, 0x0f, 0x0a, 0x14, 0x19]]);
  assert.ok(cmd[0].kind === "write" && cmd[0].cids[0] === FEELINGSO_CID);
});
