/**
 * Simulated Vorze SA toys (A10 Cyclone SA, UFO SA, UFO TW, Bach, Rocket, Omorfi, Piston):
 * accept 3-byte frames and log them decoded.
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

const NAMES = ["Bach smart", "CycSA", "UFOSA", "UFO-TW", "VorzePiston", "ROCKET", "OMORFI", "OMOR"];

function describe(data: Uint8Array): string {
  if (data.length !== 3) return hex(data);
  const [dev, mode, value] = data;
  const rotation = (b: number) => `${b & 0x80 ? "cw" : "ccw"} ${b & 0x7f}`;
  if (dev === 0x05) return `rotate left ${rotation(mode)}, right ${rotation(value)}`;
  if (dev === 0x09) return `vibrate ${mode}, ${value}`;
  if (dev === 0x03) return `piston to ${mode} at speed ${value}`;
  if (mode === 0x01) return `rotate ${rotation(value)}`;
  if (mode === 0x03) return `vibrate ${value}`;
  return hex(data);
}

/** The Vorze SA family. */
export const vorzeFamily: SimulatedFamily = {
  family: "vorze-sa",
  examples: ["CycSA", "UFOSA", "UFO-TW", "Bach smart"],
  matches: (name) => NAMES.includes(name),
  create(name: string, options: SimulatedPeripheralOptions): FakePeripheral {
    return new FakePeripheral({
      historyLimit: options.historyLimit ?? SIMULATED_HISTORY_LIMIT,
      name,
      address: options.address ?? `sim-${name}`,
      messageGapMs: options.messageGapMs ?? 20,
      onWrite: (_p, endpoint, data) => options.log?.(`${name}: ${endpoint} ${describe(data)}`),
    });
  },
};
