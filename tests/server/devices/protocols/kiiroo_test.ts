import assert from "node:assert/strict";
import {
  KIIROO_POWERSHOT_CID,
  kiirooPowershot,
  kiirooProwand,
  kiirooSpot,
  kiirooV2Vibrator,
} from "../../../../server/devices/protocols/kiiroo.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("kiiroo-powershot: both motors in one packet with response; battery byte 0", async () => {
  using h = await harness("kiiroo-powershot", "PowerShot");
  const def = definition("kiiroo-powershot", "PowerShot");
  const handler = await kiirooPowershot.initialize(h.ctx, def);
  handler.vibrate!(def.features[0], 50);
  const cmds = handler.vibrate!(def.features[1], 100);
  assert.deepEqual(bytes(cmds), [[0x01, 0x00, 0x00, 0x32, 0x64, 0x00]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].withResponse);
  assert.deepEqual(cmds[0].cids, [KIIROO_POWERSHOT_CID]);
  const battery = def.features.find((f) => f.input?.Battery)!;
  h.peripheral.queueRead("rxblebattery", [77, 1, 2, 3]);
  assert.equal(await handler.readInput!(battery, "Battery", h.ctx), 77);
  h.peripheral.queueRead("rxblebattery", []);
  await assert.rejects(handler.readInput!(battery, "Battery", h.ctx), /no data/);
});

Deno.test("kiiroo-prowand and kiiroo-spot frames", async () => {
  using h = await harness("kiiroo-prowand", "ProWand");
  const wand = definition("kiiroo-prowand", "ProWand");
  const w = await kiirooProwand.initialize(h.ctx, wand);
  assert.deepEqual(bytes(w.vibrate!(wand.features[0], 128)), [[0, 0, 0x64, 0xff, 0x80, 0x80]]);
  assert.deepEqual(bytes(w.vibrate!(wand.features[0], 0)), [[0, 0, 0x64, 0x00, 0x00, 0x00]]);

  using h2 = await harness("kiiroo-spot", "SPOT W1");
  const spot = definition("kiiroo-spot", "SPOT W1");
  const s = await kiirooSpot.initialize(h2.ctx, spot);
  const cmds = s.vibrate!(spot.features[0], 42);
  assert.deepEqual(bytes(cmds), [[0x00, 0xff, 0x00, 0x00, 0x00, 42]]);
  assert.ok(cmds[0].kind === "write" && !cmds[0].withResponse);
  h2.peripheral.queueRead("rxblebattery", [12]);
  assert.equal(
    await s.readInput!(spot.features.find((f) => f.input?.Battery)!, "Battery", h2.ctx),
    12,
  );
});

Deno.test("kiiroo-v2-vibrator: three bytes, last value per motor", async () => {
  using h = await harness("kiiroo-v2-vibrator", "Fuse");
  const fuse = definition("kiiroo-v2-vibrator", "Fuse");
  const handler = await kiirooV2Vibrator.initialize(h.ctx, fuse);
  assert.deepEqual(bytes(handler.vibrate!(fuse.features[1], 30)), [[0, 30, 0]]);
  assert.deepEqual(bytes(handler.vibrate!(fuse.features[0], 10)), [[10, 30, 0]]);
});
