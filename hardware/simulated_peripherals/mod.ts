/**
 * Simulated byte-level peripherals for `--simulate <advertised name>`: devices that speak their
 * real byte protocol (handshakes, battery replies, model reads), found by a
 * {@linkcode HardwareManager}, so any supported family can be tried without hardware. The
 * device layer matches and drives them exactly like real Bluetooth devices.
 *
 * Families: Lovense (`LVS-…`), We-Vibe, Satisfyer (`SF …`), Vorze SA. Any other name becomes a
 * plain peripheral that accepts and logs every write — enough for every protocol without an
 * identify handshake (most of them).
 *
 * @example
 * ```ts
 * import { createSimulatedPeripheralManager } from "./mod.ts";
 * const lines: string[] = [];
 * await using manager = createSimulatedPeripheralManager(["LVS-Z36", "4plus"], {
 *   log: (line) => lines.push(line),
 * });
 * console.assert(manager.peripherals.length === 2);
 * ```
 *
 * @module
 */
import type { HardwareManager } from "../mod.ts";
import { FakePeripheral, FakePeripheralManager } from "../fake_peripheral.ts";
import {
  hex,
  SIMULATED_HISTORY_LIMIT,
  type SimulatedFamily,
  type SimulatedPeripheralOptions,
} from "./family.ts";
import { lovenseFamily } from "./lovense.ts";
import { satisfyerFamily } from "./satisfyer.ts";
import { vorzeFamily } from "./vorze.ts";
import { wevibeFamily } from "./wevibe.ts";

export type { SimulatedFamily, SimulatedPeripheralOptions } from "./family.ts";
export { lovenseModelFor } from "./lovense.ts";

/** Every family with a byte-level simulation, in matching order. */
export const SIMULATED_FAMILIES: readonly SimulatedFamily[] = [
  lovenseFamily,
  wevibeFamily,
  satisfyerFamily,
  vorzeFamily,
];

/**
 * A peripheral advertising `name` that speaks the matching family's protocol, or a plain
 * recording peripheral when no family matches.
 */
export function createSimulatedPeripheral(
  name: string,
  options: SimulatedPeripheralOptions = {},
): FakePeripheral {
  const family = SIMULATED_FAMILIES.find((f) => f.matches(name));
  if (family) return family.create(name, options);
  return new FakePeripheral({
    historyLimit: options.historyLimit ?? SIMULATED_HISTORY_LIMIT,
    name,
    address: options.address ?? `sim-${name}`,
    messageGapMs: options.messageGapMs ?? 20,
    onWrite: (_p, endpoint, data) => options.log?.(`${name}: ${endpoint} ${hex(data)}`),
  });
}

/**
 * A {@linkcode HardwareManager} (named `simulated`) that finds one simulated peripheral per
 * advertised name whenever scanning starts.
 */
export function createSimulatedPeripheralManager(
  names: readonly string[],
  options: SimulatedPeripheralOptions = {},
): FakePeripheralManager & HardwareManager {
  return new FakePeripheralManager(
    names.map((n) => createSimulatedPeripheral(n, options)),
    { name: "simulated" },
  );
}

/** One help line per family, for the CLI's `--simulate` help. */
export function simulatedFamiliesHelp(): string[] {
  return [
    ...SIMULATED_FAMILIES.map((f) =>
      `${f.family}: e.g. ${f.examples.map((e) => `"${e}"`).join(", ")}`
    ),
    "any other advertised name: a plain peripheral that logs every write",
  ];
}
