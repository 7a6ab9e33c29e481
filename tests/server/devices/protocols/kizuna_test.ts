import assert from "node:assert/strict";
import { kizuna } from "../../../../server/devices/protocols/kizuna.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("kizuna: rotate s -> ASCII digit + CR LF in one serial write", async () => {
  using h = await harness("kizuna", "/dev/ttyUSB0", { transport: "serial" });
  const def = definition("kizuna");
  const handler = await kizuna.initialize(h.ctx, def);
  const cmds = handler.rotate!(def.features[0], 7);
  assert.deepEqual(bytes(cmds), [[0x37, 0x0d, 0x0a]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].endpoint === "tx" && !cmds[0].withResponse);
  assert.deepEqual(bytes(handler.rotate!(def.features[0], 0)), [[0x30, 0x0d, 0x0a]]);
});
