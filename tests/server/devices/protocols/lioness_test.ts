import assert from "node:assert/strict";
import { lioness } from "../../../../server/devices/protocols/lioness.ts";
import { ButtplugDeviceError } from "../../../../protocol/errors.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("lioness: subscribe + init write, then 02 AA BB CC CC s", async () => {
  using h = await harness("lioness", "Lioness");
  const def = definition("lioness", "Lioness");
  const handler = await lioness.initialize(h.ctx, def);
  assert.deepEqual(
    h.peripheral.takeCommands().map((c) =>
      c.kind === "write" ? [...c.data, c.withResponse] : [c.kind]
    ),
    [["subscribe"], [0x01, 0xaa, 0xaa, 0xbb, 0xcc, 0x10, true]],
  );
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 99)), [[
    0x02,
    0xaa,
    0xbb,
    0xcc,
    0xcc,
    99,
  ]]);
});

Deno.test("lioness: a failing init write asks for OS pairing with the PIN", async () => {
  using h = await harness("lioness", "Lioness", {
    onWrite: () => {
      throw new Error("GATT: insufficient authentication");
    },
  });
  await assert.rejects(
    Promise.resolve(lioness.initialize(h.ctx, definition("lioness", "Lioness"))),
    (err: unknown) => err instanceof ButtplugDeviceError && /PIN 6496/.test(err.message),
  );
});
