// buttplug@1.0.17 (spec v2, Rust client compiled to WASM; run with
// `node --experimental-wasm-modules`): connect, scan, check the device, vibrate 50 %, read the
// battery, stop, disconnect.
import {
  ButtplugClient,
  ButtplugDeviceMessageType,
  buttplugInit,
  ButtplugWebsocketConnectorOptions,
} from "buttplug-v1.0";
import { run, serverUrl, waitFor } from "./_common.mjs";

const url = serverUrl();

function attributes(device, type) {
  const attrs = device.messageAttributes(type);
  if (!attrs) return null;
  return {
    featureCount: attrs.featureCount ?? null,
    stepCount: attrs.stepCount ? [...attrs.stepCount] : null,
  };
}

run("buttplug@1.0.17", 2, async (report) => {
  await buttplugInit();
  const client = new ButtplugClient("interop buttplug 1.0.17");
  const disconnected = new Promise((resolve) => client.on("disconnect", resolve));
  await client.connect(new ButtplugWebsocketConnectorOptions(url));
  report.steps.push("connected");
  await client.startScanning();
  report.steps.push("scanning");
  const device = await waitFor("the test device", () => client.Devices[0]);
  await client.stopScanning();
  report.devices = client.Devices.map((d) => ({
    index: d.Index,
    name: d.Name,
    messages: {
      VibrateCmd: attributes(d, ButtplugDeviceMessageType.VibrateCmd),
      RotateCmd: attributes(d, ButtplugDeviceMessageType.RotateCmd),
      LinearCmd: attributes(d, ButtplugDeviceMessageType.LinearCmd),
      BatteryLevelCmd: attributes(d, ButtplugDeviceMessageType.BatteryLevelCmd),
      StopDeviceCmd: attributes(d, ButtplugDeviceMessageType.StopDeviceCmd),
    },
  }));
  await device.vibrate(0.5);
  report.steps.push("vibrated");
  report.battery = await device.batteryLevel();
  report.steps.push("battery");
  await device.stop();
  report.steps.push("stopped");
  await client.disconnect();
  await Promise.race([disconnected, new Promise((r) => setTimeout(r, 2000))]);
  report.steps.push("disconnected");
});
