import assert from "node:assert/strict";
import { tcodeV03 } from "../../../../server/devices/protocols/tcode_v03.ts";
import { definition, harness, texts } from "./_harness.ts";

Deno.test("tcode-v03: position, hw position with duration, vibrate", async () => {
  using h = await harness("tcode-v03", "/dev/ttyUSB0");
  const def = definition("tcode-v03");
  assert.equal(def.messageGapMs, 20);
  const handler = await tcodeV03.initialize(h.ctx, def);
  const f = def.features[0];
  assert.deepEqual(texts(handler.position!(f, 500)), ["L0500\nR0500\n"]);
  assert.deepEqual(texts(handler.position!(f, 7)), ["L0007\nR0007\n"]);
  assert.deepEqual(texts(handler.hwPositionWithDuration!(f, 51, 200)), ["L051I200\n"]);
  assert.deepEqual(texts(handler.vibrate!({ ...f, index: 1 }, 0)), ["V100\n"]);
  assert.deepEqual(texts(handler.vibrate!({ ...f, index: 1 }, 99)), ["V199\n"]);
});
