import assert from "node:assert/strict";
import {
  xuanhuan,
  XUANHUAN_CID,
  XUANHUAN_REFRESH_MS,
} from "../../../../server/devices/protocols/xuanhuan.ts";
import { bytes, definition, harness } from "./_harness.ts";

const writes = (h: Awaited<ReturnType<typeof harness>>): number[][] =>
  h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data] : []);

Deno.test("encoder: 03 02 00 s with response, constant CID", async () => {
  using h = await harness("xuanhuan", "QUXIN");
  const def = definition("xuanhuan", "QUXIN");
  const handler = await xuanhuan.initialize(h.ctx, def);
  const cmds = handler.vibrate!(def.features[0], 7);
  assert.deepEqual(bytes(cmds), [[0x03, 0x02, 0x00, 0x07]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].withResponse && cmds[0].cids[0] === XUANHUAN_CID);
});

Deno.test("loop: repeats the running speed after 300 ms idle, never while stopped", async () => {
  using h = await harness("xuanhuan", "QUXIN");
  const def = definition("xuanhuan", "QUXIN");
  const handler = await xuanhuan.initialize(h.ctx, def);
  handler.start!(h.ctx);
  await h.clock.tick(1000);
  assert.deepEqual(writes(h), [], "speed 0: no writes");

  handler.vibrate!(def.features[0], 5); // the device task would write this one
  await h.clock.tick(XUANHUAN_REFRESH_MS - 1);
  assert.deepEqual(writes(h), [], "a fresh command restarts the wait");
  await h.clock.tick(1);
  assert.deepEqual(writes(h), [[0x03, 0x02, 0x00, 0x05]]);
  await h.clock.tick(XUANHUAN_REFRESH_MS * 2);
  assert.deepEqual(writes(h), [[0x03, 0x02, 0x00, 0x05], [0x03, 0x02, 0x00, 0x05]]);

  handler.vibrate!(def.features[0], 0);
  await h.clock.tick(XUANHUAN_REFRESH_MS * 3);
  assert.deepEqual(writes(h), []);
  assert.ok(h.peripheral.history.every((c) => c.kind === "write" && c.withResponse));
});

Deno.test("loop ends when the device goes away", async () => {
  using h = await harness("xuanhuan", "QUXIN");
  const def = definition("xuanhuan", "QUXIN");
  const handler = await xuanhuan.initialize(h.ctx, def);
  handler.start!(h.ctx);
  handler.vibrate!(def.features[0], 3);
  h.peripheral.simulateDisconnect();
  await h.clock.tick(XUANHUAN_REFRESH_MS * 3);
  assert.equal(h.peripheral.history.length, 0);
  assert.equal(h.clock.pending, 0, "no timer left behind");
});
