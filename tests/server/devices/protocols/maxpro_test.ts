import assert from "node:assert/strict";
import { maxpro, maxproFrame } from "../../../../server/devices/protocols/maxpro.ts";
import { definition, harness } from "./_harness.ts";

Deno.test("maxpro: byte-sum checksum, no response", async () => {
  assert.deepEqual(maxproFrame(100), [0x55, 0x04, 0x07, 0xff, 0xff, 0x3f, 100, 0x5f, 100, 0xc4]);
  assert.equal(maxproFrame(0).at(-1), 0xfc);
  using h = await harness("maxpro", "M2");
  const def = definition("maxpro", "M2");
  const [cmd] = (await maxpro.initialize(h.ctx, def)).vibrate!(def.features[0], 1);
  assert.ok(cmd.kind === "write" && !cmd.withResponse && cmd.data.at(-1) === 0xfe);
});
