import assert from "node:assert/strict";
import { cowgirl, COWGIRL_CID } from "../../../../server/devices/protocols/cowgirl.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("cowgirl: 00 01 vib rot with response, both values kept", async () => {
  using h = await harness("cowgirl", "THE UNICORN");
  const def = definition("cowgirl", "THE UNICORN");
  const handler = await cowgirl.initialize(h.ctx, def);
  const [vib, rot] = def.features;
  assert.deepEqual(bytes(handler.vibrate!(vib, 0xc0)), [[0x00, 0x01, 0xc0, 0x00]]);
  const cmd = handler.rotate!(rot, 0x80);
  assert.deepEqual(bytes(cmd), [[0x00, 0x01, 0xc0, 0x80]]);
  assert.ok(cmd[0].kind === "write" && cmd[0].withResponse && cmd[0].cids[0] === COWGIRL_CID);
  assert.deepEqual(bytes(handler.vibrate!(vib, 0)), [[0x00, 0x01, 0x00, 0x80]]);
});
