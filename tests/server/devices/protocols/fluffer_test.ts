import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  fluffer,
  FLUFFER_AUTH_TIMEOUT_MS,
  FLUFFER_CID,
  FLUFFER_COMPANY,
  flufferDecrypt,
  flufferDerive,
  flufferEncrypt,
} from "../../../../server/devices/protocols/fluffer.ts";
import type { Advertisement } from "../../../../hardware/mod.ts";
import type { ProtocolHandler } from "../../../../server/devices/protocol.ts";
import { bytes, definition, harness } from "./_harness.ts";
import { loadNodeCrypto } from "../../../../server/devices/protocols/_node_crypto.ts";

// The encoders use node:crypto, which protocols load in initialize(); these tests call them directly.
await loadNodeCrypto();

const NAME = "fake_name_as_we_must_match_fluffer_manufacturer_data";
const adv = (data?: number[]): Advertisement => ({
  transport: "btle",
  name: NAME,
  address: "a",
  ...(data ? { manufacturerData: [{ company: FLUFFER_COMPANY, data }] } : {}),
});
const hex = (a: ArrayLike<number>) =>
  Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("fluffer: cipher round trip and the upstream test vector", () => {
  const plain = [0x82, 0x0f, 0x05, 0x00, 100, 0, 0, 0];
  const cipher = flufferEncrypt(plain);
  assert.equal(hex(cipher), "34869a677b8e6fa9e92b53f837c5253c");
  assert.deepEqual([...flufferDecrypt(cipher)!], plain);
  assert.equal(flufferDecrypt([1, 2, 3]), undefined, "not a block");
});

Deno.test("fluffer: derived bytes keep 00 and the key byte, XOR the rest, at most 4", () => {
  // key = 0x10 ^ 0x68 = 0x78
  assert.deepEqual(flufferDerive([0x4a, 0x68, 0x10, 0x01, 0x00, 0x78, 0x7f, 0x55]), [
    0x79,
    0x00,
    0x78,
    0x07,
  ]);
  assert.deepEqual(flufferDerive([0x4a, 0x68, 0x10, 0x01]), [0x79]);
  assert.deepEqual(flufferDerive([0x4a, 0x68]), []);
});

Deno.test("fluffer: without manufacturer data only rx is subscribed; encoders keep m0/m1", async () => {
  using h = await harness("fluffer", NAME);
  const id = await fluffer.identify!(h.ctx, adv());
  assert.equal(id.identifier, NAME);
  const def = definition("fluffer", "MBO");
  const handler = await id.initialize!(h.ctx, def);
  assert.deepEqual(h.peripheral.takeCommands(), [{ kind: "subscribe", endpoint: "rx" }]);
  const [vib, rot] = def.features;
  const decode = (
    cmds: ReturnType<NonNullable<ProtocolHandler["vibrate"]>>,
  ) => [...flufferDecrypt(bytes(cmds)[0])!];
  assert.deepEqual(decode(handler.vibrate!(vib, 40)), [0x82, 0x0f, 0x05, 0x00, 40, 0, 0, 0]);
  assert.deepEqual(decode(handler.rotate!(rot, -30)), [0x82, 0x0f, 0x05, 0x00, 40, 130, 0, 0]);
  const cmd = handler.rotate!(rot, 30);
  assert.deepEqual(decode(cmd), [0x82, 0x0f, 0x05, 0x00, 40, 30, 0, 0]);
  assert.ok(cmd[0].kind === "write" && !cmd[0].withResponse && cmd[0].cids[0] === FLUFFER_CID);
  assert.equal(handler.keepalive?.kind, "hardware-required-packet");
  if (handler.keepalive?.kind === "hardware-required-packet") {
    const ka = handler.keepalive.command;
    assert.ok(ka.kind === "write");
    assert.deepEqual([...flufferDecrypt(ka.data)!], [0x80, 0x02, 0x00]);
  }
});

Deno.test("fluffer: authentication handshake with manufacturer data", async () => {
  using h = await harness("fluffer", NAME);
  const data = [0x10, 0x01, 0x00, 0x78, 0x7f, 0x55];
  const id = await fluffer.identify!(h.ctx, adv(data));
  const result = Promise.resolve(id.initialize!(h.ctx, definition("fluffer")));
  await h.clock.tick(0);
  const [sub, auth] = h.peripheral.takeCommands();
  assert.deepEqual(sub, { kind: "subscribe", endpoint: "rx" });
  assert.ok(auth.kind === "write");
  const plain = flufferDecrypt(auth.data)!;
  assert.deepEqual([...plain.subarray(0, 3)], [0xa5, 0x01, 0x08]);
  assert.equal(plain.length, 11);
  const random = plain.subarray(3, 7);
  const expected = createHash("sha256").update(random).update(
    Uint8Array.from([0x79, 0x00, 0x78, 0x07]),
  )
    .digest().subarray(0, 4);
  assert.deepEqual([...plain.subarray(7, 11)], [...expected]);
  h.peripheral.notify("rx", flufferEncrypt([0xa5, 0x01, 0x01, 0x00]));
  await result;
  const [confirm] = h.peripheral.takeCommands();
  assert.ok(confirm.kind === "write");
  assert.deepEqual([...flufferDecrypt(confirm.data)!], [0x82, 0x0e, 0x02, 0x00, 0x01]);
});

Deno.test("fluffer: a wrong or missing handshake reply refuses the device", async () => {
  using h = await harness("fluffer", NAME);
  const id = await fluffer.identify!(h.ctx, adv([0x10, 0x01]));
  const wrong = Promise.resolve(id.initialize!(h.ctx, definition("fluffer")));
  await h.clock.tick(0);
  h.peripheral.notify("rx", flufferEncrypt([0xa5, 0x01, 0x00, 0x00]));
  await assert.rejects(wrong, /rejected the security handshake/);

  using h2 = await harness("fluffer", NAME);
  const id2 = await fluffer.identify!(h2.ctx, adv([0x10, 0x01]));
  const silent = Promise.resolve(id2.initialize!(h2.ctx, definition("fluffer")));
  await h2.clock.tick(FLUFFER_AUTH_TIMEOUT_MS);
  await assert.rejects(silent, /did not answer/);
});
