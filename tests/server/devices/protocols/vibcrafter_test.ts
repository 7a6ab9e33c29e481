import assert from "node:assert/strict";
import {
  vibcrafter,
  VIBCRAFTER_REPLY_TIMEOUT_MS,
  vibcrafterChallengeAnswer,
  vibcrafterDecrypt,
  vibcrafterEncrypt,
  vibcrafterProtocol,
} from "../../../../server/devices/protocols/vibcrafter.ts";
import type { FakePeripheral } from "../../../../hardware/fake_peripheral.ts";
import { ButtplugDeviceError } from "../../../../protocol/errors.ts";
import { bytes, definition, harness } from "./_harness.ts";
import { loadNodeCrypto } from "../../../../server/devices/protocols/_node_crypto.ts";

// The encoders use node:crypto, which protocols load in initialize(); these tests call them directly.
await loadNodeCrypto();

// Ciphertexts computed independently with `openssl enc -aes-128-ecb -K <hex of the key>`.
const fromHex = (h: string): number[] => h.match(/../g)!.map((b) => parseInt(b, 16));
const CT = {
  ok: fromHex("120a6defa705e36fa046e6cdf609f67a"), // "OK;"
  challenge: fromHex("9332d1cf3de2486e1ce990d2969be37e"), // "a1B2:tok3n;"
  authNonce: fromHex("00334170f0124c24da4297a8b1177c30"), // "Auth:abc123;"
  authAnswer: fromHex("f0cf24707f34f00425f9ad1e43edb0bf"), // "Auth:9e79;" (SHA-256("tok3n") = 9e79…)
  nope: fromHex("25ff52bfb15a05013e92e63a9f3787c6"), // "nope;"
  mt4200: fromHex("9a5a6bf410f392a5f0ce1ef0833a511b"), // "MtInt:4200;"
  mt4207: fromHex("30e4dd95324ee872b5abd3697e3360aa"), // "MtInt:4207;"
};

const fixedNonce = vibcrafterProtocol({ nonce: () => "abc123" });

/** A device that answers the nonce with a challenge and the right answer with OK. */
function device(replies: (p: FakePeripheral, data: number[]) => void) {
  return {
    onWrite: (p: FakePeripheral, endpoint: string, data: Uint8Array) => {
      if (endpoint === "tx") replies(p, [...data]);
    },
  };
}

Deno.test("AES-128-ECB/PKCS#7 with the VibCrafter key, both directions", () => {
  assert.deepEqual([...vibcrafterEncrypt("OK;")], CT.ok);
  assert.equal(vibcrafterDecrypt(Uint8Array.from(CT.challenge)), "a1B2:tok3n;");
  assert.throws(() => vibcrafterDecrypt(Uint8Array.of(1, 2, 3)), ButtplugDeviceError);
  assert.equal(vibcrafterChallengeAnswer("tok3n"), "9e79");
});

Deno.test("handshake: nonce, challenge answered with the SHA-256 prefix, OK; then MtInt", async () => {
  using h = await harness(
    "vibcrafter",
    "be gentle",
    device((p, data) => {
      if (data.join() === CT.authNonce.join()) p.notify("rx", CT.challenge);
      else if (data.join() === CT.authAnswer.join()) p.notify("rx", CT.ok);
    }),
  );
  const def = definition("vibcrafter", "be gentle");
  const handler = await fixedNonce.initialize(h.ctx, def);
  const seen = h.peripheral.takeCommands();
  assert.deepEqual(seen.map((c) => c.kind === "write" ? [...c.data] : c.kind), [
    "subscribe",
    CT.authNonce,
    CT.authAnswer,
  ]);
  assert.deepEqual(bytes(handler.vibrate!(def.features[0], 42)), [CT.mt4200]);
  const both = handler.vibrate!(def.features[1], 7);
  assert.deepEqual(bytes(both), [CT.mt4207]);
  assert.ok(
    both[0].kind === "write" && !both[0].withResponse && both[0].cids[0] === def.features[1].id,
  );
});

Deno.test("handshake: a random nonce is 6 alphanumerics; an OK; right away is enough", async () => {
  let nonceText = "";
  using h = await harness(
    "vibcrafter",
    "Janna",
    device((p, data) => {
      nonceText = vibcrafterDecrypt(Uint8Array.from(data));
      p.notify("rx", CT.ok);
    }),
  );
  const def = definition("vibcrafter", "Janna");
  const handler = await vibcrafter.initialize(h.ctx, def);
  assert.match(nonceText, /^Auth:[A-Za-z0-9]{6};$/);
  // Single-motor Janna: the second slot stays 00.
  const [cmd] = handler.vibrate!(def.features[0], 5);
  assert.ok(cmd.kind === "write");
  assert.equal(vibcrafterDecrypt(cmd.data), "MtInt:0500;");
});

Deno.test("handshake refuses a bad reply and a silent device", async () => {
  using bad = await harness("vibcrafter", "Hayden", device((p) => p.notify("rx", CT.nope)));
  await assert.rejects(
    Promise.resolve(fixedNonce.initialize(bad.ctx, definition("vibcrafter", "Hayden"))),
    /valid security handshake/,
  );

  using silent = await harness("vibcrafter", "Hayden");
  const pending = Promise.resolve(
    fixedNonce.initialize(silent.ctx, definition("vibcrafter", "Hayden")),
  );
  const outcome = assert.rejects(pending, /no reply/);
  await silent.clock.tick(VIBCRAFTER_REPLY_TIMEOUT_MS);
  await outcome;
});
