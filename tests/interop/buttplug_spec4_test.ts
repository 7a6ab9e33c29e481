// The spec v4 npm clients, buttplug@4.0.2 and buttplug@5.0.2, against our server.
// 4.0.2 sends OutputCmd values as one-element arrays ({"Vibrate":{"Value":[10]}}): the server
// must read [n] as n.
import assert from "node:assert/strict";
import {
  assertVibratedAtHalfThenStopped,
  ensureInstalled,
  npmMissing,
  runClientScript,
  startInteropServer,
} from "./_harness.ts";

for (const [alias, version] of [["4.0", "4.0.2"], ["5.0", "5.0.2"]]) {
  Deno.test({
    name: `interop: npm buttplug@${version} (spec v4) scans, vibrates, reads battery, stops`,
    ignore: npmMissing !== undefined,
    fn: async () => {
      await ensureInstalled();
      await using fx = startInteropServer();
      const result = await runClientScript(
        "buttplug_spec4.mjs",
        fx.server.url,
        [],
        [alias],
      );
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
}
