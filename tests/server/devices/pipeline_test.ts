import assert from "node:assert/strict";
import { FakePeripheral, FakePeripheralManager } from "../../../hardware/fake_peripheral.ts";
import { createSimulatedPeripheral } from "../../../hardware/simulated_peripherals/mod.ts";
import {
  createIndexPersister,
  defaultDeviceConfiguration,
  type DeviceConfiguration,
  embeddedDeviceConfig,
  loadDeviceConfiguration,
} from "../../../server/devices/config.ts";
import { DeviceManager } from "../../../server/devices/manager.ts";
import { ProtocolDeviceSource } from "../../../server/devices/pipeline.ts";
import { createLogger } from "../../../server/log.ts";
import { ProtocolRegistry } from "../../../server/devices/protocol_registry.ts";
import { lovense } from "../../../server/devices/protocols/lovense.ts";

interface Rig extends AsyncDisposable {
  manager: DeviceManager;
  source: ProtocolDeviceSource;
  fake: FakePeripheralManager;
  lines: string[];
  scan(): Promise<void>;
}

function rig(
  peripherals: FakePeripheral[],
  config: DeviceConfiguration = defaultDeviceConfiguration(),
  onIndexAssigned?: (identity: string, index: number) => void,
  protocols?: ProtocolRegistry,
): Rig {
  const lines: string[] = [];
  const fake = new FakePeripheralManager(peripherals);
  const manager = new DeviceManager({
    reservedIndexes: config.reservedIndexes(),
    ...(onIndexAssigned ? { onIndexAssigned } : {}),
  });
  const source = new ProtocolDeviceSource({
    managers: [fake],
    config,
    logger: createLogger("debug", (l) => lines.push(l)),
    ...(protocols ? { protocols } : {}),
  });
  manager.addSource(source);
  return {
    manager,
    source,
    fake,
    lines,
    async scan() {
      await manager.stopScanning();
      await manager.startScanning();
      await new Promise((r) => setTimeout(r, 0));
      await source.settled();
    },
    [Symbol.asyncDispose]: () => manager[Symbol.asyncDispose](),
  };
}

const sim = (name: string, address?: string) =>
  createSimulatedPeripheral(name, { messageGapMs: 1, ...(address ? { address } : {}) });

const texts = (p: FakePeripheral) =>
  p.history.filter((c) => c.kind === "write").map((c) =>
    c.kind === "write" ? new TextDecoder().decode(c.data) : ""
  );

Deno.test("found → identify → definition → initialize → device in the manager", async () => {
  const hush = sim("LVS-Z36");
  await using r = rig([hush]);
  const added: string[] = [];
  r.manager.addEventListener(
    "deviceadded",
    (e) => added.push(`${e.detail.index}:${e.detail.device.name}`),
  );
  await r.scan();
  assert.deepEqual(added, ["0:Lovense Hush"]);
  const device = r.manager.get(0)!;
  await device.output(0, "Vibrate", { Value: 10 });
  await new Promise((res) => setTimeout(res, 10));
  assert.deepEqual(texts(hush), ["DeviceType;", "Vibrate:10;"]);
  assert.equal(await device.readInput(1, "Battery"), 85);
  assert.ok(r.lines.some((l) => /device connected: Lovense Hush \(lovense/.test(l)));
});

Deno.test("repeated advertisements of a connecting or connected address are ignored", async () => {
  const p = sim("4plus", "same");
  await using r = rig([p, p]);
  let added = 0;
  r.manager.addEventListener("deviceadded", () => added++);
  await r.scan();
  await r.scan();
  assert.equal(added, 1);
  assert.equal(r.source.devices.size, 1);
});

Deno.test("indexes are stable across reconnects; an owner's index is never reused", async () => {
  const a = sim("LVS-Z1", "addr-a");
  const b = sim("LVS-P2", "addr-b");
  const c = sim("LVS-A3", "addr-c");
  await using r = rig([a, b]);
  await r.scan();
  const byName = () => Object.fromEntries([...r.manager.devices].map(([i, d]) => [d.name, i]));
  assert.deepEqual(byName(), { "Lovense Hush": 0, "Lovense Edge": 1 });
  a.simulateDisconnect();
  r.fake.remove(a); // out of range
  assert.deepEqual(byName(), { "Lovense Edge": 1 });
  r.fake.add(c);
  await r.scan();
  assert.deepEqual(byName(), { "Lovense Edge": 1, "Lovense Nora": 2 }, "index 0 stays reserved");
  r.fake.add(a);
  await r.scan(); // a advertises again
  assert.deepEqual(byName(), { "Lovense Hush": 0, "Lovense Edge": 1, "Lovense Nora": 2 });
});

Deno.test("indexes survive a restart through the persisted user config", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/user.json`;
  try {
    {
      const config = await loadDeviceConfiguration({ userConfigPath: path });
      const persister = createIndexPersister(config, path);
      await using r = rig(
        [sim("4plus", "first"), sim("LVS-Z9", "second")],
        config,
        persister.onIndexAssigned,
      );
      await r.scan();
      assert.equal(r.manager.devices.size, 2);
      await persister.flush();
    }
    const saved = JSON.parse(await Deno.readTextFile(path));
    assert.equal(saved.user_configs.devices.length, 2);
    // Restart: only the second device shows up; it keeps its index instead of taking 0.
    const config = await loadDeviceConfiguration({ userConfigPath: path });
    await using r = rig([sim("LVS-Z9", "second")], config);
    await r.scan();
    const [[index, device]] = [...r.manager.devices];
    assert.equal(device.name, "Lovense Hush");
    assert.equal(
      index,
      saved.user_configs.devices.find((d: { identifier: { address: string } }) =>
        d.identifier.address === "second"
      ).config.user_config.index,
    );
    assert.equal(index, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("denied addresses never connect; reserved index and display name are honoured", async () => {
  const base = embeddedDeviceConfig();
  const hush = base.protocols.get("lovense")!.configurations.get("Z")!;
  const entry = (address: string, deny: boolean, index: number, display?: string) => ({
    identifier: { address, protocol: "lovense", identifier: "Z" },
    config: {
      id: crypto.randomUUID(),
      base_id: hush.id,
      features: hush.features.map((f) => ({ id: crypto.randomUUID(), base_id: f.id })),
      user_config: { allow: false, deny, index, ...(display ? { display_name: display } : {}) },
    },
  });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/u.json`,
      JSON.stringify({
        version: { major: 4, minor: 0 },
        user_configs: { devices: [entry("bad", true, 0), entry("good", false, 5, "Bedside")] },
      }),
    );
    const config = await loadDeviceConfiguration({ userConfigPath: `${dir}/u.json` });
    const bad = sim("LVS-Z1", "bad");
    await using r = rig([bad, sim("LVS-Z2", "good")], config);
    await r.scan();
    assert.deepEqual([...r.manager.devices.keys()], [5]);
    assert.equal(r.manager.get(5)?.displayName, "Bedside");
    assert.equal(bad.history.length, 0, "a denied device is not even connected");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("candidates without an implementation are skipped with a warning", async () => {
  const p = new FakePeripheral({ name: "4plus", address: "w1" });
  const onlyLovense = new ProtocolRegistry([lovense]);
  await using r = rig([p], defaultDeviceConfiguration(), undefined, onlyLovense);
  await r.scan();
  await r.scan();
  assert.equal(r.manager.devices.size, 0);
  assert.equal(p.connected, false);
  const warnings = r.lines.filter((l) =>
    /WARN.*matches protocol "wevibe", which has no implementation/.test(l)
  );
  assert.equal(warnings.length, 1, "warned once per protocol");
});

Deno.test("a failing identify disconnects the hardware and logs why", async () => {
  // A Satisfyer without manufacturer data whose model read never answers.
  const p = new FakePeripheral({ name: "SF Mystery", address: "sf", readTimeoutMs: 20 });
  await using r = rig([p]);
  await r.scan();
  assert.equal(r.manager.devices.size, 0);
  assert.equal(p.connected, false);
  assert.ok(
    r.lines.some((l) => /WARN.*SF Mystery \(sf\).*nothing to read/.test(l)),
    r.lines.join("\n"),
  );
});

Deno.test("disposing the source disconnects its devices and managers", async () => {
  const p = sim("UFOSA", "u1");
  const fake = new FakePeripheralManager([p]);
  const source = new ProtocolDeviceSource({ managers: [fake] });
  const devices: string[] = [];
  source.addEventListener("device", (e) => devices.push(e.detail.device.name));
  await source.startScanning();
  await new Promise((res) => setTimeout(res, 0));
  await source.settled();
  assert.deepEqual(devices, ["Vorze UFO SA"]);
  await source[Symbol.asyncDispose]();
  assert.equal(p.connected, false);
  assert.equal(source.devices.size, 0);
});
