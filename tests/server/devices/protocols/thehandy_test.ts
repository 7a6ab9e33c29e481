import assert from "node:assert/strict";
import {
  handyHvp,
  handyplugLinear,
  handyplugPing,
  handyV3Identifier,
  protoVarint,
  thehandy,
  THEHANDY_CID,
  thehandyV3,
} from "../../../../server/devices/protocols/thehandy.ts";
import { bytes, definition, harness } from "./_harness.ts";

const hex = (data: ArrayLike<number>): string =>
  Array.from(data, (b) => b.toString(16).padStart(2, "0")).join(" ");

Deno.test("protobuf varints: one, two and five bytes", () => {
  assert.deepEqual(protoVarint(0), [0]);
  assert.deepEqual(protoVarint(127), [0x7f]);
  assert.deepEqual(protoVarint(500), [0xf4, 0x03]);
  assert.deepEqual(protoVarint(3226), [0x9a, 0x19]); // field 403, wire type 2
  assert.deepEqual(protoVarint(0xffff_ffff), [0xff, 0xff, 0xff, 0xff, 0x0f]);
});

Deno.test("handyplug: LinearCmd and Ping bytes (DEVICES.md worked examples)", () => {
  assert.equal(
    hex(handyplugLinear(50, 500)),
    "0a 13 9a 19 10 08 02 1a 0c 10 f4 03 19 00 00 00 00 00 00 e0 3f",
  );
  assert.equal(hex(handyplugPing()), "0a 06 b2 06 03 08 e7 07");
  // Position 0 and duration 0 are proto3 defaults: the vector is empty but still present.
  assert.equal(hex(handyplugLinear(0, 0)), "0a 07 9a 19 04 08 02 1a 00");
});

Deno.test("thehandy: one constant-CID write with response per move; ping keepalive", async () => {
  using h = await harness("thehandy", "The Handy");
  const def = definition("thehandy", "The Handy");
  const handler = await thehandy.initialize(h.ctx, def);
  assert.equal(h.peripheral.history.length, 0, "no handshake");
  const cmds = handler.hwPositionWithDuration!(def.features[0], 100, 1000);
  assert.equal(cmds.length, 1);
  const [cmd] = cmds;
  assert.ok(cmd.kind === "write" && cmd.withResponse && cmd.endpoint === "tx");
  assert.deepEqual(cmd.cids, [THEHANDY_CID]);
  // Position 1.0 = 0x3FF0000000000000, little-endian.
  assert.equal(hex(cmd.data).slice(-23), "00 00 00 00 00 00 f0 3f");
  const keepalive = handler.keepalive;
  assert.ok(keepalive?.kind === "hardware-required-packet");
  assert.ok(keepalive.command.kind === "write" && keepalive.command.withResponse);
  assert.equal(hex(keepalive.command.data), "0a 06 b2 06 03 08 e7 07");
});

Deno.test("thehandy-v3 identify: second name part with at least three parts", async () => {
  assert.equal(handyV3Identifier("OHD_hw3_ABCDEF"), "hw3");
  assert.equal(handyV3Identifier("OHD_hw1_A_B"), "hw1");
  assert.equal(handyV3Identifier("OHD_hw4"), "unknown");
  using h = await harness("thehandy-v3", "OHD_hw4_0011");
  const id = await thehandyV3.identify!(h.ctx, {
    transport: "btle",
    name: "OHD_hw4_0011",
    address: "a",
  });
  assert.deepEqual(id, { identifier: "hw4" });
  assert.equal(definition("thehandy-v3", "hw4").name, "The Handy 2 Pro");
});

Deno.test("thehandy-v3 initialize: handshake, timeouts instead of hanging, running ids", async () => {
  using h = await harness("thehandy-v3", "OHD_hw1_0011");
  const def = definition("thehandy-v3", "hw1");
  const pending = Promise.resolve(thehandyV3.initialize(h.ctx, def));
  await h.clock.tick(0);
  const first = h.peripheral.takeCommands();
  assert.deepEqual(first.map((c) => c.kind), ["subscribe", "write"]);
  assert.ok(first[1].kind === "write" && !first[1].withResponse);
  assert.equal(hex(first[1].data), "08 01 12 05 10 01 b2 2c 00");
  h.peripheral.notify("rx", [0x08, 0x03]); // battery reply: continue at once
  await h.clock.tick(0);
  const [caps] = h.peripheral.takeCommands();
  assert.ok(caps.kind === "write");
  assert.equal(hex(caps.data), "08 01 12 05 10 02 ca 2c 00");
  await h.clock.tick(999);
  assert.equal(h.peripheral.history.length, 3, "still waiting for the capabilities reply");
  await h.clock.tick(1);
  const handler = await pending;

  const keepalive = handler.keepalive;
  assert.ok(keepalive?.kind === "hardware-required-packet" && keepalive.command.kind === "write");
  // Wrapped in RpcMessage (upstream sends the bare Request), id 1.
  assert.equal(hex(keepalive.command.data), "08 01 12 05 10 01 ca 2c 00");

  const f = def.features[0];
  assert.equal(
    hex(bytes(handler.vibrate!(f, 50))[0]),
    "08 01 12 0c 10 02 a2 38 07 0d 00 00 00 3f 10 64",
  );
  assert.equal(hex(bytes(handler.vibrate!(f, 0))[0]), "08 01 12 05 10 03 aa 38 00");
  const move = handler.hwPositionWithDuration!(f, 50, 500);
  assert.equal(hex(bytes(move)[0]), "08 01 12 0f 10 04 c2 2e 0a 0d 00 00 00 3f 10 f4 03 18 01");
  assert.ok(move[0].kind === "write" && move[0].withResponse && move[0].cids[0] === f.id);
});

Deno.test("thehandy-v3 HvpSet amplitude is a float32 of s/100", () => {
  // 0.01 as f32 = 0x3C23D70A.
  assert.equal(hex(handyHvp(9, 1)), "08 01 12 0c 10 09 a2 38 07 0d 0a d7 23 3c 10 64");
});
