import assert from "node:assert/strict";
import {
  galaku,
  GALAKU_CID,
  galakuEncipher,
  galakuFrame,
  galakuPump,
} from "../../../../server/devices/protocols/galaku.ts";
import { bytes, definition, harness } from "./_harness.ts";

const hex = (a: ArrayLike<number>) =>
  Array.from(a, (b) => b.toString(16).padStart(2, "0")).join(" ");

Deno.test("galaku: cipher reproduces the documented frames", () => {
  assert.equal(
    hex(galakuEncipher(galakuFrame([0x5a, 0, 0, 1, 0x31, 0, 0, 0, 0, 0]))),
    "23 81 bb ab d2 ec 3b 23 bb a3 3b 90",
  );
  assert.equal(
    hex(galakuEncipher(galakuFrame([0x5a, 0, 0, 1, 0x13, 0, 0, 0, 0, 0]))),
    "23 81 bb ab d2 ce d3 23 bb a3 3b c2",
  );
  assert.deepEqual(galakuFrame([1, 2, 3, 4, 5, 6, 7, 8, 9, 0xff]).slice(-1), [
    (0x23 + 45 + 0xff) & 0xff,
  ]);
});

Deno.test("galaku: single output, the plain AC695X pump, and the two-slot packet", async () => {
  using h = await harness("galaku", "GX21");
  const single = definition("galaku", "GX21");
  const one = await galaku.initialize(h.ctx, single);
  assert.equal(
    hex(bytes(one.vibrate!(single.features[0], 100))[0]),
    "23 81 bb ab d2 ec 57 23 bb a3 3b 44",
  );

  using hp = await harness("galaku", "AC695X_1(BLE)");
  const vision = definition("galaku", "AC695X_1(BLE)");
  const pump = await galaku.initialize(hp.ctx, vision);
  assert.deepEqual(bytes(pump.vibrate!(vision.features[0], 30)), [[
    0xaa,
    0x01,
    0x0a,
    0x03,
    30,
    1,
    ...new Array(10).fill(0),
  ]]);
  assert.deepEqual(bytes(pump.vibrate!(vision.features[0], 0))[0].slice(4, 6), [0, 0]);

  using hr = await harness("galaku", "G339");
  const rhino = definition("galaku", "G339");
  const dual = await galaku.initialize(hr.ctx, rhino);
  dual.vibrate!(rhino.features[0], 10);
  const cmd = dual.rotate!(rhino.features[1], 20);
  assert.equal(
    hex(bytes(cmd)[0]),
    hex(galakuEncipher(galakuFrame([0x5a, 0, 0, 1, 0x40, 0x03, 10, 20, 0, 0]))),
    "rotate (G339) is encoded in its slot",
  );
  assert.ok(cmd[0].kind === "write" && !cmd[0].withResponse && cmd[0].cids[0] === GALAKU_CID);
});

Deno.test("galaku: battery = subscribe once, request frame, first rxblebattery notification", async () => {
  using h = await harness("galaku", "GK25");
  const def = definition("galaku", "GK25");
  const handler = await galaku.initialize(h.ctx, def);
  const battery = def.features[1];
  const first = handler.readInput!(battery, "Battery", h.ctx);
  await h.clock.tick(0);
  const cmds = h.peripheral.takeCommands();
  assert.deepEqual(cmds[0], { kind: "subscribe", endpoint: "rxblebattery" });
  assert.ok(cmds[1].kind === "write" && cmds[1].withResponse);
  assert.equal(hex(cmds[1].data), "23 81 bb ab d2 ce d3 23 bb a3 3b c2");
  h.peripheral.notify("rxblebattery", [88]);
  assert.equal(await first, 88);

  const second = handler.readInput!(battery, "Battery", h.ctx);
  await h.clock.tick(0);
  assert.deepEqual(h.peripheral.takeCommands().map((c) => c.kind), ["write"]);
  await h.clock.tick(2000);
  await assert.rejects(second, /did not report/);
  await assert.rejects(handler.readInput!(battery, "Rssi", h.ctx), /cannot read Rssi/);
});

Deno.test("galaku-pump: fixed osc/vib bytes, with response", async () => {
  using h = await harness("galaku-pump", "V415");
  const def = definition("galaku-pump", "V415");
  const handler = await galakuPump.initialize(h.ctx, def);
  const cmd = handler.oscillate!(def.features[0], 100);
  assert.equal(hex(bytes(cmd)[0]), "23 81 bb ab d2 9b 44 97 bb a3 3b 76");
  assert.ok(cmd[0].kind === "write" && cmd[0].withResponse);
  assert.equal(
    hex(bytes(handler.vibrate!(def.features[1], 50))[0]),
    hex(galakuEncipher(galakuFrame([0x5a, 0, 0, 1, 0x60, 0x03, 100, 50, 0, 0]))),
  );
});
