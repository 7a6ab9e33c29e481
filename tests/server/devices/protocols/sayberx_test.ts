import assert from "node:assert/strict";
import { ButtplugDeviceError } from "../../../../protocol/errors.ts";
import { sayberx, sayberxCommand } from "../../../../server/devices/protocols/sayberx.ts";
import { definition, harness, texts } from "./_harness.ts";

Deno.test("sayberx command: AT+SPD with the level as tens", () => {
  assert.deepEqual([0, 1, 2, 3, 4].map(sayberxCommand), [
    "AT+SPD00",
    "AT+SPD10",
    "AT+SPD20",
    "AT+SPD30",
    "AT+SPD40",
  ]);
});

Deno.test("sayberx: the stroker vibrates; the X-Ring is identified and refused", async () => {
  using h = await harness("sayberx", "SayberX");
  const adv = (name: string) => ({ transport: "btle" as const, name, address: "a" });
  assert.deepEqual(await sayberx.identify!(h.ctx, adv("SayberX")), { identifier: "SayberX" });
  const def = definition("sayberx", "SayberX");
  const handler = await sayberx.initialize(h.ctx, def);
  assert.deepEqual(texts(handler.vibrate!(def.features[0], 3)), ["AT+SPD30"]);

  using ring = await harness("sayberx", "X-Ring 0F313B");
  assert.deepEqual(await sayberx.identify!(ring.ctx, adv("X-Ring 0F313B")), {
    identifier: "X-Ring",
  });
  const ringDef = definition("sayberx", "X-Ring");
  assert.equal(ringDef.name, "Sayber X-Ring");
  assert.throws(
    () => sayberx.initialize(ring.ctx, ringDef),
    (err: unknown) => err instanceof ButtplugDeviceError && /input-only/.test(err.message),
  );
});
