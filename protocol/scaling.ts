/**
 * Float → step conversion for spec v0..v3 commands (PROTOCOL.md §7.2). Plain IEEE-754 double
 * math, so results match the reference bit for bit (e.g. `0.55 * 100 = 55.00000000000001` →
 * ceil → 56, `0.29 * 100 = 28.999999999999996` → trunc → 28).
 *
 * @module
 */

/** Floats below this are exactly 0 for value-type outputs (not for `Position`). */
export const ZERO_THRESHOLD = 0.000001;

/** Whether `f` lies in the unit interval 0.0..1.0 (NaN is not). */
export function isUnitInterval(f: number): boolean {
  return f >= 0 && f <= 1;
}

/**
 * Steps for a speed-like float (SingleMotorVibrateCmd, VibrateCmd, RotateCmd magnitude,
 * ScalarCmd of every type but Position): `f < 0.000001` → 0, else `ceil(stepCount * f)`.
 * The caller has checked `0 <= f <= 1`.
 *
 * @example
 * ```ts
 * import { scaleSpeed } from "./scaling.ts";
 * console.assert(scaleSpeed(0.31, 20) === 7);
 * console.assert(scaleSpeed(0.0000005, 20) === 0);
 * ```
 */
export function scaleSpeed(f: number, stepCount: number): number {
  return f < ZERO_THRESHOLD ? 0 : Math.ceil(stepCount * f);
}

/** Steps for a ScalarCmd `Position` float: `ceil(stepCount * f)`, no zero threshold. */
export function scalePosition(f: number, stepCount: number): number {
  return Math.ceil(stepCount * f);
}

/**
 * Steps for a LinearCmd position: `trunc(stepCount * f)` (truncation, no threshold).
 *
 * @example
 * ```ts
 * import { scaleLinear } from "./scaling.ts";
 * console.assert(scaleLinear(0.29, 100) === 28);
 * ```
 */
export function scaleLinear(f: number, stepCount: number): number {
  return Math.trunc(stepCount * f);
}
