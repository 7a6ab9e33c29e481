// buttplug@0.13.2 (spec v1): connect, scan, check the device, vibrate 50 %, stop, disconnect.
// The 0.13 connector expects a browser-style global WebSocket: the `ws` package provides one.
import WebSocket from "ws";
import buttplug from "buttplug-v0.13";
import { run, serverUrl, waitFor } from "./_common.mjs";

globalThis.WebSocket = WebSocket;
const { ButtplugClient, ButtplugBrowserWebsocketClientConnector } = buttplug;
const url = serverUrl();

run("buttplug@0.13.2", 1, async (report) => {
  const client = new ButtplugClient("interop buttplug 0.13.2");
  const disconnected = new Promise((resolve) => client.on("disconnect", resolve));
  await client.Connect(new ButtplugBrowserWebsocketClientConnector(url));
  report.steps.push("connected");
  await client.StartScanning();
  report.steps.push("scanning");
  const device = await waitFor("the test device", () => client.Devices[0]);
  await client.StopScanning();
  report.devices = client.Devices.map((d) => ({
    index: d.Index,
    name: d.Name,
    messages: d.AllowedMessagesObject,
  }));
  await device.SendVibrateCmd(0.5);
  report.steps.push("vibrated");
  report.battery = null; // spec v1 has no battery message
  await device.SendStopDeviceCmd();
  report.steps.push("stopped");
  await client.Disconnect();
  await disconnected;
  report.steps.push("disconnected");
});
