/**
 * Simulated We-Vibe toys: accept the 8-byte motor packets and log the decoded motor levels.
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

const NAMES = [
  "Cougar",
  "4 Plus",
  "4_Plus",
  "4plus",
  "Bloom",
  "classic",
  "Classic",
  "Ditto",
  "Gala",
  "Jive",
  "Nova",
  "Pivot",
  "Rave",
  "Sync",
  "Verge",
  "Wish",
  "Vector",
  "Moxie",
  "Melt",
  "Chorus",
];

/** The We-Vibe family (wevibe, wevibe-8bit, wevibe-chorus). */
export const wevibeFamily: SimulatedFamily = {
  family: "wevibe",
  examples: ["4plus", "Sync", "Vector", "Moxie"],
  matches: (name) => NAMES.some((n) => n.toLowerCase() === name.toLowerCase()),
  create(name: string, options: SimulatedPeripheralOptions): FakePeripheral {
    return new FakePeripheral({
      historyLimit: options.historyLimit ?? SIMULATED_HISTORY_LIMIT,
      name,
      address: options.address ?? `sim-${name}`,
      messageGapMs: options.messageGapMs ?? 20,
      onWrite(_p, endpoint, data) {
        if (endpoint !== "tx" || data.length !== 8 || data[0] !== 0x0f) {
          options.log?.(`${name}: ${endpoint} ${hex(data)}`);
          return;
        }
        const off = data[1] === 0x00;
        options.log?.(`${name}: ${off ? "motors off" : `motor packet ${hex(data)}`}`);
      },
    });
  },
};
