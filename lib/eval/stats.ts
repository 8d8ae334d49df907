/**
 * Statistics for the comparisons: percentile bootstrap CIs, McNemar's exact test for paired
 * classifiers, and mean ± std over training seeds.
 */
import { FerError } from '../util/errors';
import { Rng } from '../util/rng';
import type { BootstrapSettings, ConfidenceInterval, McNemarResult, SpreadStat } from './types';
import type { Labels } from './metrics';

/** numpy's default ('linear') percentile of sorted data, q in [0, 1]. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const m = sorted.length;
  if (m === 0) throw new FerError('quantile of an empty sample');
  const pos = q * (m - 1);
  const lo = Math.floor(pos),
    hi = Math.min(lo + 1, m - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  alpha?: number;
}

export function bootstrapSettings(opts: BootstrapOptions = {}): BootstrapSettings {
  const s = { resamples: opts.resamples ?? 1000, seed: opts.seed ?? 0, alpha: opts.alpha ?? 0.05 };
  if (!Number.isInteger(s.resamples) || s.resamples < 1)
    throw new FerError(`bootstrap resamples must be a positive integer, got ${s.resamples}`);
  if (!(s.alpha > 0 && s.alpha < 1)) throw new FerError(`alpha must be in (0, 1), got ${s.alpha}`);
  return s;
}

/**
 * Percentile bootstrap of several statistics over the same resamples (so their CIs are paired).
 * `stat(idx)` gets the sample indices of one resample (n draws with replacement) and returns
 * named values; the estimate is `stat` on the identity index 0..n-1.
 * CI = [q(alpha/2), q(1 - alpha/2)] of the resampled values (numpy linear percentiles).
 */
export function bootstrapMany<K extends string>(
  n: number,
  stat: (idx: Int32Array) => Record<K, number>,
  opts: BootstrapOptions = {},
): Record<K, ConfidenceInterval> {
  const s = bootstrapSettings(opts);
  if (n < 1) throw new FerError('bootstrap of an empty sample');
  const identity = Int32Array.from({ length: n }, (_, i) => i);
  const est = stat(identity);
  const keys = Object.keys(est) as K[];
  const draws = new Map<K, Float64Array>(keys.map((k) => [k, new Float64Array(s.resamples)]));
  const rng = new Rng(s.seed);
  const idx = new Int32Array(n);
  for (let r = 0; r < s.resamples; r++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    const v = stat(idx);
    for (const k of keys) draws.get(k)![r] = v[k];
  }
  const out = {} as Record<K, ConfidenceInterval>;
  for (const k of keys) {
    const d = draws.get(k)!.sort();
    out[k] = {
      estimate: est[k],
      lo: quantileSorted(d, s.alpha / 2),
      hi: quantileSorted(d, 1 - s.alpha / 2),
    };
  }
  return out;
}

/** Gather `src[idx[i]]` into a fresh Int32Array. */
export function take(src: Labels, idx: Int32Array): Int32Array {
  const out = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = src[idx[i]];
  return out;
}

/**
 * Percentile bootstrap CI of `metricFn(yTrue, yPred)`, resampling (true, pred) pairs with
 * replacement `resamples` times (default 1000) from a seeded Rng; alpha 0.05 gives a 95 % CI.
 */
export function bootstrapCI(
  yTrue: Labels,
  yPred: Labels,
  metricFn: (yTrue: Int32Array, yPred: Int32Array) => number,
  opts: BootstrapOptions = {},
): ConfidenceInterval {
  if (yTrue.length !== yPred.length)
    throw new FerError(`yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  return bootstrapMany(
    yTrue.length,
    (idx) => ({ m: metricFn(take(yTrue, idx), take(yPred, idx)) }),
    opts,
  ).m;
}

/** log of Σ exp(xs), stable. */
function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  if (m === -Infinity) return m;
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

/** P(X <= k) for X ~ Binomial(n, 1/2), in log space so n in the thousands is exact enough. */
export function binomHalfCdf(k: number, n: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  const terms: number[] = [];
  let logC = 0; // log C(n, 0)
  for (let j = 0; j <= k; j++) {
    if (j > 0) logC += Math.log(n - j + 1) - Math.log(j);
    terms.push(logC - n * Math.LN2);
  }
  return Math.min(1, Math.exp(logSumExp(terms)));
}

/** Complementary error function (Numerical Recipes erfcc, relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Upper tail of chi-square with 1 degree of freedom: P(X >= x) = erfc(sqrt(x / 2)). */
export function chi2Df1Sf(x: number): number {
  return x <= 0 ? 1 : erfc(Math.sqrt(x / 2));
}

/**
 * McNemar's test of two classifiers on the same samples. b = #(A right, B wrong),
 * c = #(A wrong, B right). Under H0 (equal error rates) b ~ Binomial(b + c, 1/2), so the exact
 * two-sided p = min(1, 2 P(X <= min(b, c))) (statsmodels `mcnemar(exact=True)`); p = 1 when
 * b + c = 0. Also the continuity-corrected chi-square (|b - c| - 1)^2 / (b + c) for reference.
 */
export function mcnemarExact(
  correctA: ArrayLike<boolean | number>,
  correctB: ArrayLike<boolean | number>,
): McNemarResult {
  if (correctA.length !== correctB.length)
    throw new FerError(
      `paired test needs equal lengths, got ${correctA.length} and ${correctB.length}`,
    );
  const n = correctA.length;
  let b = 0,
    c = 0,
    ra = 0,
    rb = 0;
  for (let i = 0; i < n; i++) {
    const a = Boolean(correctA[i]),
      bb = Boolean(correctB[i]);
    if (a) ra++;
    if (bb) rb++;
    if (a && !bb) b++;
    else if (!a && bb) c++;
  }
  const d = b + c;
  const pValue = d === 0 ? 1 : Math.min(1, 2 * binomHalfCdf(Math.min(b, c), d));
  const chi2 = d === 0 ? 0 : Math.max(0, Math.abs(b - c) - 1) ** 2 / d;
  return {
    n,
    b,
    c,
    accuracyA: n === 0 ? 0 : ra / n,
    accuracyB: n === 0 ? 0 : rb / n,
    pValue,
    chi2,
    chi2PValue: d === 0 ? 1 : chi2Df1Sf(chi2),
  };
}

/** Per-sample correctness, as McNemar wants it. */
export function correctness(yTrue: Labels, yPred: Labels): Uint8Array {
  if (yTrue.length !== yPred.length)
    throw new FerError(`yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  return Uint8Array.from({ length: yTrue.length }, (_, i) => (yTrue[i] === yPred[i] ? 1 : 0));
}

/** Mean, sample std (n - 1; null for a single value), min, max. */
export function spread(values: number[]): SpreadStat {
  if (values.length === 0) throw new FerError('spread of no values');
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const std = n < 2 ? null : Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { mean, std, min: Math.min(...values), max: Math.max(...values), values: [...values] };
}

/**
 * Flatten the numeric leaves of a nested object to dotted keys ({a: {b: 1}} -> {'a.b': 1}),
 * so whole results (e.g. eval.json tables) can be fed to `aggregateSeeds`. Arrays are indexed.
 */
export function flattenNumbers(obj: unknown, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (v: unknown, key: string): void => {
    if (typeof v === 'number') out[key] = v;
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) walk(x, key === '' ? k : `${key}.${k}`);
  };
  walk(obj, prefix);
  return out;
}

/**
 * Combine per-seed results (one record of metric -> value per trained model) into
 * mean ± sample std per metric. Every result must have the same metric names.
 */
export function aggregateSeeds(results: Record<string, number>[]): Record<string, SpreadStat> {
  if (results.length === 0) throw new FerError('aggregateSeeds: no results');
  const keys = Object.keys(results[0]);
  results.forEach((r, i) => {
    const ks = Object.keys(r);
    if (ks.length !== keys.length || !keys.every((k) => typeof r[k] === 'number'))
      throw new FerError(
        `aggregateSeeds: result ${i} has metrics [${ks.join(', ')}], expected [${keys.join(', ')}]`,
      );
  });
  const out: Record<string, SpreadStat> = {};
  for (const k of keys) out[k] = spread(results.map((r) => r[k]));
  return out;
}

/**
 * Pack 0/1 values into bytes (value i -> byte i >> 3, bit i & 7) and base64-encode them:
 * a compact, JSON-safe record of per-image correctness (7,178 images -> 1,200 characters).
 */
export function packBits(bits: ArrayLike<number | boolean>): string {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i]) bytes[i >> 3] |= 1 << (i & 7);
  return Buffer.from(bytes).toString('base64');
}

/** Inverse of `packBits` for `n` values. */
export function unpackBits(encoded: string, n: number): Uint8Array {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length !== Math.ceil(n / 8))
    throw new FerError(
      `bitset holds ${bytes.length} bytes, expected ${Math.ceil(n / 8)} for ${n} values`,
    );
  return Uint8Array.from({ length: n }, (_, i) => (bytes[i >> 3] >> (i & 7)) & 1);
}
