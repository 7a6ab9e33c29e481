import assert from "node:assert/strict";
import {
  mysteryvibe,
  MYSTERYVIBE_CID,
  mysteryvibeV2,
} from "../../../../server/devices/protocols/mysteryvibe.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("mysteryvibe: init 43 02 00 on txmode; one byte per motor on txvibrate; 93 ms keepalive", async () => {
  using h = await harness("mysteryvibe", "MV Crescendo");
  const def = definition("mysteryvibe", "MV Crescendo");
  const handler = await mysteryvibe.initialize(h.ctx, def);
  const [init] = h.peripheral.takeCommands();
  assert.ok(init.kind === "write" && init.endpoint === "txmode" && init.withResponse);
  assert.deepEqual([...init.data], [0x43, 0x02, 0x00]);
  assert.deepEqual(handler.keepalive, { kind: "repeat-last-with-timing", ms: 93 });
  handler.vibrate!(def.features[0], 28);
  const cmds = handler.vibrate!(def.features[5], 56);
  assert.deepEqual(bytes(cmds), [[28, 0, 0, 0, 0, 56]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].endpoint === "txvibrate" && !cmds[0].withResponse);
  assert.deepEqual(cmds[0].cids, [MYSTERYVIBE_CID]);
});

Deno.test("mysteryvibe-v2: init 03 02 40; packet length follows the definition", async () => {
  using h = await harness("mysteryvibe-v2", "6915 MV1");
  const molto = definition("mysteryvibe-v2", "6915 MV1");
  const handler = await mysteryvibeV2.initialize(h.ctx, molto);
  const [init] = h.peripheral.takeCommands();
  assert.ok(init.kind === "write");
  assert.deepEqual([...init.data], [0x03, 0x02, 0x40]);
  assert.deepEqual(bytes(handler.vibrate!(molto.features[0], 40)), [[40]]);
});
