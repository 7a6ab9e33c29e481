import assert from "node:assert/strict";
import {
  createSimulatedPeripheral,
  createSimulatedPeripheralManager,
  lovenseModelFor,
  SIMULATED_FAMILIES,
  simulatedFamiliesHelp,
} from "../../hardware/simulated_peripherals/mod.ts";
import { DeviceManager } from "../../server/devices/manager.ts";
import { ProtocolDeviceSource } from "../../server/devices/pipeline.ts";

Deno.test("lovense model letters come from the advertised name", () => {
  assert.equal(lovenseModelFor("LVS-Z36"), "Z");
  assert.equal(lovenseModelFor("LVS-Edge"), "P");
  assert.equal(lovenseModelFor("LVS-EL01"), "EL");
  assert.equal(lovenseModelFor("LVS-Unknown"), "S");
});

Deno.test("at least four families, each connecting through the real pipeline", async () => {
  assert.ok(SIMULATED_FAMILIES.length >= 4);
  assert.equal(simulatedFamiliesHelp().length, SIMULATED_FAMILIES.length + 1);
  const names = ["LVS-Nora", "4plus", "SF Double Desire", "CycSA", "FOX"];
  const lines: string[] = [];
  await using manager = new DeviceManager();
  manager.addSource(
    new ProtocolDeviceSource({
      managers: [
        createSimulatedPeripheralManager(names, { log: (l) => lines.push(l), messageGapMs: 1 }),
      ],
    }),
  );
  const added = new Promise<void>((resolve) => {
    manager.addEventListener("deviceadded", () => {
      if (manager.devices.size === names.length) resolve();
    });
  });
  await manager.startScanning();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    added,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`only ${manager.devices.size} connected`)), 5000);
    }),
  ]).finally(() => clearTimeout(timer));
  const byName = new Map([...manager.devices.values()].map((d) => [d.name, d]));
  assert.deepEqual([...byName.keys()].sort(), [
    "Fox Device",
    "Lovense Nora",
    "Satisfyer Double Desire",
    "Vorze A10 Cyclone SA",
    "WeVibe 4 Plus",
  ]);
  const nora = byName.get("Lovense Nora")!;
  assert.equal(await nora.readInput(2, "Battery"), 85);
  await nora.output(1, "Rotate", { Value: -5 });
  await byName.get("WeVibe 4 Plus")!.output(0, "Vibrate", { Value: 15 });
  await byName.get("Vorze A10 Cyclone SA")!.output(0, "Rotate", { Value: 50 });
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(lines.includes("LVS-Nora: RotateChange;"), lines.join("\n"));
  assert.ok(lines.includes("LVS-Nora: Rotate:5;"));
  assert.ok(lines.some((l) => l.startsWith("4plus: motor packet 0f 03 00 f0")), lines.join("\n"));
  assert.ok(lines.includes("CycSA: tx rotate cw 50"));
  assert.ok(lines.some((l) => l.startsWith("SF Double Desire: motors 0, 0")), "stop on connect");
});

Deno.test("unknown names become plain recording peripherals", async () => {
  const lines: string[] = [];
  const p = createSimulatedPeripheral("Homebrew", { log: (l) => lines.push(l) });
  await p.connect({ btle: { names: ["Homebrew"], services: { s: { tx: "t" } } } });
  await p.write("tx", Uint8Array.from([1, 2]), false);
  assert.deepEqual(lines, ["Homebrew: tx 01 02"]);
});
