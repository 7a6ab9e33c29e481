/**
 * Simulated Satisfyer toys: advertise manufacturer data (company 93) carrying the model number,
 * answer model reads on `rxblemodel`, and log the per-motor levels of each `tx` packet.
 *
 * @module
 */
import { FakePeripheral } from "../fake_peripheral.ts";
import {
  hex,
  SIMULATED_HISTORY_LIMIT,
  type SimulatedFamily,
  type SimulatedPeripheralOptions,
} from "./family.ts";

/** Model numbers by a word of the name (default: Double Desire, 10160). */
const MODELS: Readonly<Record<string, number>> = {
  "double desire": 10160,
};

function modelBytes(name: string): number[] {
  const lower = name.toLowerCase();
  const found = Object.entries(MODELS).find(([word]) => lower.includes(word));
  const digits = /(\d{4,})/.exec(name);
  const model = found ? found[1] : digits ? Number(digits[1]) : 10160;
  return [(model >>> 24) & 0xff, (model >>> 16) & 0xff, (model >>> 8) & 0xff, model & 0xff];
}

/** The Satisfyer family. */
export const satisfyerFamily: SimulatedFamily = {
  family: "satisfyer",
  examples: ["SF Double Desire", "SF 10160"],
  matches: (name) => /^SF /.test(name),
  create(name: string, options: SimulatedPeripheralOptions): FakePeripheral {
    const model = modelBytes(name);
    return new FakePeripheral({
      historyLimit: options.historyLimit ?? SIMULATED_HISTORY_LIMIT,
      name,
      address: options.address ?? `sim-${name}`,
      messageGapMs: options.messageGapMs ?? 20,
      manufacturerData: [{ company: 93, data: model }],
      onRead: (_p, endpoint) => endpoint === "rxblemodel" ? Uint8Array.from(model) : undefined,
      onWrite(_p, endpoint, data) {
        if (endpoint === "tx" && data.length % 4 === 0) {
          const levels: number[] = [];
          for (let i = 0; i < data.length; i += 4) levels.push(data[i]);
          options.log?.(`${name}: motors ${levels.join(", ")}`);
        } else {
          options.log?.(`${name}: ${endpoint} ${hex(data)}`);
        }
      },
    });
  },
};
