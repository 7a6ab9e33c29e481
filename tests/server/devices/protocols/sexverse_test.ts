import assert from "node:assert/strict";
import {
  SEXVERSE_LG389_CID,
  sexverseLg389,
  sexverseV1,
  sexverseV1Packet,
  sexverseV2,
  sexverseV3,
  sexverseV4,
  sexverseV5,
} from "../../../../server/devices/protocols/sexverse.ts";
import type { DeviceDefinition } from "../../../../server/devices/protocol.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("sexverse-v1 packet: header, numbered channels, XOR checksum", () => {
  // (test) Cali [vib 0.75, constrict 0.5] → 23 07 06 81 03 C0 82 04 80 66
  assert.deepEqual(sexverseV1Packet([[0x03, 0xc0], [0x04, 0x80]]), [
    0x23,
    0x07,
    0x06,
    0x81,
    0x03,
    0xc0,
    0x82,
    0x04,
    0x80,
    0x66,
  ]);
});

Deno.test("sexverse-v1 handler: one channel per (feature, output type), types 03/04/06", async () => {
  using h = await harness("sexverse-v1", "Olis");
  const olis = definition("sexverse-v1", "Olis");
  const handler = await sexverseV1.initialize(h.ctx, olis);
  assert.deepEqual(bytes(handler.rotate!(olis.features[2], 0x80)), [
    sexverseV1Packet([[0x03, 0], [0x03, 0], [0x06, 0x80]]),
  ]);
  // A feature with two output types gets two channels (upstream would index by feature).
  const base = definition("sexverse-v1");
  const multi: DeviceDefinition = {
    ...base,
    features: [
      {
        index: 0,
        id: "a",
        description: "",
        output: { Vibrate: { value: [0, 255] }, Oscillate: { value: [0, 255] } },
      },
      { index: 1, id: "b", description: "", output: { Constrict: { value: [0, 255] } } },
    ],
  };
  const mh = await sexverseV1.initialize(h.ctx, multi);
  mh.oscillate!(multi.features[0], 5);
  assert.deepEqual(bytes(mh.constrict!(multi.features[1], 9)), [
    sexverseV1Packet([[0x03, 0], [0x04, 5], [0x04, 9]]),
  ]);
});

Deno.test("sexverse-lg389: both motors in one packet, anchor/range follow the oscillator", async () => {
  using h = await harness("sexverse-lg389", "LG389");
  const def = definition("sexverse-lg389", "LG389");
  const handler = await sexverseLg389.initialize(h.ctx, def);
  const cmds = handler.vibrate!(def.features[0], 2);
  assert.deepEqual(bytes(cmds), [[0xaa, 0x05, 0x02, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]]);
  assert.ok(cmds[0].kind === "write" && cmds[0].withResponse);
  assert.deepEqual(cmds[0].cids, [SEXVERSE_LG389_CID]);
  assert.deepEqual(bytes(handler.oscillate!(def.features[1], 7)), [
    [0xaa, 0x05, 0x02, 0x14, 0x01, 0x00, 0x04, 0x00, 0x07, 0x00],
  ]);
});

Deno.test("sexverse-v2: AA 04 init; AA 03 01 (fi+1) 64 s for vibrate and oscillate", async () => {
  using h = await harness("sexverse-v2", "HH010");
  const def = definition("sexverse-v2", "HH010");
  const handler = await sexverseV2.initialize(h.ctx, def);
  const [init] = h.peripheral.takeCommands();
  assert.ok(init.kind === "write" && init.withResponse);
  assert.deepEqual([...init.data], [0xaa, 0x04]);
  assert.deepEqual(bytes(handler.oscillate!(def.features[0], 20)), [[
    0xaa,
    0x03,
    0x01,
    0x01,
    0x64,
    0x14,
  ]]);
  assert.deepEqual(bytes(handler.vibrate!(def.features[1], 3)), [[
    0xaa,
    0x03,
    0x01,
    0x02,
    0x64,
    0x03,
  ]]);
});

Deno.test("sexverse-v3: A1 04 s (fi+1), oscillate encoded too, 100 ms keepalive", async () => {
  using h = await harness("sexverse-v3", "TA-S001A");
  const def = definition("sexverse-v3", "TA-S001A");
  const handler = await sexverseV3.initialize(h.ctx, def);
  assert.deepEqual(handler.keepalive, { kind: "repeat-last-with-timing", ms: 100 });
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 10)), [[0xa1, 0x04, 0x0a, 0x01]]);
  assert.deepEqual(bytes(handler.oscillate!(def.features[1], 20)), [[0xa1, 0x04, 0x14, 0x02]]);
});

Deno.test("sexverse-v4 and v5 packets", async () => {
  using h = await harness("sexverse-v4", "BC1847");
  const d4 = definition("sexverse-v4", "BC1847");
  const v4 = await sexverseV4.initialize(h.ctx, d4);
  const c4 = v4.vibrate!(d4.features[0], 99);
  assert.deepEqual(bytes(c4), [[0xbb, 0x01, 0x63, 0x66]]);
  assert.ok(c4[0].kind === "write" && c4[0].withResponse);
  const d5 = definition("sexverse-v5", "CBW02");
  const v5 = await sexverseV5.initialize(h.ctx, d5);
  const c5 = v5.vibrate!(d5.features[0], 75);
  assert.deepEqual(bytes(c5), [[0xaa, 0x03, 0x03, 0x4b, 0x00, 0x00, 0x00]]);
  assert.ok(c5[0].kind === "write" && !c5[0].withResponse);
});
