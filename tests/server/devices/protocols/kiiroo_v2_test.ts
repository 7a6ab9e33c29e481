import assert from "node:assert/strict";
import { kiirooV2 } from "../../../../server/devices/protocols/kiiroo_v2.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("kiiroo-v2: firmware init write, then position + Launch speed", async () => {
  using h = await harness("kiiroo-v2", "Launch");
  const launch = definition("kiiroo-v2", "Launch");
  const handler = await kiirooV2.initialize(h.ctx, launch);
  assert.deepEqual(
    h.peripheral.takeCommands().map((c) =>
      c.kind === "write" ? [c.endpoint, ...c.data, c.withResponse] : []
    ),
    [["firmware", 0x00, true]],
  );
  const f = launch.features[0];
  const cmds = handler.hwPositionWithDuration!(f, 50, 500);
  assert.deepEqual(bytes(cmds), [[50, 19]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].endpoint === "tx" && !cmds[0].withResponse);
  assert.deepEqual(bytes(handler.hwPositionWithDuration!(f, 50, 500)), [[50, 0]], "no distance");
  assert.deepEqual(bytes(handler.hwPositionWithDuration!(f, 0, 0)), [[0, 255]]);
});
