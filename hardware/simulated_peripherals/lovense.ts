/**
 * Simulated Lovense toys: answer `DeviceType;` with `<model>:<fw>:<mac>;` (the model letters
 * chosen from the advertised name) and `Battery;` with `<level>;`, and log every other command.
 *
 * @module
 */
import { FakePeripheral } from "../fake_peripheral.ts";
import type { SimulatedFamily, SimulatedPeripheralOptions } from "./family.ts";
import { SIMULATED_HISTORY_LIMIT } from "./family.ts";

/** Product names → model letters of the `DeviceType;` reply. */
const MODELS: Readonly<Record<string, string>> = {
  ambi: "L",
  lush: "S",
  hush: "Z",
  domi: "W",
  osci: "O",
  mission: "V",
  ferri: "X",
  diamo: "R",
  edge: "P",
  dolce: "J",
  gemini: "N",
  gravity: "EA",
  spinel: "WD",
  max: "B",
  nora: "A",
  ridge: "EL",
  flexer: "EI",
  lapis: "U",
  solace: "H",
  gush: "ED",
  calor: "T",
  hyphy: "EB",
  tenera: "Q",
  vulse: "SD",
};

const KNOWN_LETTERS = new Set(Object.values(MODELS));
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The model letters a simulated Lovense with this advertised name reports. */
export function lovenseModelFor(name: string): string {
  const m = /^LVS-([A-Za-z]+)/.exec(name);
  const word = (m?.[1] ?? name).toLowerCase();
  if (MODELS[word]) return MODELS[word];
  const letters = (m?.[1] ?? "").toUpperCase();
  if (KNOWN_LETTERS.has(letters)) return letters;
  return "S";
}

/** The Lovense family. */
export const lovenseFamily: SimulatedFamily = {
  family: "lovense",
  examples: ["LVS-Z36", "LVS-Edge", "LVS-Nora", "LVS-Max", "LVS-Solace"],
  matches: (name) => /^(LVS|LOVE)-/i.test(name),
  create(name: string, options: SimulatedPeripheralOptions): FakePeripheral {
    const model = lovenseModelFor(name);
    const firmware = model === "EI" ? "03" : "11";
    const battery = options.batteryLevel ?? 85;
    return new FakePeripheral({
      historyLimit: options.historyLimit ?? SIMULATED_HISTORY_LIMIT,
      name,
      address: options.address ?? `sim-${name}`,
      messageGapMs: options.messageGapMs ?? 20,
      onWrite(p, endpoint, data) {
        if (endpoint !== "tx") return;
        const text = decoder.decode(data);
        const reply = text === "DeviceType;"
          ? `${model}:${firmware}:0082059AD3BD;`
          : text === "Battery;"
          ? `${battery};`
          : undefined;
        if (reply) {
          queueMicrotask(() => p.notify("rx", encoder.encode(reply)));
        } else {
          options.log?.(`${name}: ${text}`);
        }
      },
    });
  },
};
