import assert from "node:assert/strict";
import { leten } from "../../../../server/devices/protocols/leten.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("leten: 04 01 init, 02 s with response, timed keepalive 1 s", async () => {
  using h = await harness("leten", "F520A-LT");
  const def = definition("leten", "F520A-LT");
  const handler = await leten.initialize(h.ctx, def);
  assert.deepEqual(
    h.peripheral.takeCommands().map((c) =>
      c.kind === "write" ? [c.endpoint, ...c.data, c.withResponse] : []
    ),
    [["tx", 0x04, 0x01, true]],
  );
  assert.deepEqual(handler.keepalive, { kind: "repeat-last-with-timing", ms: 1000 });
  const cmds = handler.vibrate!(def.features[0], 13);
  assert.deepEqual(bytes(cmds), [[0x02, 0x0d]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].withResponse);
});
