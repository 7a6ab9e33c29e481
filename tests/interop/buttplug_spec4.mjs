// The spec v4 npm clients, buttplug@4.0.2 and buttplug@5.0.2 (`node buttplug_spec4.mjs URL 4.0`):
// connect, scan, check the device, vibrate 50 %, read the battery, stop, disconnect.
// 4.0.2 sends OutputCmd values as one-element arrays ({"Value":[10]}); the server accepts it.
import process from "node:process";
import { run, serverUrl, waitFor } from "./_common.mjs";

const VERSIONS = { "4.0": "4.0.2", "5.0": "5.0.2" };
const url = serverUrl();
const version = VERSIONS[process.argv[3]];
if (!version) {
  throw new Error(
    `usage: node buttplug_spec4.mjs URL ${Object.keys(VERSIONS).join("|")}`,
  );
}
const { default: buttplug } = await import(`buttplug-v${process.argv[3]}`);
const { ButtplugClient, ButtplugNodeWebsocketClientConnector, DeviceOutput } = buttplug;

run(`buttplug@${version}`, 4, async (report) => {
  const client = new ButtplugClient(`interop buttplug ${version}`);
  const disconnected = new Promise((resolve) => client.on("disconnect", resolve));
  await client.connect(new ButtplugNodeWebsocketClientConnector(url));
  report.steps.push("connected");
  await client.startScanning();
  report.steps.push("scanning");
  const device = await waitFor("the test device", () => client.devices.get(0));
  await client.stopScanning();
  report.devices = [...client.devices.values()].map((d) => ({
    index: d.index,
    name: d.name,
    // The raw DeviceInfo as received (the typed accessors differ between 4.0 and 5.0).
    features: Object.fromEntries(
      Object.entries(d._deviceInfo.DeviceFeatures ?? {}).map((
        [key, f],
      ) => [key, {
        output: Object.keys(f.Output ?? {}),
        input: Object.keys(f.Input ?? {}),
      }]),
    ),
    // Not d.hasInput(): it uses iterator helpers (Iterator.prototype.some), missing in Node 20.
    hasBattery: Object.values(d._deviceInfo.DeviceFeatures ?? {}).some((f) => f.Input?.Battery),
  }));
  await device.runOutput(DeviceOutput.Vibrate.percent(0.5));
  report.steps.push("vibrated");
  report.battery = await device.battery();
  report.steps.push("battery");
  await device.stop();
  report.steps.push("stopped");
  await client.disconnect();
  await disconnected;
  report.steps.push("disconnected");
});
