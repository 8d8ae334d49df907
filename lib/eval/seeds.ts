/**
 * Statistics between training seeds: the spread of a metric over independently trained models,
 * a paired t-test on per-seed differences between two designs, how often the direction of a
 * difference flips between seeds, and which class each seed collapses to.
 *
 * These are the replication statistics: the spread over noise draws of one trained model
 * (Tables 3–4's ± columns) says nothing about them.
 */
import { FerError } from '../util/errors';
import { predictionDistribution } from './collapse';
import { spread } from './stats';
import type { EvalResult, SpreadStat } from './types';
import type { ModelName } from '../models/meta';

/** Mean ± sample sd (n - 1) of one metric over training seeds (sd null for one seed). */
export function seedSpread(values: readonly number[]): SpreadStat {
  if (values.some((v) => !Number.isFinite(v)))
    throw new FerError(`seed values must be finite numbers, got [${values.join(', ')}]`);
  return spread([...values]);
}

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b) = B(x; a, b) / B(a, b), for 0 <= x <= 1. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront =
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/**
 * Student-t cumulative distribution with `df` degrees of freedom, exactly:
 *   F(t) = 1 - ½ I_{df/(df + t²)}(df/2, ½)  for t >= 0,  F(-t) = 1 - F(t).
 */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new FerError(`degrees of freedom must be positive, got ${df}`);
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The q-quantile of Student's t (bisection on `studentTCdf`, to 1e-12). */
export function studentTQuantile(q: number, df: number): number {
  if (!(q > 0 && q < 1)) throw new FerError(`quantile level must be in (0, 1), got ${q}`);
  let lo = -1e3,
    hi = 1e3;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface PairedTTest {
  /** Number of paired seeds. */
  n: number;
  /** d̄ = (1/n) Σ_i (a_i - b_i). */
  meanDifference: number;
  /** s_d = sqrt(Σ_i (d_i - d̄)² / (n - 1)). */
  sdDifference: number;
  /** t = d̄ / (s_d / √n); ±Infinity when s_d = 0 and d̄ ≠ 0, 0 when both are 0. */
  t: number;
  /** n - 1. */
  df: number;
  /** Two-sided p = 2 (1 - F_{n-1}(|t|)) (scipy `ttest_rel`); 1 when every d_i = 0. */
  pValue: number;
  /** d̄ ± t_{1-alpha/2, n-1} s_d / √n. */
  ci: { lo: number; hi: number; alpha: number };
}

/**
 * Paired t-test of a against b over training seeds (a[i] and b[i] from the same seed):
 *   d_i = a_i - b_i,  t = d̄ / (s_d / √n),  df = n - 1,  p = 2 (1 - F_df(|t|)),
 * with F_df the exact Student-t CDF. Needs n >= 2.
 */
export function pairedTTest(
  a: readonly number[],
  b: readonly number[],
  opts: { alpha?: number } = {},
): PairedTTest {
  const alpha = opts.alpha ?? 0.05;
  if (a.length !== b.length)
    throw new FerError(
      `paired t-test needs as many values per side, got ${a.length} and ${b.length}`,
    );
  const n = a.length;
  if (n < 2) throw new FerError(`paired t-test needs at least 2 seeds, got ${n}`);
  if (!(alpha > 0 && alpha < 1)) throw new FerError(`alpha must be in (0, 1), got ${alpha}`);
  const d = a.map((v, i) => v - b[i]);
  if (d.some((v) => !Number.isFinite(v))) throw new FerError('paired t-test on non-finite values');
  const mean = d.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const df = n - 1;
  const se = sd / Math.sqrt(n);
  let t: number;
  if (se > 0) t = mean / se;
  else t = mean === 0 ? 0 : mean > 0 ? Infinity : -Infinity;
  const pValue = Math.min(1, 2 * (1 - studentTCdf(Math.abs(t), df)));
  const half = studentTQuantile(1 - alpha / 2, df) * se;
  return {
    n,
    meanDifference: mean,
    sdDifference: sd,
    t,
    df,
    pValue,
    ci: { lo: mean - half, hi: mean + half, alpha },
  };
}

export interface DirectionCount {
  /** Seeds with a_i - b_i > 0, < 0, = 0. */
  positive: number;
  negative: number;
  zero: number;
  /** Seeds whose sign disagrees with the majority sign: min(positive, negative). */
  flips: number;
}

/** How often the direction of a per-seed difference d_i = a_i - b_i flips between seeds. */
export function directionFlips(a: readonly number[], b: readonly number[]): DirectionCount {
  if (a.length !== b.length)
    throw new FerError(`direction count needs paired values, got ${a.length} and ${b.length}`);
  let positive = 0,
    negative = 0,
    zero = 0;
  a.forEach((v, i) => {
    const d = v - b[i];
    if (d > 0) positive++;
    else if (d < 0) negative++;
    else zero++;
  });
  return { positive, negative, zero, flips: Math.min(positive, negative) };
}

export interface SeedCollapse {
  seed: number;
  topClass: number;
  topShare: number;
  entropyBits: number;
}

/**
 * Which class each training seed collapses to at one noise level, from its predicted-label
 * counts, and whether all seeds collapse to the same class.
 */
export function collapseBySeed(perSeed: readonly { seed: number; counts: readonly number[] }[]): {
  seeds: SeedCollapse[];
  sameClass: boolean;
} {
  if (perSeed.length === 0) throw new FerError('collapse by seed: no seeds');
  const seeds = perSeed.map(({ seed, counts }) => {
    const d = predictionDistribution(counts);
    return { seed, topClass: d.topClass, topShare: d.topShare, entropyBits: d.entropyBits };
  });
  return { seeds, sameClass: seeds.every((s) => s.topClass === seeds[0].topClass) };
}

/**
 * Evaluations grouped by architecture, one per training seed (the newest when a seed was
 * evaluated twice), in seed order.
 */
export function seedGroups(evals: readonly EvalResult[]): Partial<Record<ModelName, EvalResult[]>> {
  const out: Partial<Record<ModelName, EvalResult[]>> = {};
  for (const m of ['cnn', 'cnn-lstm'] as const) {
    const bySeed = new Map<number, EvalResult>();
    for (const e of evals.filter((x) => x.model.meta.architecture === m)) {
      const cur = bySeed.get(e.model.meta.seed);
      if (!cur || Date.parse(e.createdAt) > Date.parse(cur.createdAt))
        bySeed.set(e.model.meta.seed, e);
    }
    if (bySeed.size)
      out[m] = [...bySeed.values()].sort((a, b) => a.model.meta.seed - b.model.meta.seed);
  }
  return out;
}
