import assert from "node:assert/strict";
import {
  joyhub,
  JOYHUB_MOTORS_CID,
  JOYHUB_SPRAY_OFF_MS,
  joyhubSwitchFrame,
} from "../../../../server/devices/protocols/joyhub.ts";
import type { FeatureDefinition } from "../../../../server/devices/protocol.ts";
import { bytes, definition, harness } from "./_harness.ts";

const byIndex = (def: ReturnType<typeof definition>, i: number): FeatureDefinition =>
  def.features.find((f) => f.index === i)!;

Deno.test("joyhub: motor slots by feature index share one packet and one CID", async () => {
  using h = await harness("joyhub", "J-RoseLin");
  const roselin = definition("joyhub", "J-RoseLin");
  const handler = await joyhub.initialize(h.ctx, roselin);
  assert.deepEqual(bytes(handler.vibrate!(byIndex(roselin, 0), 128)), [[
    0xa0,
    0x03,
    0x80,
    0x00,
    0x00,
    0x00,
    0xaa,
  ]]);
  const rot = handler.rotate!(byIndex(roselin, 3), -200);
  assert.deepEqual(bytes(rot), [[0xa0, 0x03, 0x80, 0x00, 0x00, 0xc8, 0xaa]], "rotate uses |s|");
  assert.ok(rot[0].kind === "write" && !rot[0].withResponse);
  assert.deepEqual(rot[0].cids, [JOYHUB_MOTORS_CID]);
  assert.throws(
    () => handler.vibrate!({ ...byIndex(roselin, 0), index: 4 }, 1),
    /no motor slot for feature 4/,
  );
});

Deno.test("joyhub: constrict on feature 4 vs others, temperature and led switches", async () => {
  using h = await harness("joyhub", "J-MoonHorn");
  const moon = definition("joyhub", "J-MoonHorn");
  const handler = await joyhub.initialize(h.ctx, moon);
  const c5 = byIndex(moon, 5);
  assert.deepEqual(bytes(handler.constrict!(c5, 9)), [[0xa0, 0x0d, 0x00, 0x00, 0x09, 0xff]]);
  assert.deepEqual(bytes(handler.constrict!({ ...c5, index: 4 }, 3)), [[
    0xa0,
    0x07,
    0x01,
    0x00,
    0x03,
    0xff,
  ]]);
  assert.deepEqual(bytes(handler.constrict!({ ...c5, index: 4 }, 0)), [[
    0xa0,
    0x07,
    0x00,
    0x00,
    0x00,
    0xff,
  ]]);
  const t6 = byIndex(moon, 6);
  assert.deepEqual(bytes(handler.temperature!(t6, 1)), [[0xa0, 0x04, 0x01, 0x00, 0x01, 0xff]]);
  assert.deepEqual(bytes(handler.temperature!(t6, 0)), [[0xa0, 0x04, 0x00, 0x00, 0x00, 0x00]]);
  assert.deepEqual(bytes(handler.led!(t6, 1)), [[0xa0, 0x14, 0x01, 0x00, 0x01, 0xff]]);
  assert.deepEqual(joyhubSwitchFrame(0x14, 0), [0xa0, 0x14, 0x00, 0x00, 0x00, 0x00]);
});

Deno.test("joyhub: spray on is switched off 1 s after the latest spray on", async () => {
  using h = await harness("joyhub", "J-Dodge");
  const dodge = definition("joyhub", "J-Dodge");
  const spray = byIndex(dodge, 7);
  assert.ok(spray.output?.Spray);
  const handler = await joyhub.initialize(h.ctx, dodge);
  assert.deepEqual(bytes(handler.spray!(spray, 1)), [[0xa0, 0x24, 0x01, 0x00, 0x01, 0xff]]);
  await h.clock.tick(JOYHUB_SPRAY_OFF_MS - 1);
  assert.equal(h.peripheral.history.length, 0, "not yet");
  await h.clock.tick(1);
  assert.deepEqual(h.peripheral.takeCommands().map((c) => c.kind === "write" ? [...c.data] : []), [
    [0xa0, 0x24, 0x00, 0x00, 0x00, 0x00],
  ]);

  // A second spray 600 ms later restarts the window: one off, 1 s after it.
  handler.spray!(spray, 0);
  handler.spray!(spray, 1);
  await h.clock.tick(600);
  handler.spray!(spray, 0);
  handler.spray!(spray, 1);
  await h.clock.tick(600);
  assert.equal(h.peripheral.takeCommands().length, 0);
  await h.clock.tick(400);
  assert.equal(h.peripheral.takeCommands().length, 1);
  await h.clock.tick(5000);
  assert.equal(h.peripheral.takeCommands().length, 0);
});

Deno.test("joyhub: a pending spray off is dropped when the device goes away", async () => {
  using h = await harness("joyhub", "J-Dodge");
  const dodge = definition("joyhub", "J-Dodge");
  const handler = await joyhub.initialize(h.ctx, dodge);
  handler.spray!(byIndex(dodge, 7), 1);
  h.peripheral.simulateDisconnect();
  await h.clock.tick(JOYHUB_SPRAY_OFF_MS * 2);
  assert.equal(h.peripheral.history.length, 0);
  assert.equal(h.clock.pending, 0, "the timer was cleared");
});
