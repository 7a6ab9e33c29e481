import assert from "node:assert/strict";
import { satisfyer, satisfyerIdentifier } from "../../../../server/devices/protocols/satisfyer.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test('identifier: big-endian u32 of exactly 4 bytes, else "0"', () => {
  assert.equal(satisfyerIdentifier([0x00, 0x00, 0x27, 0xb0]), "10160");
  assert.equal(satisfyerIdentifier([0xff, 0xff, 0xff, 0xff]), "4294967295");
  assert.equal(satisfyerIdentifier([0x27, 0xb0]), "0");
});

Deno.test("identify: manufacturer data first, else a model read", async () => {
  using h = await harness("satisfyer", "SF Whatever");
  const fromAdv = await satisfyer.identify!(h.ctx, {
    transport: "btle",
    name: "SF Whatever",
    address: "a",
    manufacturerData: [{ company: 93 }, { company: 93, data: [0, 0, 0x27, 0xb0] }],
  });
  assert.deepEqual(fromAdv, { identifier: "10160" });
  h.peripheral.queueRead("rxblemodel", [0, 0, 0x27, 0xb0]);
  const fromRead = await satisfyer.identify!(h.ctx, {
    transport: "btle",
    name: "SF Whatever",
    address: "a",
  });
  assert.deepEqual(fromRead, { identifier: "10160" });
});

Deno.test("initialize writes 01 to command; packets repeat each motor 4 times; timed keepalive", async () => {
  using h = await harness("satisfyer", "SF Whatever");
  const desire = definition("satisfyer", "10160");
  assert.equal(desire.name, "Satisfyer Double Desire");
  const handler = await satisfyer.initialize(h.ctx, desire);
  const [init] = h.peripheral.takeCommands();
  assert.ok(init.kind === "write" && init.endpoint === "command" && init.withResponse);
  assert.deepEqual(handler.keepalive, { kind: "repeat-last-with-timing", ms: 3000 });
  handler.vibrate!(desire.features[0], 0x32);
  const cmds = handler.vibrate!(desire.features[1], 0x19);
  assert.deepEqual(bytes(cmds), [[0x32, 0x32, 0x32, 0x32, 0x19, 0x19, 0x19, 0x19]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].endpoint === "tx" && !cmds[0].withResponse);
});
