import assert from "node:assert/strict";
import {
  sensee,
  SENSEE_V2_CID,
  senseeV2,
  senseeV2DeviceType,
  senseeV2Packet,
} from "../../../../server/devices/protocols/sensee.ts";
import type { DeviceDefinition } from "../../../../server/devices/protocol.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("sensee: 55 AA F0 01 01 0B 65 F7 01 01 s", async () => {
  using h = await harness("sensee", "CTY222S4");
  const def = definition("sensee", "CTY222S4");
  const handler = await sensee.initialize(h.ctx, def);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 0x32)), [
    [0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01, 0x32],
  ]);
});

Deno.test("sensee-v2 device type: byte 6 when present and non-zero, else 65", () => {
  assert.equal(senseeV2DeviceType([0, 0, 0, 0, 0, 0, 0x66, 0]), 0x66);
  assert.equal(senseeV2DeviceType([0, 0, 0, 0, 0, 0, 0x00]), 0x65);
  assert.equal(senseeV2DeviceType([0, 0, 0, 0, 0, 0]), 0x65); // upstream would crash here
  assert.equal(senseeV2DeviceType([]), 0x65);
});

Deno.test("sensee-v2 packet: only non-empty groups, channels numbered from 1", () => {
  // (test) Capsule vibrate 0.5 → 55 AA F0 02 00 0D 66 F1 02 00 01 01 32 02 01 01 00 00 00
  assert.deepEqual(senseeV2Packet(0x66, [[0x32], [], [0x00]]), [
    0x55,
    0xaa,
    0xf0,
    0x02,
    0x00,
    0x0d,
    0x66,
    0xf1,
    0x02,
    0x00,
    0x01,
    0x01,
    0x32,
    0x02,
    0x01,
    0x01,
    0x00,
    0x00,
    0x00,
  ]);
  // Two oscillators: body 01 | 01 02 01 a 02 b → L = 7, length byte 0x0B.
  assert.deepEqual(senseeV2Packet(0x65, [[], [5, 6], []]), [
    0x55,
    0xaa,
    0xf0,
    0x02,
    0x00,
    0x0b,
    0x65,
    0xf1,
    0x01,
    0x01,
    0x02,
    0x01,
    0x05,
    0x02,
    0x06,
    0x00,
    0x00,
  ]);
});

Deno.test("sensee-v2 initialize: reads the type; values ordered by feature index per group", async () => {
  using h = await harness("sensee-v2", "CTY916S4");
  h.peripheral.queueRead("tx", [0x55, 0xaa, 0xf0, 0x02, 0x01, 0x0a, 0x71, 0xfa]);
  // A definition with two vibrators declared out of type order (upstream iterates a hash map).
  const base = definition("sensee-v2", "CCPB22S5");
  const def: DeviceDefinition = {
    ...base,
    features: [
      { index: 0, id: "a", description: "", output: { Vibrate: { value: [0, 100] } } },
      { index: 1, id: "b", description: "", output: { Constrict: { value: [0, 100] } } },
      { index: 2, id: "c", description: "", output: { Vibrate: { value: [0, 100] } } },
    ],
  };
  const handler = await senseeV2.initialize(h.ctx, def);
  handler.vibrate!(def.features[2], 7);
  const cmds = handler.constrict!(def.features[1], 9);
  assert.deepEqual(bytes(cmds), [senseeV2Packet(0x71, [[0, 7], [], [9]])]);
  assert.ok(cmds[0].kind === "write" && !cmds[0].withResponse);
  assert.deepEqual(cmds[0].cids, [SENSEE_V2_CID]);
});

Deno.test("sensee-v2 initialize: a failed type read refuses the device", async () => {
  using h = await harness("sensee-v2", "CCPA10S2");
  const init = senseeV2.initialize(h.ctx, definition("sensee-v2", "CCPA10S2"));
  await h.clock.tick(500);
  await assert.rejects(Promise.resolve(init), /cannot read the device type/);
});
