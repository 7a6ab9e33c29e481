import assert from "node:assert/strict";
import {
  f1sv2SecurityState,
  harmonySecurityState,
  LELO_F1S_CID,
  leloF1s,
  leloF1sv2,
  leloHarmony,
  leloSecurityHandshake,
} from "../../../../server/devices/protocols/lelo.ts";
import { FakePeripheral } from "../../../../hardware/fake_peripheral.ts";
import { DeviceContext } from "../../../../server/devices/context.ts";
import { FakeClock } from "../../../_helpers/fake_clock.ts";
import { bytes, definition, harness } from "./_harness.ts";

const u8 = (...b: number[]) => Uint8Array.from(b);
const traffic = (p: FakePeripheral): string[] =>
  p.takeCommands().map((c) =>
    c.kind === "write"
      ? `write ${c.endpoint} ${[...c.data].join(",")}${c.withResponse ? " wr" : ""}`
      : `${c.kind} ${c.endpoint}`
  );

Deno.test("lelo security states: F1s V2 exact, Harmony lenient", () => {
  assert.equal(f1sv2SecurityState(new Uint8Array(8)), "unauthorised");
  assert.equal(f1sv2SecurityState(u8(1, 0, 0, 0, 0, 0, 0, 0)), "authorised");
  assert.equal(f1sv2SecurityState(u8(1)), "password");
  assert.equal(f1sv2SecurityState(u8(0)), "password");
  assert.equal(f1sv2SecurityState(new Uint8Array(0)), "unauthorised");
  assert.equal(harmonySecurityState(u8(0)), "unauthorised");
  assert.equal(harmonySecurityState(u8(1)), "authorised");
  assert.equal(harmonySecurityState(u8(1, 0, 0)), "authorised");
  assert.equal(harmonySecurityState(u8(1, 2, 3)), "password");
});

Deno.test("lelo-f1s: subscribe rx; both motors in one packet without response", async () => {
  using h = await harness("lelo-f1s", "F1s");
  const def = definition("lelo-f1s", "F1s");
  const handler = await leloF1s.initialize(h.ctx, def);
  assert.deepEqual(traffic(h.peripheral), ["subscribe rx"]);
  handler.vibrate!(def.features[0], 75);
  const cmds = handler.vibrate!(def.features[1], 50);
  assert.deepEqual(bytes(cmds), [[0x01, 0x4b, 0x32]]);
  assert.ok(cmds[0].kind === "write" && !cmds[0].withResponse);
  assert.deepEqual(cmds[0].cids, [LELO_F1S_CID]);
});

Deno.test("lelo-f1sv2: whitelist handshake with a password, then F1s with response", async () => {
  using h = await harness("lelo-f1sv2", "F1SV2A");
  const def = definition("lelo-f1sv2", "F1SV2A");
  const ready = leloF1sv2.initialize(h.ctx, def);
  await h.clock.tick(0);
  assert.deepEqual(traffic(h.peripheral), ["subscribe whitelist"]);
  h.peripheral.notify("whitelist", new Uint8Array(8));
  await h.clock.tick(0);
  assert.deepEqual(traffic(h.peripheral), [], "not authorised yet: wait");
  h.peripheral.notify("whitelist", [9, 8, 7, 6, 5, 4, 3, 2]);
  await h.clock.tick(0);
  assert.deepEqual(traffic(h.peripheral), [
    "unsubscribe whitelist",
    "write whitelist 9,8,7,6,5,4,3,2 wr",
    "subscribe whitelist",
  ]);
  h.peripheral.notify("whitelist", [1, 0, 0, 0, 0, 0, 0, 0]);
  const handler = await ready;
  const cmds = handler.vibrate!(def.features[0], 10);
  assert.deepEqual(bytes(cmds), [[0x01, 0x0a, 0x00]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].withResponse);
});

Deno.test("lelo-f1sv2 without a whitelist endpoint: harmony mode on generic0", async () => {
  const clock = new FakeClock();
  using peripheral = new FakePeripheral({ name: "F1SV2A", clock });
  await peripheral.connect({
    btle: {
      names: ["F1SV2A"],
      services: { "0000fff0-0000-1000-8000-00805f9b34fb": { tx: "fff1", generic0: "0a11" } },
    },
  });
  using ctx = new DeviceContext(peripheral, clock);
  const def = definition("lelo-f1sv2", "F1SV2A");
  const ready = leloF1sv2.initialize(ctx, def);
  await clock.tick(0);
  assert.deepEqual(traffic(peripheral), ["subscribe generic0"]);
  peripheral.notify("generic0", [1, 0, 0, 0, 0, 0, 0, 0]);
  const handler = await ready;
  assert.deepEqual(bytes(handler.vibrate!(def.features[1], 20)), [[
    0x0a,
    0x12,
    0x02,
    0x08,
    0x00,
    0x00,
    0x00,
    0x00,
    20,
    0x00,
  ]]);
});

Deno.test("lelo handshake: gives up after the timeout, fails when the device goes away", async () => {
  using h = await harness("lelo-harmony", "TOR3");
  const timedOut = leloSecurityHandshake(h.ctx, "whitelist", harmonySecurityState, 1000);
  await h.clock.tick(999);
  h.peripheral.notify("whitelist", [0, 0]);
  await h.clock.tick(1);
  await assert.rejects(timedOut, /not authorised within 1 s: press the device's power button/);

  const gone = leloSecurityHandshake(h.ctx, "whitelist", harmonySecurityState);
  await h.clock.tick(0);
  h.peripheral.simulateDisconnect();
  await assert.rejects(gone, /disconnected/);
});

Deno.test("lelo-harmony: per-feature frames for vibrate and rotate", async () => {
  using h = await harness("lelo-harmony", "IdaWave");
  const ida = definition("lelo-harmony", "IdaWave");
  const ready = leloHarmony.initialize(h.ctx, ida);
  await h.clock.tick(0);
  h.peripheral.notify("whitelist", [1]);
  const handler = await ready;
  const vib = handler.vibrate!(ida.features[0], 50);
  const rot = handler.rotate!(ida.features[1], 25);
  assert.deepEqual(bytes([...vib, ...rot]), [
    [0x0a, 0x12, 0x01, 0x08, 0, 0, 0, 0, 50, 0],
    [0x0a, 0x12, 0x02, 0x08, 0, 0, 0, 0, 25, 0],
  ]);
  assert.deepEqual(vib[0].kind === "write" && vib[0].cids, [ida.features[0].id]);
});
