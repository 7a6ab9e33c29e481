import assert from "node:assert/strict";
import {
  kiirooV21,
  kiirooV21Battery,
  kiirooV21Initialized,
  kiirooV3,
} from "../../../../server/devices/protocols/kiiroo_v21.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("kiiroo-v21: vibrate, position with speed, battery byte 5 of exactly 20", async () => {
  using h = await harness("kiiroo-v21", "Titan1.1");
  const titan = definition("kiiroo-v21", "Titan1.1");
  const handler = await kiirooV21.initialize(h.ctx, titan);
  assert.equal(h.peripheral.history.length, 0, "no init traffic");
  assert.deepEqual(bytes(handler.vibrate!(titan.features[0], 7)), [[0x01, 7]]);
  assert.deepEqual(bytes(handler.hwPositionWithDuration!(titan.features[1], 99, 500)), [[
    0x03,
    0x00,
    40,
    99,
  ]]);
  const battery = titan.features[0];
  const twenty = Array.from({ length: 20 }, (_, i) => (i === 5 ? 64 : 1));
  h.peripheral.queueRead("whitelist", twenty);
  assert.equal(await handler.readInput!(battery, "Battery", h.ctx), 64);
  h.peripheral.queueRead("whitelist", [1, 2, 3, 4, 5, 6]);
  await assert.rejects(handler.readInput!(battery, "Battery", h.ctx), /6 bytes, expected 20/);
  assert.throws(() => kiirooV21Battery(new Uint8Array(21)), /expected 20/);
});

Deno.test("kiiroo-v21-initialized: two init writes with response, no battery override", async () => {
  using h = await harness("kiiroo-v21-initialized", "KEON");
  const keon = definition("kiiroo-v21-initialized", "KEON");
  const handler = await kiirooV21Initialized.initialize(h.ctx, keon);
  assert.deepEqual(
    h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data, c.withResponse] : []),
    [[0x03, 0x00, 0x64, 0x19, true], [0x03, 0x00, 0x64, 0x00, true]],
  );
  assert.equal(handler.readInput, undefined);
  assert.deepEqual(bytes(handler.hwPositionWithDuration!(keon.features[0], 50, 500)), [[
    0x03,
    0x00,
    19,
    50,
  ]]);
});

Deno.test("kiiroo-v3: battery refused clearly (no whitelist endpoint)", async () => {
  using h = await harness("kiiroo-v3", "KEON WIFI");
  const keon = definition("kiiroo-v3", "KEON WIFI");
  const handler = await kiirooV3.initialize(h.ctx, keon);
  const battery = keon.features.find((f) => f.input?.Battery)!;
  await assert.rejects(handler.readInput!(battery, "Battery", h.ctx), /no battery level/);
});
