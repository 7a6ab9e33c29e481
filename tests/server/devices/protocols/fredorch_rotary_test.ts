import assert from "node:assert/strict";
import {
  fredorchRotary,
  fredorchRotaryFrame,
} from "../../../../server/devices/protocols/fredorch_rotary.ts";
import { bytes, definition, harness } from "./_harness.ts";

const UP = [0x55, 0x03, 0x01, 0x04, 0xaa];
const DOWN = [0x55, 0x03, 0x02, 0x05, 0xaa];
const STOP = [0x55, 0x03, 0x24, 0x27, 0xaa];

Deno.test("fredorch-rotary: init frames, then the loop steps towards the target", async () => {
  using h = await harness("fredorch-rotary", "M1_X");
  const def = definition("fredorch-rotary");
  const pending = Promise.resolve(fredorchRotary.initialize(h.ctx, def));
  for (let i = 0; i < 4; i++) await h.clock.tick(100); // no replies: each wait times out
  const handler = await pending;
  const init = h.peripheral.takeCommands();
  assert.deepEqual(init[0], { kind: "subscribe", endpoint: "rx" });
  assert.deepEqual(init.slice(1).map((c) => c.kind === "write" ? [...c.data] : []), [
    [0x55, 0x03, 0x99, 0x9c, 0xaa],
    [0x55, 0x09, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xaa],
    [0x55, 0x03, 0x1f, 0x22, 0xaa],
    STOP,
  ]);
  assert.deepEqual([...fredorchRotaryFrame(0x1f)], [0x55, 0x03, 0x1f, 0x22, 0xaa]);

  const f = def.features[0];
  handler.start!(h.ctx);
  assert.deepEqual(handler.oscillate!(f, 3), [], "only the target is stored");
  await h.clock.tick(100);
  assert.deepEqual(h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data] : []), [
    UP,
    UP,
    UP,
  ]);
  handler.oscillate!(f, 1);
  await h.clock.tick(100);
  assert.deepEqual(h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data] : []), [
    DOWN,
    DOWN,
  ]);
  assert.deepEqual(bytes(handler.oscillate!(f, 0)), [STOP], "stop frame at once");
  handler.oscillate!(f, 1);
  await h.clock.tick(100);
  assert.deepEqual(
    h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data] : []),
    [UP],
    "current was reset to 0 by the stop",
  );
});
