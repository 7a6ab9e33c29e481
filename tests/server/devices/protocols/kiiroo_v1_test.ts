import assert from "node:assert/strict";
import {
  KIIROO_V1_TICK_MS,
  kiirooV1,
  kiirooV1Command,
} from "../../../../server/devices/protocols/kiiroo_v1.ts";
import type { FakePeripheral } from "../../../../hardware/fake_peripheral.ts";
import { definition, harness, texts } from "./_harness.ts";

const sent = (p: FakePeripheral): string[] =>
  p.takeCommands().map((c) =>
    c.kind === "write"
      ? `${c.endpoint} ${JSON.stringify(new TextDecoder().decode(c.data))}`
      : c.kind
  );

Deno.test("kiiroo-v1: init handshake and Pearl vibrate", async () => {
  using h = await harness("kiiroo-v1", "PEARL");
  const pearl = definition("kiiroo-v1", "PEARL");
  assert.equal(pearl.name, "Kiiroo Pearl");
  const handler = await kiirooV1.initialize(h.ctx, pearl);
  assert.deepEqual(
    h.peripheral.takeCommands().map((c) =>
      c.kind === "write" ? [c.endpoint, ...c.data, c.withResponse] : [c.kind, c.endpoint]
    ),
    [["subscribe", "rx"], ["command", 0x01, 0x00, true], ["tx", 0x30, 0x2c, true]],
  );
  assert.deepEqual(texts(handler.vibrate!(pearl.features[0], 3)), ["3,\n"]);
  assert.equal(kiirooV1Command(0), "0,\n");
});

Deno.test("kiiroo-v1: Onyx moves are inverted and interpolated every 50 ms", async () => {
  using h = await harness("kiiroo-v1", "ONYX");
  const onyx = definition("kiiroo-v1", "ONYX");
  const handler = await kiirooV1.initialize(h.ctx, onyx);
  h.peripheral.takeCommands();
  handler.start!(h.ctx);
  const f = onyx.features[0];

  // p = 0 over 200 ms: device 4, from 0 -> 1, 2, 3, 4 at 50 ms steps.
  assert.deepEqual(handler.hwPositionWithDuration!(f, 0, 200), []);
  await h.clock.tick(0);
  assert.deepEqual(sent(h.peripheral), [], "t=0: still at 0");
  await h.clock.tick(KIIROO_V1_TICK_MS);
  assert.deepEqual(sent(h.peripheral), ['tx "1,\\n"']);
  await h.clock.tick(KIIROO_V1_TICK_MS * 3);
  assert.deepEqual(sent(h.peripheral), ['tx "2,\\n"', 'tx "3,\\n"', 'tx "4,\\n"']);
  await h.clock.tick(1000);
  assert.deepEqual(sent(h.peripheral), [], "idle: nothing more");
  assert.equal(h.clock.pending, 0, "the loop sleeps only while moving");

  // p = 4 (device 0) immediately.
  handler.hwPositionWithDuration!(f, 4, 0);
  await h.clock.tick(0);
  assert.deepEqual(sent(h.peripheral), ['tx "0,\\n"']);

  // A new target mid-move starts from where the device is.
  handler.hwPositionWithDuration!(f, 0, 400); // device 0 -> 4
  await h.clock.tick(200); // device at 2
  assert.deepEqual(sent(h.peripheral), ['tx "1,\\n"', 'tx "2,\\n"']);
  handler.hwPositionWithDuration!(f, 4, 100); // device 2 -> 0
  await h.clock.tick(100);
  assert.deepEqual(sent(h.peripheral), ['tx "1,\\n"', 'tx "0,\\n"']);

  h.peripheral.simulateDisconnect();
  await h.clock.tick(100);
  assert.equal(h.clock.pending, 0);
});
