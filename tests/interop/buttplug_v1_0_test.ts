// buttplug@1.0.17 (spec v2; the Rust client compiled to WASM) against our server.
import assert from "node:assert/strict";
import {
  assertVibratedAtHalfThenStopped,
  ensureInstalled,
  npmMissing,
  runClientScript,
  startInteropServer,
} from "./_harness.ts";

Deno.test({
  name: "interop: npm buttplug@1.0.17 (spec v2, WASM) scans, vibrates, reads battery, stops",
  ignore: npmMissing !== undefined,
  fn: async () => {
    await ensureInstalled();
    await using fx = startInteropServer();
    // Its ESM entry imports the .wasm file directly.
    const result = await runClientScript("buttplug_v1_0.mjs", fx.server.url, [
      "--experimental-wasm-modules",
      "--no-warnings",
    ]);
    assert.deepEqual(result.devices, [{
      index: fx.index,
      name: "Test Device",
      messages: {
        VibrateCmd: { featureCount: 2, stepCount: [20, 10] },
        RotateCmd: { featureCount: 1, stepCount: [20] },
        LinearCmd: { featureCount: 1, stepCount: [100] },
        // Present with no attributes (protobuf defaults).
        BatteryLevelCmd: { featureCount: 0, stepCount: [] },
        StopDeviceCmd: { featureCount: 0, stepCount: [] },
      },
    }]);
    assert.equal(result.battery, 0.75); // BatteryLevelReading 0.75 = the device's 75 %
    assertVibratedAtHalfThenStopped(fx.device);
    assert.ok(
      fx.device.history.some((h) => h.kind === "read" && h.type === "Battery"),
    );
  },
});
