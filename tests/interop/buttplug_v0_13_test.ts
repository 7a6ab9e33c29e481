// buttplug@0.13.2 (spec v1) against our server.
import assert from "node:assert/strict";
import {
  assertVibratedAtHalfThenStopped,
  ensureInstalled,
  npmMissing,
  runClientScript,
  startInteropServer,
} from "./_harness.ts";

Deno.test({
  name: "interop: npm buttplug@0.13.2 (spec v1) scans, vibrates, stops",
  ignore: npmMissing !== undefined,
  fn: async () => {
    await ensureInstalled();
    await using fx = startInteropServer();
    const result = await runClientScript("buttplug_v0_13.mjs", fx.server.url);
    assert.deepEqual(result.devices, [{
      index: fx.index,
      name: "Test Device",
      messages: {
        VibrateCmd: { FeatureCount: 2 },
        RotateCmd: { FeatureCount: 1 },
        LinearCmd: { FeatureCount: 1 },
        StopDeviceCmd: {},
        SingleMotorVibrateCmd: {},
      },
    }]);
    assert.equal(result.battery, null); // spec v1 has no battery message
    assertVibratedAtHalfThenStopped(fx.device);
  },
});
