import assert from "node:assert/strict";
import { meese } from "../../../../server/devices/protocols/meese.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("meese: 01 80 (01+fi) s with response", async () => {
  using h = await harness("meese", "Meese-V389");
  const tera = definition("meese", "Meese-V389");
  const handler = await meese.initialize(h.ctx, tera);
  assert.deepEqual(bytes(handler.vibrate!(tera.features[0], 10)), [[0x01, 0x80, 0x01, 10]]);
  const cmds = handler.vibrate!(tera.features[1], 3);
  assert.deepEqual(bytes(cmds), [[0x01, 0x80, 0x02, 3]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].withResponse);
});
