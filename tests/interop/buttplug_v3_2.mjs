// buttplug@3.2.2 (spec v3): connect, scan, check the device, vibrate 50 %, read the battery,
// stop, disconnect.
import buttplug from "buttplug-v3.2";
import { run, serverUrl, waitFor } from "./_common.mjs";

const { ButtplugClient, ButtplugNodeWebsocketClientConnector } = buttplug;
const url = serverUrl();

run("buttplug@3.2.2", 3, async (report) => {
  const client = new ButtplugClient("interop buttplug 3.2.2");
  const disconnected = new Promise((resolve) => client.on("disconnect", resolve));
  await client.connect(new ButtplugNodeWebsocketClientConnector(url));
  report.steps.push("connected");
  await client.startScanning();
  report.steps.push("scanning");
  const device = await waitFor("the test device", () => client.devices[0]);
  await client.stopScanning();
  report.devices = client.devices.map((d) => ({
    index: d.index,
    name: d.name,
    messageTimingGap: d.messageTimingGap,
    vibrate: d.vibrateAttributes.map((a) => ({
      index: a.Index,
      steps: a.StepCount,
    })),
    rotate: d.rotateAttributes.map((a) => ({
      index: a.Index,
      steps: a.StepCount,
    })),
    linear: d.linearAttributes.map((a) => ({
      index: a.Index,
      steps: a.StepCount,
    })),
    hasBattery: d.hasBattery,
  }));
  await device.vibrate(0.5);
  report.steps.push("vibrated");
  report.battery = await device.battery();
  report.steps.push("battery");
  await device.stop();
  report.steps.push("stopped");
  await client.disconnect();
  await disconnected;
  report.steps.push("disconnected");
});
