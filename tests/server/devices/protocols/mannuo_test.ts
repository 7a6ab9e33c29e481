import assert from "node:assert/strict";
import { mannuo, mannuoFrame } from "../../../../server/devices/protocols/mannuo.ts";
import { definition, harness } from "./_harness.ts";

Deno.test("mannuo: XOR checksum, with response", async () => {
  assert.deepEqual(mannuoFrame(1), [0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x01, 0xfa, 0x03]);
  assert.deepEqual(mannuoFrame(0).at(-1), 0x02);
  using h = await harness("mannuo", "Sex toys");
  const def = definition("mannuo", "Sex toys");
  const [cmd] = (await mannuo.initialize(h.ctx, def)).vibrate!(def.features[0], 3);
  assert.ok(cmd.kind === "write" && cmd.withResponse && cmd.data.at(-1) === 0x01);
});
