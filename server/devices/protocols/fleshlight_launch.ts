/**
 * The Fleshlight Launch speed curve (DEVICES.md §3.9 "Kiiroo / Fleshlight"), shared by the
 * `kiiroo-v2`, `kiiroo-v21`, `kiiroo-v21-initialized` and `kiiroo-v3` position encoders. Not a
 * protocol itself.
 *
 * @module
 */

/**
 * Launch speed (0–1 scale, unclamped) for moving `distance` (0–1 of the stroke) in
 * `durationMs`: `250 × ((duration × 90) / (distance × 100)) ^ −1.05`. A distance above 1 counts
 * as 1; a negative one yields 0.
 */
export function launchSpeed(distance: number, durationMs: number): number {
  if (distance < 0) return 0;
  const d = Math.min(distance, 1);
  return 250 * Math.pow((durationMs * 90) / (d * 100), -1.05);
}

/** Rust's saturating `f64 as u8`: truncates, clamps to 0–255, NaN → 0. */
export function saturatingU8(x: number): number {
  if (Number.isNaN(x)) return 0;
  return Math.min(Math.max(Math.trunc(x), 0), 255);
}

/**
 * The speed byte for a move from `previous` to `position` (both 0–99) in `durationMs`:
 * `trunc(launchSpeed(|previous − position| / 99, duration) × 99)` saturated to 0–255 (no
 * movement → 0; zero duration → 255).
 *
 * @example
 * ```ts
 * import { launchSpeedByte } from "./fleshlight_launch.ts";
 * console.assert(launchSpeedByte(0, 50, 500) === 19);
 * console.assert(launchSpeedByte(50, 50, 500) === 0);
 * console.assert(launchSpeedByte(0, 99, 0) === 255);
 * ```
 */
export function launchSpeedByte(previous: number, position: number, durationMs: number): number {
  const distance = Math.abs(previous - position) / 99;
  return saturatingU8(launchSpeed(distance, durationMs) * 99);
}

/**
 * A stateful Launch-style position encoder: remembers the previous position (starting at 0)
 * and returns the speed byte for each new target.
 */
export class LaunchTracker {
  #previous = 0;

  /** Speed byte for moving to `position` in `durationMs`; remembers `position` (as a u8). */
  move(position: number, durationMs: number): number {
    const speed = launchSpeedByte(this.#previous, position, durationMs);
    this.#previous = position & 0xff;
    return speed;
  }
}
