import assert from "node:assert/strict";
import {
  lovense,
  LOVENSE_ROTATE_CHANGE_CID,
  LOVENSE_ROTATE_CID,
  lovenseHandler,
  parseBattery,
  parseDeviceType,
} from "../../../../server/devices/protocols/lovense.ts";
import type { FakePeripheral } from "../../../../hardware/fake_peripheral.ts";
import { definition, harness, texts } from "./_harness.ts";

/** Recorded commands since the last call: write payloads as text, else the kind. */
const recorded = (p: FakePeripheral): string[] =>
  p.takeCommands().map((c) => c.kind === "write" ? new TextDecoder().decode(c.data) : c.kind);

const enc = (s: string) => new TextEncoder().encode(s);
const adv = (name: string) => ({ transport: "btle" as const, name, address: "a" });

Deno.test("DeviceType replies: model letters, Flexer firmware 3, malformed and non-UTF-8", () => {
  assert.equal(parseDeviceType(enc("Z:11:0082059AD3BD;")), "Z");
  assert.equal(parseDeviceType(enc("EI:03:0082059AD3BD;")), "EI-FW3");
  assert.equal(parseDeviceType(enc("EI:02:0082059AD3BD;")), "EI");
  assert.equal(parseDeviceType(enc("OK;")), "lovense");
  assert.throws(() => parseDeviceType(Uint8Array.from([0xff, 0xfe, 0x3a])), /not UTF-8/);
});

Deno.test("battery replies: level, busy prefix, garbage", () => {
  assert.equal(parseBattery(enc("100;")), 100);
  assert.equal(parseBattery(enc("s85;")), 85);
  assert.equal(parseBattery(enc("OK;")), undefined);
  assert.equal(parseBattery(enc("999;")), undefined);
});

Deno.test("identify: subscribe rx, DeviceType; handshake, reply parsed", async () => {
  using h = await harness("lovense", "LVS-DoesntMatter");
  const result = lovense.identify!(h.ctx, adv("LVS-DoesntMatter"));
  await h.clock.tick(0);
  assert.deepEqual(
    recorded(h.peripheral),
    [
      "subscribe",
      "DeviceType;",
    ],
  );
  h.peripheral.notify("rx", enc("P:11:0082059AD3BD;"));
  assert.deepEqual(await result, { identifier: "P" });
});

Deno.test("identify: six unanswered attempts, then the LVS-<letters> name fallback", async () => {
  using h = await harness("lovense", "LVS-EA27");
  const result = lovense.identify!(h.ctx, adv("LVS-EA27"));
  for (let i = 0; i < 6; i++) await h.clock.tick(500);
  assert.deepEqual(await result, { identifier: "EA" });
  assert.equal(h.peripheral.history.filter((c) => c.kind === "write").length, 6);

  using h2 = await harness("lovense", "Nameless");
  const r2 = lovense.identify!(h2.ctx, adv("Nameless"));
  for (let i = 0; i < 6; i++) await h2.clock.tick(500);
  assert.deepEqual(await r2, {}, "no identifier: protocol defaults");
});

Deno.test("encoder choice and bytes per variant", () => {
  const f = (def: ReturnType<typeof definition>, i: number) => def.features[i];
  const hush = definition("lovense", "Z");
  assert.deepEqual(texts(lovenseHandler(hush).vibrate!(f(hush, 0), 10)), ["Vibrate:10;"]);
  const edge = definition("lovense", "P");
  assert.deepEqual(texts(lovenseHandler(edge).vibrate!(f(edge, 1), 7)), ["Vibrate2:7;"]);
  const max = definition("lovense", "B");
  const maxH = lovenseHandler(max);
  const air = max.features.find((x) => x.output?.Constrict)!;
  assert.deepEqual(texts(maxH.constrict!(air, 3)), ["Air:Level:3;"]);
  const nora = definition("lovense", "A");
  const noraH = lovenseHandler(nora);
  const rot = nora.features.find((x) => x.output?.Rotate)!;
  const ccw = noraH.rotate!(rot, -10);
  assert.deepEqual(texts(ccw), ["RotateChange;", "Rotate:10;"]);
  assert.deepEqual(ccw.map((c) => c.kind === "write" ? c.cids : []), [[LOVENSE_ROTATE_CHANGE_CID], [
    LOVENSE_ROTATE_CID,
  ]]);
  assert.deepEqual(
    texts(noraH.rotate!(rot, -4)),
    ["RotateChange;", "Rotate:4;"],
    "upstream quirk: every ccw",
  );
  assert.deepEqual(texts(noraH.rotate!(rot, 10)), ["Rotate:10;"]);
  const lapis = definition("lovense", "U");
  const lapisH = lovenseHandler(lapis);
  assert.deepEqual(texts(lapisH.vibrate!(f(lapis, 1), 5)), ["Mply:0:5:0;"]);
  assert.deepEqual(texts(lapisH.vibrate!(f(lapis, 2), 7)), ["Mply:0:5:7;"]);
  const solace = definition("lovense", "H");
  const solaceH = lovenseHandler(solace);
  assert.deepEqual(texts(solaceH.oscillate!(f(solace, 0), 10)), ["Mply:10:20;"]);
  assert.deepEqual(texts(solaceH.oscillate!(f(solace, 0), 0)), ["Mply:0:0;"]);
  const pro = definition("lovense", "BA");
  assert.deepEqual(texts(lovenseHandler(pro).oscillate!(f(pro, 0), 0)), ["Mply:0:20;"]);
});

Deno.test("stroker: hw position moves through the background loop, never overshooting", async () => {
  using h = await harness("lovense", "LVS-BA1");
  const pro = definition("lovense", "BA");
  const handler = await lovense.initialize(h.ctx, pro);
  handler.start!(h.ctx);
  assert.deepEqual(handler.hwPositionWithDuration!(pro.features[0], 50, 250), []);
  const positions: string[] = [];
  for (let i = 0; i < 6; i++) {
    await h.clock.tick(100);
    positions.push(
      ...recorded(h.peripheral),
    );
  }
  // 250 ms → 2 ticks of 25.
  assert.deepEqual(positions, ["FSetSite:25;", "FSetSite:50;"]);
  handler.hwPositionWithDuration!(pro.features[0], 49, 10000); // step rounds to 0: clamp to 1
  await h.clock.tick(100);
  assert.deepEqual(recorded(h.peripheral), [
    "FSetSite:49;",
  ]);
  h.ctx.abort();
  await h.clock.tick(1000);
  assert.equal(h.peripheral.takeCommands().length, 0, "loop ends with the device");
});

Deno.test("battery: Battery; then the first parsable reply", async () => {
  using h = await harness("lovense", "LVS-Z1");
  const hush = definition("lovense", "Z");
  const handler = await lovense.initialize(h.ctx, hush);
  await h.peripheral.subscribe("rx");
  h.peripheral.takeCommands();
  const level = handler.readInput!(hush.features[1], "Battery", h.ctx);
  await h.clock.tick(0);
  assert.deepEqual(recorded(h.peripheral), [
    "Battery;",
  ]);
  h.peripheral.notify("rx", enc("OK;"));
  h.peripheral.notify("rx", enc("s64;"));
  assert.equal(await level, 64);
  const timeout = handler.readInput!(hush.features[1], "Battery", h.ctx);
  await h.clock.tick(2000);
  await assert.rejects(timeout, /no reply/);
  const keepalive = handler.keepalive;
  assert.equal(keepalive?.kind, "hardware-required-packet");
  if (keepalive?.kind === "hardware-required-packet") {
    assert.deepEqual(texts([keepalive.command]), ["DeviceType;"]);
  }
});
