import assert from "node:assert/strict";
import { rezTrancevibrator } from "../../../../server/devices/protocols/rez_trancevibrator.ts";
import { defaultDeviceConfiguration } from "../../../../server/devices/config.ts";
import { bytes, definition, harness } from "./_harness.ts";

Deno.test("config: one vibrator 0..255 on the raw USB pair 0B49:064F", () => {
  const def = definition("rez-trancevibrator");
  assert.equal(def.name, "Rez TranceVibrator");
  assert.equal(def.features.length, 1);
  assert.deepEqual(def.features[0].output?.Vibrate?.value, [0, 255]);
  const usb = defaultDeviceConfiguration().protocol("rez-trancevibrator")!.communication;
  assert.deepEqual(usb, [{ usb: { pairs: [{ vendor_id: 0x0b49, product_id: 0x064f }] } }]);
});

Deno.test("vibrate: the speed as one byte on txvendorcontrol, without response, CID = feature id", async () => {
  using h = await harness("rez-trancevibrator", "USB device 0b49:064f", { transport: "usb" });
  const def = definition("rez-trancevibrator");
  const handler = await rezTrancevibrator.initialize(h.ctx, def);
  assert.equal(rezTrancevibrator.identify, undefined, "identified by its hardware name (generic)");
  assert.equal(handler.rotate, undefined);
  for (const [s, expected] of [[200, 0xc8], [255, 0xff], [1, 0x01], [0, 0x00]]) {
    const cmds = handler.vibrate!(def.features[0], s);
    assert.deepEqual(bytes(cmds), [[expected]], `speed ${s}`);
    const [cmd] = cmds;
    assert.ok(cmd.kind === "write");
    assert.equal(cmd.endpoint, "txvendorcontrol");
    assert.equal(cmd.withResponse, false);
    assert.deepEqual(cmd.cids, [def.features[0].id]);
  }
  // Nothing is written while initializing: the device is silent until the first command.
  assert.deepEqual(h.peripheral.history, []);
});
