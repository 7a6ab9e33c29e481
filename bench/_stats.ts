/**
 * Small statistics helpers of the benchmarks: percentiles over samples, ratios, rounding.
 *
 * @module
 */

/** Summary of a set of samples (same unit as the samples). */
export interface Summary {
  /** Number of samples. */
  readonly n: number;
  /** Median. */
  readonly p50: number;
  /** 90th percentile. */
  readonly p90: number;
  /** 99th percentile. */
  readonly p99: number;
  /** Arithmetic mean. */
  readonly mean: number;
  /** Smallest sample. */
  readonly min: number;
  /** Largest sample. */
  readonly max: number;
}

/**
 * The `q` quantile (0..1) of already sorted samples, nearest-rank method.
 *
 * @example
 * ```ts
 * import { quantile } from "./_stats.ts";
 * console.assert(quantile([1, 2, 3, 4], 0.5) === 2);
 * ```
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * Summarises samples (p50, p90, p99, mean, min, max).
 *
 * @example
 * ```ts
 * import { summarize } from "./_stats.ts";
 * const s = summarize([3, 1, 2]);
 * console.assert(s.p50 === 2 && s.min === 1 && s.max === 3 && s.n === 3);
 * ```
 */
export function summarize(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    mean: sorted.length > 0 ? sum / sorted.length : NaN,
    min: sorted.length > 0 ? sorted[0] : NaN,
    max: sorted.length > 0 ? sorted[sorted.length - 1] : NaN,
  };
}

/** `ours / baseline`, rounded to 3 decimals (NaN when either is missing or the baseline is 0). */
export function ratio(ours: number, baseline: number): number {
  if (!Number.isFinite(ours) || !Number.isFinite(baseline) || baseline === 0) return NaN;
  return round(ours / baseline, 3);
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A summary in microseconds, rounded to 0.1 µs, from samples in microseconds. */
export function microseconds(samples: ArrayLike<number>): Summary {
  const s = summarize(samples);
  return {
    n: s.n,
    p50: round(s.p50),
    p90: round(s.p90),
    p99: round(s.p99),
    mean: round(s.mean),
    min: round(s.min),
    max: round(s.max),
  };
}

/** Current time in milliseconds on a clock shared by every thread of the process. */
export function absoluteMs(): number {
  return performance.timeOrigin + performance.now();
}
