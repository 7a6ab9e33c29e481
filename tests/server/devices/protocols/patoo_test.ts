import assert from "node:assert/strict";
import {
  patoo,
  PATOO_MODE_CID,
  PATOO_TX_CID,
  patooIdentifier,
} from "../../../../server/devices/protocols/patoo.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("patoo identifier: the name up to the first digit, under the lowercase protocol id", async () => {
  assert.equal(patooIdentifier("PBT0123"), "PBT");
  assert.equal(patooIdentifier("PTVEA7"), "PTVEA");
  assert.equal(patooIdentifier("PHT"), "PHT");
  using h = await harness("patoo", "PCS42");
  const id = await patoo.identify!(h.ctx, { transport: "btle", name: "PCS42", address: "a" });
  assert.deepEqual(id, { identifier: "PCS" }); // no protocol override: stays "patoo"
});

Deno.test("patoo packets: speed on tx and mode on txmode, both with response", async () => {
  using h = await harness("patoo", "PBT0123");
  const def = definition("patoo", "PBT");
  const handler = await patoo.initialize(h.ctx, def);
  const [m0, m1] = def.features;
  const first = handler.vibrate!(m0, 50);
  assert.deepEqual(bytes(first), [[50], [0x04]]);
  assert.deepEqual(
    first.map((c) => c.kind === "write" && [c.endpoint, c.withResponse, c.cids[0]]),
    [
      ["tx", true, PATOO_TX_CID],
      ["txmode", true, PATOO_MODE_CID],
    ],
  );
  assert.deepEqual(bytes(handler.vibrate!(m1, 70)), [[50], [0x04]]); // motor 0 has priority
  assert.deepEqual(bytes(handler.vibrate!(m0, 0)), [[70], [0x80]]);
  assert.deepEqual(bytes(handler.vibrate!(m1, 0)), [[0], [0x00]]);
});
