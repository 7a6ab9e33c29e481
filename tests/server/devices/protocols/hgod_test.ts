import assert from "node:assert/strict";
import { hgod, HGOD_PERIOD_MS } from "../../../../server/devices/protocols/hgod.ts";
import { definition, harness } from "./_harness.ts";

Deno.test("hgod: the loop repeats the level every 100 ms while it is above 0", async () => {
  using h = await harness("hgod", "AMN NEO");
  const def = definition("hgod");
  const handler = await hgod.initialize(h.ctx, def);
  handler.start!(h.ctx);
  await h.clock.tick(HGOD_PERIOD_MS * 3);
  assert.equal(h.peripheral.history.length, 0, "nothing while off");
  assert.deepEqual(handler.vibrate!(def.features[0], 5), []);
  await h.clock.tick(HGOD_PERIOD_MS);
  await h.clock.tick(HGOD_PERIOD_MS);
  assert.deepEqual(h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data] : []), [
    [0x55, 0x04, 0, 0, 0, 5],
    [0x55, 0x04, 0, 0, 0, 5],
  ]);
  handler.vibrate!(def.features[0], 0);
  await h.clock.tick(HGOD_PERIOD_MS * 3);
  assert.equal(h.peripheral.takeCommands().length, 0, "stopped: no more packets");
});
