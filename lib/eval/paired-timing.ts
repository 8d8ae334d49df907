/**
 * Paired timing of two models (`fer time`, results/timing.json): the schema and the pure
 * statistics. Both models are timed interleaved, one call of each per round with the order
 * alternating (AB, BA, …), so that a slow spell of the machine hits both alike; each batch size
 * reports the median ms per image of each model and the median of the per-round ratios A/B,
 * each with a distribution-free 95 % CI from order statistics. The measuring side is
 * ./paired-timing-run.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonFile } from '../util/atomic';
import { FerError } from '../util/errors';
import { binomHalfCdf, quantileSorted } from './stats';
import type { ConfidenceInterval } from './types';

export const PAIRED_TIMING_SCHEMA = 'fer-timing/1';
export const PAIRED_TIMING_FILE = 'timing.json';

/** A median over rounds with its order-statistic CI. */
export interface MedianCI extends ConfidenceInterval {
  /** The CI's exact coverage for continuous data, 1 − 2·P(Bin(n, ½) < k); at least 0.95. */
  coverage: number;
}

/** One batch size: each model's ms per image and the paired ratio A/B. */
export interface PairedBatchTiming {
  batchSize: number;
  /** A's ms per image: median over rounds and CI. */
  a: MedianCI;
  b: MedianCI;
  /**
   * A's time over B's in the same round, median and CI. With A the CNN and B the hybrid this
   * is the hybrid's speed-up (2 = twice as fast).
   */
  ratio: MedianCI;
  /** Each round's ms per image, [A's, B's], round by round. */
  msPerImage: [number[], number[]];
}

/** One framework's paired timing of the two models. */
export interface PairedFrameworkTiming {
  framework: 'tfjs' | 'pytorch';
  /** tfjs's or torch's version. */
  version: string;
  /** tfjs backend (onednn, wasm, …); 'cpu' for PyTorch. */
  backend: string;
  /** Compute threads it ran with; null where the backend does not say. */
  threads: number | null;
  /** A's and B's parameters as this framework built them, counted as Keras does. */
  params: [number, number];
  batches: PairedBatchTiming[];
}

/** A timed model, from its folder and meta.json. */
export interface TimedModel {
  /** Its results name (lib/eval/run.ts resultKey: models/quick/cnn → quick-cnn). */
  name: string;
  /** The folder, repository-relative when inside it. */
  dir: string;
  architecture: string;
  widthMultiplier: number;
  params: number;
  /** lib/models flopsPerImage (2 × multiply-adds); null for a layer it cannot count. */
  flopsPerImage: number | null;
}

/** results/timing.json, written by `fer time`. Every ratio in it is A/B. */
export interface PairedTimingResult {
  schema: typeof PAIRED_TIMING_SCHEMA;
  createdAt: string;
  /** A and B, in that order. */
  models: [TimedModel, TimedModel];
  /**
   * FLOPs of A over B: where the kernels are compute-bound at the same efficiency, the most B
   * can be faster than A.
   */
  flopRatio: number | null;
  protocol: {
    /** Timed rounds per batch size; each round is one call of each model. */
    rounds: number;
    /** Untimed calls of each model at each batch size before its rounds. */
    warmup: number;
    batches: number[];
    /** How the calls are ordered and what is timed. */
    order: string;
    /** How the CIs are computed. */
    ci: string;
    /** Seed of the random input images. */
    seed: number;
  };
  machine: {
    /** os.cpus()[0].model */
    cpuModel: string;
    /** Cores Node may use (os.availableParallelism). */
    cores: number;
    nodeVersion: string;
    platform: string;
    /** os.loadavg() before and after: other work on the machine slows every number. */
    loadAverage: { before: number[]; after: number[] };
  };
  /** The compute-thread setting (FER_THREADS, FER_WASM_THREADS or auto; lib/backend). */
  threadSetting: { threads: number; source: string };
  tfjs: PairedFrameworkTiming;
  /** The same two architectures in PyTorch on the same machine (random weights), or why not. */
  torch: PairedFrameworkTiming | { unavailable: string };
}

export const ORDER_TEXT =
  'per batch size: warm-up calls of each model, then rounds of one call of each model on the same batch of random images (the whole batch in one call), the order alternating AB, BA, …; a call is timed from predict to the result read back';
export const CI_TEXT =
  'distribution-free 95 % CI of a median from order statistics (binomial ranks); ratios are per round, A/B';

/** The median (numpy's: the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  return quantileSorted(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
}

/**
 * The rank k of the order-statistic CI [x(k), x(n+1−k)] (1-based) for the median of n values:
 * the largest k with P(Bin(n, ½) ≤ k − 1) ≤ α/2. 0 when n is too small for any (n < 6 at α = 5 %).
 */
export function medianRank(n: number, alpha = 0.05): number {
  let k = 0;
  while (k + 1 <= Math.ceil(n / 2) && binomHalfCdf(k, n) <= alpha / 2) k++;
  return k;
}

/** Fewest rounds that give a 95 % CI of a median. */
export const MIN_ROUNDS = 6;

/** The median of `xs` with its distribution-free (1 − α) CI. */
export function medianCI(xs: readonly number[], alpha = 0.05): MedianCI {
  const n = xs.length;
  const k = medianRank(n, alpha);
  if (k === 0)
    throw new FerError(
      `a ${Math.round(100 * (1 - alpha))} % CI of a median needs more values than ${n} (at least ${MIN_ROUNDS} at 95 %)`,
    );
  const s = [...xs].sort((a, b) => a - b);
  return {
    estimate: quantileSorted(s, 0.5),
    lo: s[k - 1],
    hi: s[n - k],
    coverage: 1 - 2 * binomHalfCdf(k - 1, n),
  };
}

/** a[i] / b[i] for each round. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length)
    throw new FerError(`paired rounds differ in number: ${a.length} vs ${b.length}`);
  return a.map((x, i) => {
    if (!(b[i] > 0)) throw new FerError(`round ${i + 1}: time ${b[i]} is not positive`);
    return x / b[i];
  });
}

/** One batch size's statistics from its rounds (ms per image of A and of B). */
export function summariseBatch(
  batchSize: number,
  a: readonly number[],
  b: readonly number[],
): PairedBatchTiming {
  return {
    batchSize,
    a: medianCI(a),
    b: medianCI(b),
    ratio: medianCI(pairedRatios(a, b)),
    msPerImage: [[...a], [...b]],
  };
}

/** FLOPs of A over B, null when either is unknown. */
export function flopRatio(a: number | null, b: number | null): number | null {
  return a !== null && b !== null && b > 0 ? a / b : null;
}

/**
 * `t` when it times a CNN (A) against a CNN+LSTM (B) with these parameter counts (so the same
 * widths as the models being reported), else null.
 */
export function pairedTimingFor(
  t: PairedTimingResult | null | undefined,
  cnnParams: number,
  hybridParams: number,
): PairedTimingResult | null {
  if (!t) return null;
  const [a, b] = t.models;
  return a.architecture === 'cnn' &&
    b.architecture === 'cnn-lstm' &&
    a.params === cnnParams &&
    b.params === hybridParams
    ? t
    : null;
}

/** results/timing.json when it exists (null otherwise); another schema is a FerError. */
export function loadPairedTiming(resultsDir: string): PairedTimingResult | null {
  const file = path.join(resultsDir, PAIRED_TIMING_FILE);
  if (!fs.existsSync(file)) return null;
  const t = readJsonFile<PairedTimingResult>(file);
  if (t?.schema !== PAIRED_TIMING_SCHEMA)
    throw new FerError(
      `unknown schema '${String(t?.schema)}' (expected ${PAIRED_TIMING_SCHEMA})`,
      file,
    );
  return t;
}

/** "1.23 [1.10, 1.31]" */
export function formatMedianCI(c: ConfidenceInterval, digits = 2): string {
  return `${c.estimate.toFixed(digits)} [${c.lo.toFixed(digits)}, ${c.hi.toFixed(digits)}]`;
}

/** The result as a readable table, for `fer time`. */
export function formatPairedTiming(r: PairedTimingResult): string {
  const [a, b] = r.models;
  const mf = (m: TimedModel): string =>
    m.flopsPerImage === null
      ? 'FLOPs unknown'
      : `${(m.flopsPerImage / 1e6).toFixed(1)} M FLOPs/image`;
  const lines = [
    `A ${a.name} (${a.architecture}, ${mf(a)}) vs B ${b.name} (${b.architecture}, ${mf(b)}); FLOP ratio A/B ${r.flopRatio === null ? '—' : r.flopRatio.toFixed(2)}`,
    `${r.machine.cpuModel}, ${r.machine.cores} cores, Node ${r.machine.nodeVersion}; threads ${r.threadSetting.threads} (${r.threadSetting.source}); ${r.protocol.rounds} rounds, ${r.protocol.warmup} warm-up calls; load average ${r.machine.loadAverage.before[0].toFixed(2)} → ${r.machine.loadAverage.after[0].toFixed(2)}`,
    '',
    `${'framework'.padEnd(24)} ${'batch'.padStart(5)}  ${'A ms/image [95 % CI]'.padEnd(24)} ${'B ms/image [95 % CI]'.padEnd(24)} A/B [95 % CI]`,
  ];
  for (const t of [r.tfjs, r.torch]) {
    if ('unavailable' in t) {
      lines.push(`pytorch: ${t.unavailable}`);
      continue;
    }
    const name = `${t.framework} ${t.framework === 'tfjs' ? t.backend : t.version}, ${t.threads ?? '?'} thr`;
    for (const x of t.batches)
      lines.push(
        `${name.padEnd(24)} ${String(x.batchSize).padStart(5)}  ${formatMedianCI(x.a, 3).padEnd(24)} ${formatMedianCI(x.b, 3).padEnd(24)} ${formatMedianCI(x.ratio)}`,
      );
  }
  return lines.join('\n');
}
