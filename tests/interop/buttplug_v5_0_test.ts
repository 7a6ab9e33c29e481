// buttplug@5.0.2 (spec v4) against our server.
import assert from "node:assert/strict";
import {
  assertVibratedAtHalfThenStopped,
  ensureInstalled,
  npmMissing,
  runClientScript,
  startInteropServer,
} from "./_harness.ts";

Deno.test({
  name: "interop: npm buttplug@5.0.2 (spec v4) scans, vibrates, reads battery, stops",
  ignore: npmMissing !== undefined,
  fn: async () => {
    await ensureInstalled();
    await using fx = startInteropServer();
    const result = await runClientScript("buttplug_v5_0.mjs", fx.server.url);
    assert.deepEqual(result.devices, [{
      index: fx.index,
      name: "Test Device",
      features: {
        "0": { output: ["Vibrate"], input: [] },
        "1": { output: ["Vibrate"], input: [] },
        "2": { output: ["Rotate"], input: [] },
        "3": { output: ["HwPositionWithDuration"], input: [] },
        "4": { output: [], input: ["Battery"] },
      },
      hasBattery: true,
    }]);
    assert.equal(result.battery, 75); // InputReading Battery Value, in percent
    assertVibratedAtHalfThenStopped(fx.device);
    assert.ok(
      fx.device.history.some((h) => h.kind === "read" && h.type === "Battery"),
    );
  },
});
