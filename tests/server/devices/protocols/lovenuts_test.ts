import assert from "node:assert/strict";
import { lovenuts, lovenutsFrame } from "../../../../server/devices/protocols/lovenuts.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("lovenuts: EVOL header, 10 nibble-doubled levels, 00 FF", async () => {
  assert.deepEqual(lovenutsFrame(3), [0x45, 0x56, 0x4f, 0x4c, ...Array(10).fill(0x33), 0x00, 0xff]);
  using h = await harness("lovenuts", "Love_Nuts");
  const def = definition("lovenuts", "Love_Nuts");
  const handler = await lovenuts.initialize(h.ctx, def);
  const [frame] = bytes(handler.vibrate!(def.features[0], 15));
  assert.equal(frame.length, 16);
  assert.deepEqual(frame.slice(4, 14), Array(10).fill(0xff));
});
