import assert from "node:assert/strict";
import { prettylove } from "../../../../server/devices/protocols/prettylove.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("prettylove: fixed identifier, 00 s with response", async () => {
  using h = await harness("prettylove", "Aogu BLE 4.0");
  const id = await prettylove.identify!(h.ctx, {
    transport: "btle",
    name: "Aogu BLE 4.0",
    address: "a",
  });
  assert.deepEqual(id, { identifier: "Aogu BLE" });
  const def = definition("prettylove", "Aogu BLE");
  const handler = await prettylove.initialize(h.ctx, def);
  const cmds = handler.vibrate!(def.features[0], 3);
  assert.deepEqual(bytes(cmds), [[0x00, 0x03]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].withResponse);
});
