// The peer of the benchmark: npm buttplug@0.13.2 (the last JS release with an in-process server),
// installed by the interop tests in tests/interop/node_modules. Client + ButtplugEmbeddedClientConnector
// + ButtplugServer in one Node process; closed loop of SendVibrateCmd on
//  - "test": the package's own TestDeviceSubtypeManager vibration device, and
//  - "lovense": its byte-level Lovense protocol over an in-memory device impl that answers
//    `DeviceType;` (like our simulated Lovense).
// Usage: node _peer_buttplug_0_13.mjs <count> <warmup>. Prints one line: RESULT {...}.
import process from "node:process";
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";

const require = createRequire(new URL("../tests/interop/package.json", import.meta.url));
const bp = require("buttplug-v0.13");
const { Lovense } = require("buttplug-v0.13/dist/main/src/devices/protocols/Lovense");

const count = Number(process.argv[2] ?? 1000);
const warmup = Number(process.argv[3] ?? 100);

/** An in-memory Lovense Hush. */
class SimLovenseImpl extends bp.ButtplugDeviceImpl {
  constructor() {
    super("LVS-Z36", "peer-sim-lovense");
    this.writes = 0;
  }
  get Connected() {
    return true;
  }
  Connect() {
    return Promise.resolve();
  }
  Disconnect() {
    this.emit("deviceremoved", this);
  }
  ReadValueInternal() {
    return Promise.resolve(Buffer.from([]));
  }
  WriteValueInternal(data) {
    if (data.toString() === "DeviceType;") {
      process.nextTick(() =>
        this.UpdateReceived(bp.Endpoints.Rx, Buffer.from("Z:11:0082059AD3BD;"))
      );
    } else {
      this.writes++;
    }
    return Promise.resolve();
  }
  SubscribeToUpdatesInternal() {
    return Promise.resolve();
  }
}

/** A device manager announcing one simulated Lovense. */
class SimLovenseManager extends EventEmitter {
  SetLogger() {}
  async StartScanning() {
    const impl = this.impl = new SimLovenseImpl();
    const device = new bp.ButtplugDevice(new Lovense(impl), impl);
    await device.Initialize();
    this.emit("deviceadded", device);
    this.emit("scanningfinished");
  }
  StopScanning() {}
  get IsScanning() {
    return false;
  }
}

async function connect(manager) {
  const client = new bp.ButtplugClient("bench peer");
  const server = new bp.ButtplugServer("bench peer server");
  server.ClearDeviceManagers();
  server.AddDeviceManager(manager);
  const connector = new bp.ButtplugEmbeddedClientConnector();
  connector.Server = server;
  await client.Connect(connector);
  const found = new Promise((resolve) => {
    const check = () => {
      const device = client.Devices.find((d) => d.AllowedMessages.includes("VibrateCmd"));
      if (!device) return;
      client.removeListener("deviceadded", check);
      resolve(device);
    };
    client.on("deviceadded", check);
  });
  await client.StartScanning();
  const device = await found;
  await client.StopScanning();
  return { client, device };
}

function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

async function loop(device) {
  const samples = new Float64Array(count);
  for (let i = -warmup; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await device.SendVibrateCmd(i % 2 === 0 ? 0.5 : 0.55);
    const t1 = process.hrtime.bigint();
    if (i >= 0) samples[i] = Number(t1 - t0) / 1000;
  }
  const sorted = samples.sort();
  return {
    n: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

const result = { library: "buttplug@0.13.2", node: process.version };
try {
  const test = await connect(new bp.TestDeviceSubtypeManager());
  result.test = { device: test.device.Name, ...(await loop(test.device)) };
  await test.client.Disconnect();
  const manager = new SimLovenseManager();
  const lovense = await connect(manager);
  result.lovense = { device: lovense.device.Name, ...(await loop(lovense.device)) };
  await lovense.client.Disconnect();
  // Every command must have reached the simulated toy as bytes.
  result.lovense.writes = manager.impl.writes;
  result.ok = manager.impl.writes >= count + warmup;
  if (!result.ok) {
    result.error = `the toy got ${manager.impl.writes} writes for ${count + warmup} commands`;
  }
} catch (err) {
  result.ok = false;
  result.error = String(err?.stack ?? err);
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(result.ok ? 0 : 1));
