/**
 * The paper's Tables 1, 3/4 and 5, the metric-definition audit, and the paired tests. The
 * `...FromPredictions` functions take labels and predictions only (cheap, testable, no tfjs);
 * `predictLevels` and `table34` are the thin wrappers that run a model. Nothing here prints.
 */
import type * as tf from '@tensorflow/tfjs';
import type { FerDataset } from '../data';
import { COMPLEX_LABELS, SIMPLE_LABELS } from '../data/classes';
import { FerError } from '../util/errors';
import { informativeBand, meanCorrectnessByLevel, pairedBandBootstrap } from './band';
import {
  bestConstantPredictor,
  constantPredictorScores,
  predictedLabelCounts,
  predictionDistribution,
} from './collapse';
import {
  argmaxRows,
  classificationReport,
  groupMetrics,
  harmonicMean,
  kerasPrecisionRecall,
  type Labels,
} from './metrics';
import type { PredictionCache } from './prediction-cache';
import { predictProba } from './predict';
import {
  bootstrapMany,
  bootstrapSettings,
  correctness,
  mcnemarExact,
  packBits,
  spread,
  take,
  type BootstrapOptions,
} from './stats';
import type {
  AuditCheck,
  Averaging,
  CompareBand,
  CompareResult,
  ConfidenceInterval,
  MetricRow,
  NoiseLevelResult,
  PairedLevelResult,
  Table1Result,
  Table1Row,
  Table34Result,
  Table5Result,
  Table5Row,
} from './types';

const NUM_CLASSES = 7;

// ---------------------------------------------------------------- Table 1

export interface Table1Options {
  /** Bootstrap settings, or false for no CIs. Default: 1000 resamples, seed 0, alpha 0.05. */
  bootstrap?: BootstrapOptions | false;
  /** Keras threshold (default 0.5). */
  threshold?: number;
}

type T1Key = `${Averaging}.${keyof MetricRow}`;

/** All four averagings' metrics on the samples `idx` (precomputed per-sample Keras counts). */
function table1Stats(
  yTrue: Labels,
  yPred: Labels,
  kerasCells: Int32Array,
  idx: Int32Array | null,
): Record<T1Key, number> {
  const t = idx ? take(yTrue, idx) : yTrue;
  const p = idx ? take(yPred, idx) : yPred;
  const r = classificationReport(t, p, { numClasses: NUM_CLASSES });
  let tp = 0,
    fp = 0,
    fn = 0;
  const n = t.length;
  for (let j = 0; j < n; j++) {
    const i = idx ? idx[j] : j;
    tp += kerasCells[3 * i];
    fp += kerasCells[3 * i + 1];
    fn += kerasCells[3 * i + 2];
  }
  const kp = tp + fp === 0 ? 0 : tp / (tp + fp);
  const kr = tp + fn === 0 ? 0 : tp / (tp + fn);
  const out = {} as Record<T1Key, number>;
  const put = (avg: Averaging, pr: number, rc: number, f1: number): void => {
    out[`${avg}.accuracy`] = r.accuracy;
    out[`${avg}.precision`] = pr;
    out[`${avg}.recall`] = rc;
    out[`${avg}.f1`] = f1;
  };
  for (const avg of ['macro', 'weighted', 'micro'] as const)
    put(avg, r[avg].precision, r[avg].recall, r[avg].f1);
  put('keras', kp, kr, harmonicMean(kp, kr));
  return out;
}

/** Per-sample Keras (tp, fp, fn) cell counts, so bootstrap resamples just sum them. */
function kerasCellCounts(yTrue: Labels, probs: ArrayLike<number>, threshold: number): Int32Array {
  const cells = new Int32Array(3 * yTrue.length);
  for (let i = 0; i < yTrue.length; i++)
    for (let c = 0; c < NUM_CLASSES; c++) {
      const pos = probs[i * NUM_CLASSES + c] > threshold; // strictly, as Keras
      if (c === yTrue[i]) cells[3 * i + (pos ? 0 : 2)]++;
      else if (pos) cells[3 * i + 1]++;
    }
  return cells;
}

/**
 * Table 1 from softmax outputs (row-major n x 7): accuracy, precision, recall and F1 under
 * macro, weighted and micro averaging (argmax predictions) and Keras's thresholded metrics,
 * each with a percentile bootstrap CI over the same resamples.
 */
export function table1FromPredictions(
  yTrue: Labels,
  probs: ArrayLike<number>,
  opts: Table1Options = {},
): Table1Result {
  const threshold = opts.threshold ?? 0.5;
  if (probs.length !== yTrue.length * NUM_CLASSES)
    throw new FerError(`probs has ${probs.length} values, expected ${yTrue.length} x 7`);
  const yPred = argmaxRows(probs, NUM_CLASSES);
  const report = classificationReport(yTrue, yPred, { numClasses: NUM_CLASSES });
  const keras = kerasPrecisionRecall(yTrue, probs, threshold, NUM_CLASSES);
  const cells = kerasCellCounts(yTrue, probs, threshold);
  const est = table1Stats(yTrue, yPred, cells, null);
  const boot = opts.bootstrap === false ? null : bootstrapSettings(opts.bootstrap);
  const cis = boot
    ? bootstrapMany(yTrue.length, (idx) => table1Stats(yTrue, yPred, cells, idx), boot)
    : null;
  const metrics = ['accuracy', 'precision', 'recall', 'f1'] as const;
  const rows: Table1Row[] = (['macro', 'weighted', 'micro', 'keras'] as const).map((avg) => {
    const ci = cis
      ? (Object.fromEntries(metrics.map((m) => [m, cis[`${avg}.${m}`]])) as Record<
          keyof MetricRow,
          ConfidenceInterval
        >)
      : null;
    return {
      averaging: avg,
      accuracy: est[`${avg}.accuracy`],
      precision: est[`${avg}.precision`],
      recall: est[`${avg}.recall`],
      f1: est[`${avg}.f1`],
      ci,
    };
  });
  return { n: yTrue.length, rows, report, keras, bootstrap: boot };
}

// ---------------------------------------------------------------- Tables 3 and 4

/** Argmax predictions of one model at one noise level and noise seed. */
export interface PredictionRun {
  level: number;
  seed: number;
  yPred: Int32Array;
}

/**
 * Tables 3 and 4 from predictions: per noise level, accuracy and macro / weighted / micro F1
 * as mean ± sample std over the noise seeds, plus how concentrated the predictions are
 * (predicted-label counts per seed, top class and its share, entropy in bits).
 */
export function table34FromPredictions(yTrue: Labels, runs: PredictionRun[]): Table34Result {
  const levels = [...new Set(runs.map((r) => r.level))].sort((a, b) => a - b);
  const out: NoiseLevelResult[] = levels.map((level) => {
    const rs = runs.filter((r) => r.level === level);
    const reps = rs.map((r) => classificationReport(yTrue, r.yPred, { numClasses: NUM_CLASSES }));
    const shares = rs.map((r) => topClass(r.yPred));
    const counts = rs.map((r) => predictedLabelCounts(r.yPred, { numClasses: NUM_CLASSES }));
    return {
      level,
      seeds: rs.map((r) => r.seed),
      accuracy: spread(reps.map((x) => x.accuracy)),
      f1: {
        macro: spread(reps.map((x) => x.macro.f1)),
        weighted: spread(reps.map((x) => x.weighted.f1)),
        micro: spread(reps.map((x) => x.micro.f1)),
      },
      topClassShare: spread(shares.map((s) => s.share)),
      topClass: shares[0].cls,
      predictedCounts: counts,
      entropyBits: spread(counts.map((c) => predictionDistribution(c).entropyBits)),
    };
  });
  return { n: yTrue.length, levels: out };
}

function topClass(yPred: Labels): { cls: number; share: number } {
  const c = new Array<number>(NUM_CLASSES).fill(0);
  for (let i = 0; i < yPred.length; i++) c[yPred[i]]++;
  const cls = c.indexOf(Math.max(...c));
  return { cls, share: yPred.length === 0 ? 0 : c[cls] / yPred.length };
}

export interface LevelOptions {
  /** Noise levels; 0 (clean) is always evaluated once. */
  levels: readonly number[];
  /** Noise seeds per level > 0 (default [0, 1, 2]). */
  seeds?: number[];
  batchSize?: number;
  /** Saves each run and reuses saved ones, so a long evaluation can resume (prediction-cache.ts). */
  cache?: PredictionCache;
  /** Called after each run (clean first), e.g. for progress lines. */
  onRun?: (r: RunProgress) => void;
}

export interface RunProgress {
  /** Runs finished so far, this one included, and runs in all. */
  done: number;
  total: number;
  level: number;
  seed: number;
  /** True when the run was read from the cache instead of computed. */
  cached: boolean;
  seconds: number;
}

/**
 * Run the model at level 0 and at every noise level with every noise seed. The clean run also
 * returns its probabilities (Table 1 needs them).
 */
export async function predictLevels(
  model: tf.LayersModel,
  ds: FerDataset,
  indices: Int32Array,
  opts: LevelOptions,
): Promise<{ cleanProbs: Float32Array; runs: PredictionRun[] }> {
  const seeds = opts.seeds ?? [0, 1, 2];
  if (seeds.length === 0) throw new FerError('need at least one noise seed');
  const noisy = opts.levels.filter((l) => l !== 0);
  const total = 1 + noisy.length * seeds.length;
  const { cache, onRun } = opts;
  if (cache && cache.n !== indices.length)
    throw new FerError(
      `the prediction cache holds runs of ${cache.n} images, not ${indices.length}`,
      cache.dir,
    );
  const outShape = model.outputs[0].shape;
  const k = outShape[outShape.length - 1] ?? 7;
  let done = 0;
  let t0 = Date.now();
  const ran = (level: number, seed: number, cached: boolean): void => {
    onRun?.({ done: ++done, total, level, seed, cached, seconds: (Date.now() - t0) / 1000 });
    t0 = Date.now();
  };
  let cleanProbs = cache?.getClean(k) ?? null;
  const cleanCached = cleanProbs !== null;
  if (!cleanProbs) {
    cleanProbs = await predictProba(model, ds, indices, { batchSize: opts.batchSize });
    cache?.putClean(cleanProbs);
  }
  ran(0, 0, cleanCached);
  const runs: PredictionRun[] = [{ level: 0, seed: 0, yPred: argmaxRows(cleanProbs, k) }];
  for (const level of noisy) {
    for (const seed of seeds) {
      let yPred = cache?.getLabels(level, seed) ?? null;
      const cached = yPred !== null;
      if (!yPred) {
        const p = await predictProba(model, ds, indices, {
          noise: level,
          seed,
          batchSize: opts.batchSize,
        });
        yPred = argmaxRows(p, k);
        cache?.putLabels(level, seed, yPred);
      }
      ran(level, seed, cached);
      runs.push({ level, seed, yPred });
    }
  }
  return { cleanProbs, runs };
}

/** Tables 3 and 4 for one model. */
export async function table34(
  model: tf.LayersModel,
  ds: FerDataset,
  indices: Int32Array,
  opts: LevelOptions,
): Promise<Table34Result> {
  const { runs } = await predictLevels(model, ds, indices, opts);
  const yTrue = Int32Array.from(indices, (i) => ds.labels[i]);
  return table34FromPredictions(yTrue, runs);
}

// ---------------------------------------------------------------- Table 5

export interface Table5Options {
  bootstrap?: BootstrapOptions | false;
}

/**
 * Table 5: the simple (happy, sad, surprise) and complex (angry, fear, disgust, neutral) groups.
 * CIs resample the group's own samples.
 */
export function table5FromPredictions(
  yTrue: Labels,
  yPred: Labels,
  opts: Table5Options = {},
): Table5Result {
  const boot = opts.bootstrap === false ? null : bootstrapSettings(opts.bootstrap);
  const groups = [
    ['simple', SIMPLE_LABELS],
    ['complex', COMPLEX_LABELS],
  ] as const;
  const rows: Table5Row[] = groups.map(([group, labels]) => {
    const metrics = groupMetrics(yTrue, yPred, labels, NUM_CLASSES);
    if (!boot || metrics.n === 0) return { group, metrics, ci: null };
    const inGroup = new Set(labels);
    const keep: number[] = [];
    for (let i = 0; i < yTrue.length; i++) if (inGroup.has(yTrue[i])) keep.push(i);
    const t = take(yTrue, Int32Array.from(keep)),
      p = take(yPred, Int32Array.from(keep));
    const ci = bootstrapMany(
      t.length,
      (idx) => {
        const g = groupMetrics(take(t, idx), take(p, idx), labels, NUM_CLASSES);
        return {
          accuracy: g.accuracy,
          f1Macro: g.macro.f1,
          f1Weighted: g.weighted.f1,
          f1Micro: g.micro.f1,
        };
      },
      boot,
    );
    return { group, metrics, ci };
  });
  return { rows, bootstrap: boot };
}

// ---------------------------------------------------------------- metric-definition audit

const HMEAN_TOLERANCE = 0.005; // the paper rounds to 2 decimals

/**
 * Which metric definition reproduces the patterns visible in the paper's tables? Every check
 * is computed from our numbers; a pattern that holds for no definition is reported as such.
 */
export function metricAudit(t1: Table1Result, t34: Table34Result, t5: Table5Result): AuditCheck[] {
  const checks: AuditCheck[] = [];
  const finish = (c: Omit<AuditCheck, 'reproducedBy'>): void => {
    checks.push({ ...c, reproducedBy: c.outcomes.filter((o) => o.holds).map((o) => o.definition) });
  };

  finish({
    id: 'table1-f1-is-hmean',
    table: 'table1',
    pattern:
      'F1 = 2PR/(P+R) of the listed precision and recall (paper: CNN 2·0.66·0.64/1.30 = 0.65, LSTM 2·0.64·0.59/1.23 = 0.61)',
    outcomes: t1.rows.map((r) => {
      const h = harmonicMean(r.precision, r.recall);
      return {
        definition: r.averaging,
        values: { precision: r.precision, recall: r.recall, f1: r.f1, hmean: h },
        holds: Math.abs(r.f1 - h) < HMEAN_TOLERANCE,
      };
    }),
    note: 'Holds by construction for keras (F1 is defined as the harmonic mean) and for micro (P = R = F1 = accuracy).',
  });

  finish({
    id: 'table1-precision-accuracy-recall-order',
    table: 'table1',
    pattern:
      'precision > accuracy > recall (paper: CNN 0.66 > 0.65 > 0.64, LSTM 0.64 > 0.63 > 0.59)',
    outcomes: t1.rows.map((r) => ({
      definition: r.averaging,
      values: { precision: r.precision, accuracy: r.accuracy, recall: r.recall },
      holds: r.precision > r.accuracy && r.accuracy > r.recall,
    })),
  });

  const noisy = t34.levels.filter((l) => l.level > 0);
  if (noisy.length > 0) {
    const top = noisy[noisy.length - 1];
    const prevalence = t1.report.perClass[top.topClass]?.support / Math.max(1, t1.report.n);
    const single = (2 * prevalence) / (1 + prevalence);
    finish({
      id: 'table4-f1-collapse-at-max-noise',
      table: 'table4',
      pattern: `at the highest noise level F1 falls far below accuracy, F1/accuracy < 0.5 (paper at 30 %: CNN 0.05/0.18 = 0.28, LSTM 0.11/0.25 = 0.44), as support-weighted F1 of a near single-class predictor gives`,
      outcomes: (['macro', 'weighted', 'micro'] as const).map((def) => {
        const acc = top.accuracy.mean,
          f1 = top.f1[def].mean;
        return {
          definition: def,
          values: { level: top.level, accuracy: acc, f1, ratio: acc === 0 ? 0 : f1 / acc },
          holds: acc > 0 && f1 / acc < 0.5,
        };
      }),
      note:
        `Our predictions at level ${top.level} put ${(100 * top.topClassShare.mean).toFixed(1)} % on class ${top.topClass}` +
        ` (test prevalence ${(100 * prevalence).toFixed(1)} %). A pure single-class predictor of that class would score` +
        ` weighted F1 ${(prevalence * single).toFixed(3)} and macro F1 ${(single / 7).toFixed(3)}` +
        ` (the paper's CNN shows 0.05); macro and weighted are told apart by the value, not by the ratio.`,
    });
  }

  const simple = t5.rows.find((r) => r.group === 'simple')?.metrics;
  const complex = t5.rows.find((r) => r.group === 'complex')?.metrics;
  if (simple && complex)
    finish({
      id: 'table5-f1-above-accuracy',
      table: 'table5',
      pattern:
        'F1 > accuracy in both groups (paper: CNN simple 0.81 > 0.74, complex 0.64 > 0.55; LSTM 0.80 > 0.72, 0.60 > 0.53)',
      outcomes: (['macro', 'weighted', 'micro'] as const).map((def) => ({
        definition: `group-${def}`,
        values: {
          simpleAccuracy: simple.accuracy,
          simpleF1: simple[def].f1,
          complexAccuracy: complex.accuracy,
          complexF1: complex[def].f1,
        },
        holds: simple[def].f1 > simple.accuracy && complex[def].f1 > complex.accuracy,
      })),
      note: 'F1 over the group labels on the group samples; predictions outside the group are false negatives only, so micro precision (and F1) can exceed accuracy.',
    });
  return checks;
}

// ---------------------------------------------------------------- paired tests

/**
 * McNemar's exact test of model A vs model B at every level, one test per noise seed, on the
 * same images with the same noise (runs are matched by level and seed).
 */
export function pairedLevels(
  yTrue: Labels,
  runsA: PredictionRun[],
  runsB: PredictionRun[],
): PairedLevelResult[] {
  const levels = [...new Set(runsA.map((r) => r.level))].sort((a, b) => a - b);
  return levels.map((level) => {
    const as = runsA.filter((r) => r.level === level);
    const tests = as.map((ra) => {
      const rb = runsB.find((r) => r.level === level && r.seed === ra.seed);
      if (!rb) throw new FerError(`model B has no run at level ${level} seed ${ra.seed}`);
      return mcnemarExact(correctness(yTrue, ra.yPred), correctness(yTrue, rb.yPred));
    });
    return {
      level,
      seeds: as.map((r) => r.seed),
      tests,
      significantSeeds: tests.filter((t) => t.pValue < 0.05).length,
    };
  });
}

// ---------------------------------------------------------------- informative band

/** Accuracy per level, mean over the noise seeds, for the runs of one model. */
function meanAccuracyByLevel(yTrue: Labels, runs: PredictionRun[], levels: number[]): number[] {
  return meanCorrectnessByLevel(yTrue, runs, levels).map((c) => {
    let s = 0;
    for (let i = 0; i < c.length; i++) s += c[i];
    return c.length === 0 ? 0 : s / c.length;
  });
}

/**
 * Claim 3 on the informative band for models A and B on the same images with the same noise:
 * acc* is the best constant predictor on `yTrue`, the band the contiguous levels from clean
 * where A or B (mean accuracy over noise seeds) beats it, and the CIs of B - A come from a
 * paired bootstrap over images of per-image correctness averaged over noise seeds.
 */
export function bandFromPredictions(
  yTrue: Labels,
  runsA: PredictionRun[],
  runsB: PredictionRun[],
  opts: { bootstrap?: BootstrapOptions } = {},
): CompareBand {
  const levels = [...new Set(runsA.map((r) => r.level))].sort((a, b) => a - b);
  const best = bestConstantPredictor(constantPredictorScores(yTrue, { numClasses: NUM_CLASSES }));
  const band = informativeBand(
    levels,
    [meanAccuracyByLevel(yTrue, runsA, levels), meanAccuracyByLevel(yTrue, runsB, levels)],
    best.accuracy,
  );
  const base = {
    threshold: best.accuracy,
    bestConstantClass: best.cls,
    levels: band.levels,
    excluded: band.excluded,
  };
  if (band.levels.length < 2) {
    const none = {
      aucDifference: null,
      meanAccuracyDifference: null,
      retentionDifference: null,
      bootstrap: null,
    };
    if (band.levels.length === 0) return { ...base, a: null, b: null, ...none };
    const accA = meanAccuracyByLevel(yTrue, runsA, band.levels)[0];
    const accB = meanAccuracyByLevel(yTrue, runsB, band.levels)[0];
    const one = (acc: number): CompareBand['a'] => ({ auc: 0, meanAccuracy: acc, retention: 1 });
    return { ...base, a: one(accA), b: one(accB), ...none };
  }
  const settings = bootstrapSettings(opts.bootstrap);
  const r = pairedBandBootstrap(
    band.levels,
    meanCorrectnessByLevel(yTrue, runsA, band.levels),
    meanCorrectnessByLevel(yTrue, runsB, band.levels),
    band.levels,
    settings,
  );
  return {
    ...base,
    a: r.a,
    b: r.b,
    aucDifference: r.aucDifference,
    meanAccuracyDifference: r.meanAccuracyDifference,
    retentionDifference: r.retentionDifference,
    bootstrap: settings,
  };
}

/** Per-image correctness of A and B at every (level, seed), packed (stats.ts `packBits`). */
export function correctnessRecord(
  yTrue: Labels,
  runsA: PredictionRun[],
  runsB: PredictionRun[],
): NonNullable<CompareResult['correctness']> {
  return {
    encoding: 'bitset-lsb-base64',
    runs: runsA.map((ra) => {
      const rb = runsB.find((r) => r.level === ra.level && r.seed === ra.seed);
      if (!rb) throw new FerError(`model B has no run at level ${ra.level} seed ${ra.seed}`);
      return {
        level: ra.level,
        seed: ra.seed,
        a: packBits(correctness(yTrue, ra.yPred)),
        b: packBits(correctness(yTrue, rb.yPred)),
      };
    }),
  };
}
