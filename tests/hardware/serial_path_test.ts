/**
 * The real serial path, end to end: a WebSocket client → our server → device pipeline →
 * protocol → Node sidecar (`serialport`) → a pseudo-terminal made by socat, whose other end
 * plays the device. Two devices from the config are attached through a user config naming the
 * pty as their serial port: TCode (exact command bytes) and Lovense (whose battery reply comes
 * back to the client as a reading).
 */
import assert from "node:assert/strict";
import { ButtplugClient } from "../../client/client.ts";
import { WebSocketConnector } from "../../client/websocket_connector.ts";
import {
  DeviceConfiguration,
  embeddedDeviceConfig,
  parseUserConfig,
} from "../../server/devices/config.ts";
import { setUpDevices } from "../../server/device_setup.ts";
import { silentLogger } from "../../server/log.ts";
import { serveWebSocket } from "../../server/websocket.ts";
import { hasSocat, PtyPair, readExactly, writeAll } from "./_pty_pair.ts";

const SKIP = hasSocat() ? false : "socat is not installed (apt-get install socat)";
const decoder = new TextDecoder();
const encoder = new TextEncoder();

function serial(protocol: string, port: string): unknown {
  return {
    version: { major: 4, minor: 0 },
    user_configs: {
      protocols: {
        [protocol]: {
          communication: [{
            serial: { port, baud_rate: 115200, data_bits: 8, parity: "N", stop_bits: 1 },
          }],
        },
      },
    },
  };
}

async function serverWith(userConfig: unknown) {
  const config = new DeviceConfiguration(
    embeddedDeviceConfig(),
    parseUserConfig(userConfig, "test user config"),
  );
  const devices = await setUpDevices({
    config,
    hardware: ["serial"],
    simulate: [],
    logger: silentLogger,
  });
  await devices.hardwareReady;
  const server = serveWebSocket({ deviceManager: devices.deviceManager, port: 0 });
  return {
    url: server.url,
    async [Symbol.asyncDispose]() {
      await server.shutdown("test over");
      await devices[Symbol.asyncDispose]();
    },
  };
}

async function firstDevice(client: ButtplugClient) {
  const added = new Promise<void>((resolve) =>
    client.addEventListener("deviceadded", () => resolve(), { once: true })
  );
  await client.startScanning();
  await added;
  await client.stopScanning();
  return [...client.devices.values()][0];
}

Deno.test({
  name: "serial path: TCode commands from a WebSocket client arrive as exact bytes on the pty",
  ignore: SKIP !== false,
  fn: async () => {
    await using pty = await PtyPair.open();
    await using _server = await serverWith(serial("tcode-v03", pty.a));
    using deviceEnd = await Deno.open(pty.b, { read: true, write: true });
    const client = new ButtplugClient("serial path test");
    await client.connect(new WebSocketConnector(_server.url));
    const tcode = await firstDevice(client);
    assert.equal(tcode.name, "TCode v0.3 (Single Linear Axis)");
    await tcode.linear(0.5, 200);
    const expected = "L0500I200\n";
    assert.equal(decoder.decode(await readExactly(deviceEnd, expected.length)), expected);
    await tcode.output(0, "Position", { percent: 0.25 });
    const next = "L0250\nR0250\n";
    assert.equal(decoder.decode(await readExactly(deviceEnd, next.length)), next);
    await client.disconnect();
  },
});

Deno.test({
  name: "serial path: a Lovense on a serial port identifies itself and its battery reply is read",
  ignore: SKIP !== false,
  fn: async () => {
    await using pty = await PtyPair.open();
    using deviceEnd = await Deno.open(pty.b, { read: true, write: true });
    // Play a Lovense Hush on the far end: answer DeviceType; and Battery;, record the rest.
    const received: string[] = [];
    const playing = (async () => {
      const buf = new Uint8Array(256);
      let text = "";
      while (true) {
        const n = await deviceEnd.read(buf).catch(() => null);
        if (n === null) return;
        text += decoder.decode(buf.subarray(0, n));
        let end: number;
        while ((end = text.indexOf(";")) !== -1) {
          const command = text.slice(0, end + 1);
          text = text.slice(end + 1);
          received.push(command);
          if (command === "DeviceType;") {
            await writeAll(deviceEnd, encoder.encode("Z:11:0082059AD3BD;"));
          }
          if (command === "Battery;") await writeAll(deviceEnd, encoder.encode("85;"));
        }
      }
    })();
    {
      await using server = await serverWith(serial("lovense", pty.a));
      const client = new ButtplugClient("serial path test");
      await client.connect(new WebSocketConnector(server.url));
      const hush = await firstDevice(client);
      assert.equal(hush.name, "Lovense Hush");
      await hush.vibrate(0.5);
      assert.equal(await hush.battery(), 0.85);
      await client.disconnect();
    }
    deviceEnd.close();
    await playing;
    assert.ok(received.includes("DeviceType;"), received.join(" "));
    assert.ok(received.includes("Vibrate:10;"), received.join(" "));
    assert.ok(received.includes("Battery;"), received.join(" "));
    // The client left, so the server stopped the toy.
    assert.equal(received.at(-1), "Vibrate:0;", received.join(" "));
  },
});
