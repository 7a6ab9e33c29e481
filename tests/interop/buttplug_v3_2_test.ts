// buttplug@3.2.2 (spec v3) against our server.
import assert from "node:assert/strict";
import {
  assertVibratedAtHalfThenStopped,
  ensureInstalled,
  npmMissing,
  runClientScript,
  startInteropServer,
} from "./_harness.ts";

Deno.test({
  name: "interop: npm buttplug@3.2.2 (spec v3) scans, vibrates, reads battery, stops",
  ignore: npmMissing !== undefined,
  fn: async () => {
    await ensureInstalled();
    await using fx = startInteropServer();
    const result = await runClientScript("buttplug_v3_2.mjs", fx.server.url);
    assert.deepEqual(result.devices, [{
      index: fx.index,
      name: "Test Device",
      messageTimingGap: 100,
      vibrate: [{ index: 0, steps: 20 }, { index: 1, steps: 10 }],
      rotate: [{ index: 0, steps: 20 }],
      linear: [{ index: 0, steps: 100 }],
      hasBattery: true,
    }]);
    assert.equal(result.battery, 0.75); // SensorReading Data [75] / 100
    assertVibratedAtHalfThenStopped(fx.device);
    assert.ok(
      fx.device.history.some((h) => h.kind === "read" && h.type === "Battery"),
    );
  },
});
