import assert from "node:assert/strict";
import {
  honeyplaybox,
  HONEYPLAYBOX_KEEPALIVE_MS,
  HONEYPLAYBOX_POLL_MS,
  honeyPlayBoxFrame,
  HoneyPlayBoxFrameCollector,
  honeyPlayBoxPayload,
  honeyPlayBoxResponseCode,
  honeyPlayBoxToken,
} from "../../../../server/devices/protocols/honeyplaybox.ts";
import { bytes, definition, harness } from "./_harness.ts";
import { loadNodeCrypto } from "../../../../server/devices/protocols/_node_crypto.ts";

// The encoders use node:crypto, which protocols load in initialize(); these tests call them directly.
await loadNodeCrypto();

const TOKEN = Array.from({ length: 16 }, (_, i) => i + 1);
const reply = (code: number[], extra: number[] = []) =>
  honeyPlayBoxFrame(0xb1, 0x01, [...code, ...extra], 0);

Deno.test("honeyplaybox: frame, payload and the upstream test vector", () => {
  const frame = honeyPlayBoxFrame(
    0xb1,
    0x03,
    honeyPlayBoxPayload([50, 0], Uint8Array.from(TOKEN)),
    2,
  );
  assert.deepEqual([...frame.slice(-11)], [
    0x3c,
    0xab,
    0x13,
    0x93,
    0x4e,
    0x4c,
    0xb8,
    0x57,
    0x03,
    0x32,
    0x91,
  ]);
  const r = reply([0x90, 0x00], TOKEN);
  assert.equal(honeyPlayBoxResponseCode(r), 0x9000);
  assert.deepEqual([...honeyPlayBoxToken(r)!], TOKEN);
  assert.equal(honeyPlayBoxToken(reply([0x90, 0x00], [1, 2])), undefined, "short token");
  assert.equal(honeyPlayBoxResponseCode(honeyPlayBoxFrame(0xb1, 0x01, [0x90], 0)), undefined);
});

Deno.test("honeyplaybox: collector reassembles chunks, skips junk and bad tails", () => {
  const c = new HoneyPlayBoxFrameCollector();
  const frame = [...reply([0x90, 0x00], TOKEN)];
  assert.deepEqual(c.push([0x11, 0x22, ...frame.slice(0, 3)]), []);
  assert.deepEqual(c.push(frame.slice(3, 20)), []);
  const done = c.push([...frame.slice(20), ...frame.slice(0, 2)]);
  assert.deepEqual(done.map((f) => [...f]), [frame]);
  const bad = [...frame];
  bad[11 + 18] = 0x04; // tail byte not 03
  assert.deepEqual(c.push([...frame.slice(2, 6), ...bad.slice(6)]), []);
  assert.deepEqual(c.push(frame).map((f) => [...f]), [frame]);
});

Deno.test("honeyplaybox: handshake retries with growing timeouts, then fails", async () => {
  using h = await harness("honeyplaybox", "JXT002");
  const pending = Promise.resolve(
    honeyplaybox.initialize(h.ctx, definition("honeyplaybox", "JXT002")),
  );
  const counters = () =>
    h.peripheral.takeCommands().filter((c) => c.kind === "write").map((c) =>
      c.kind === "write" ? c.data[6] : -1
    );
  await h.clock.tick(0);
  assert.deepEqual(counters(), [0]);
  await h.clock.tick(1000); // timeout 1
  await h.clock.tick(2000); // timeout 2
  await h.clock.tick(3000); // timeout 3: three waits used → request again
  assert.deepEqual(counters(), [1]);
  await h.clock.tick(4000); // timeout 4 → fail
  await assert.rejects(pending, /failed after 3 retries/);
});

Deno.test("honeyplaybox: an error code refuses the device", async () => {
  using h = await harness("honeyplaybox", "JXT002");
  const pending = Promise.resolve(
    honeyplaybox.initialize(h.ctx, definition("honeyplaybox", "JXT002")),
  );
  await h.clock.tick(0);
  h.peripheral.notify("rx", reply([0x6a, 0x80]));
  await assert.rejects(pending, /code=6A80/);
});

Deno.test("honeyplaybox: commands, counters, keepalive loop and battery", async () => {
  using h = await harness("honeyplaybox", "HPB-376-1");
  const def = definition("honeyplaybox", "HPB-376-1"); // #0 rotate, #1 oscillate, #2 battery
  const pending = Promise.resolve(honeyplaybox.initialize(h.ctx, def));
  await h.clock.tick(0);
  h.peripheral.notify("rx", reply([0x90, 0x00], TOKEN));
  const handler = await pending;
  h.peripheral.takeCommands();
  handler.start!(h.ctx);
  const token = Uint8Array.from(TOKEN);
  const cmd = handler.rotate!(def.features[0], -30);
  assert.deepEqual(bytes(cmd), [[
    ...honeyPlayBoxFrame(0xb1, 0x03, honeyPlayBoxPayload([30, 0], token), 2),
  ]]);
  assert.ok(
    cmd[0].kind === "write" && cmd[0].withResponse && cmd[0].cids[0] === def.features[0].id,
  );
  await h.clock.tick(HONEYPLAYBOX_KEEPALIVE_MS - HONEYPLAYBOX_POLL_MS);
  assert.equal(h.peripheral.takeCommands().length, 0, "recent command: no keepalive yet");
  await h.clock.tick(HONEYPLAYBOX_POLL_MS);
  const [ka] = h.peripheral.takeCommands();
  assert.ok(ka?.kind === "write" && ka.withResponse);
  assert.deepEqual([...ka.data], [
    ...honeyPlayBoxFrame(0xb1, 0x03, honeyPlayBoxPayload([30, 0], token), 3),
  ]);
  assert.equal(bytes(handler.oscillate!(def.features[1], 40))[0][6], 4, "counter continues");

  h.peripheral.queueRead("rxblebattery", [77, 1, 2]);
  assert.equal(await handler.readInput!(def.features[2], "Battery", h.ctx), 77);
});
