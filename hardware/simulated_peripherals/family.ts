/**
 * The shape of one simulated device family (used by `mod.ts`).
 *
 * @module
 */
import type { FakePeripheral } from "../fake_peripheral.ts";

/** Options every simulated peripheral accepts. */
export interface SimulatedPeripheralOptions {
  /** Batching window the device layer uses for it (default 20 ms). */
  readonly messageGapMs?: number;
  /** Battery level reported (0–100, default 85). */
  readonly batteryLevel?: number;
  /** Receives one human-readable line per command the peripheral gets. */
  readonly log?: (line: string) => void;
  /** Address (default: `sim-<name>`). */
  readonly address?: string;
  /** Commands kept for inspection (default {@linkcode SIMULATED_HISTORY_LIMIT}). */
  readonly historyLimit?: number;
}

/**
 * Commands a simulated peripheral keeps by default: enough to inspect the recent traffic, small
 * enough that a server simulating toys for days does not grow.
 */
export const SIMULATED_HISTORY_LIMIT = 256;

/** A family of simulated peripherals speaking one byte protocol. */
export interface SimulatedFamily {
  /** Family name (for `--simulate` help). */
  readonly family: string;
  /** Advertised names that pick this family (examples for the help text). */
  readonly examples: readonly string[];
  /** Whether an advertised name belongs to this family. */
  matches(name: string): boolean;
  /** Creates a peripheral advertising `name`. */
  create(name: string, options: SimulatedPeripheralOptions): FakePeripheral;
}

/** Hex dump of bytes (`0f 03 00`). */
export function hex(data: ArrayLike<number>): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join(" ");
}
