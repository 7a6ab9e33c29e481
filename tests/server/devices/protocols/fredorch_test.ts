import assert from "node:assert/strict";
import {
  fredorch,
  FREDORCH_CID,
  fredorchFrame,
  fredorchSpeed,
} from "../../../../server/devices/protocols/fredorch.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("fredorch: CRC low byte first, speed table lookups", () => {
  assert.deepEqual([...fredorchFrame([0x01, 0x06, 0x00, 0x69, 0x00, 0x00])].slice(6), [0x59, 0xd6]);
  assert.equal(fredorchSpeed(0, 10), 0);
  assert.equal(fredorchSpeed(1, 1001), 1);
  assert.equal(fredorchSpeed(1, 1000), 2, "strictly shorter than the duration");
  assert.equal(fredorchSpeed(15, 1000), 9);
  assert.equal(fredorchSpeed(15, 200), 20);
  assert.equal(fredorchSpeed(40, 1000), 9, "distance capped at 15");
});

Deno.test("fredorch: init requires an answer to each of the five frames", async () => {
  using h = await harness("fredorch", "YXlinksSPP");
  const def = definition("fredorch");
  const pending = Promise.resolve(fredorch.initialize(h.ctx, def));
  await h.clock.tick(0);
  assert.deepEqual(h.peripheral.takeCommands(), [{ kind: "subscribe", endpoint: "rx" }]);
  await h.clock.tick(500); // no wake-up notification: fine
  for (let i = 0; i < 5; i++) {
    const [w] = h.peripheral.takeCommands();
    assert.ok(w?.kind === "write" && !w.withResponse, `frame ${i + 1}`);
    h.peripheral.notify("rx", w.data);
    await h.clock.tick(0);
  }
  const handler = await pending;
  const f = def.features[0];
  const move = handler.hwPositionWithDuration!(f, 8, 200);
  assert.deepEqual(bytes(move)[0].slice(0, 17), [
    0x01,
    0x10,
    0x00,
    0x6b,
    0x00,
    0x05,
    0x0a,
    0x00,
    12,
    0x00,
    12,
    0x00,
    80,
    0x00,
    80,
    0x00,
    0x01,
  ]);
  assert.ok(move[0].kind === "write" && move[0].cids[0] === FREDORCH_CID);
  // From 8 to 8: no move, speed 0.
  assert.equal(bytes(handler.hwPositionWithDuration!(f, 8, 200))[0][8], 0);
  assert.deepEqual(bytes(handler.oscillate!(f, 7))[0].slice(8, 17), [7, 0, 7, 0, 0, 0, 0xe1, 0, 1]);
  assert.deepEqual(bytes(handler.oscillate!(f, 0))[0].slice(8, 17), [0, 0, 0, 0, 0, 0, 0, 0, 1]);

  using h2 = await harness("fredorch", "YXlinksSPP");
  const silent = Promise.resolve(fredorch.initialize(h2.ctx, def));
  await h2.clock.tick(1000);
  await assert.rejects(silent, /did not acknowledge/);
});
