/**
 * The robustness suite: every model on every corruption family and severity of
 * lib/robustness/corruptions, scored as ImageNet-C scores models (Hendrycks & Dietterich, 2019).
 *
 *   E(f, s)            top-1 error on family f at severity s
 *   CE_f               = sum_s E(f, s) / sum_s E_ref(f, s)            (ref = the paper's CNN)
 *   mCE                = mean_f CE_f
 *   relative CE_f      = sum_s (E(f, s) - E_clean) / sum_s (E_ref(f, s) - E_ref,clean)
 *   relative robustness(f, s) = accuracy(f, s) / clean accuracy
 *
 * CE below 1 means fewer errors than the CNN under that corruption; relative CE below 1 means
 * the model *loses* less than the CNN does, whatever its clean accuracy. The second is what the
 * paper's claim ("degrades more gracefully") is about.
 */
import type * as tf from '@tensorflow/tfjs';
import { CORRUPTIONS, CORRUPTION_SPECS, SEVERITIES, corrupt } from './corruptions';
import type { CorruptionName, Severity } from './corruptions';
import { gatherPixels, type FerDataset } from '../data/dataset';
import { argmaxRows, classificationReport } from '../eval/metrics';
import { predictProba } from '../eval/predict';
import { binomHalfCdf, correctness, mcnemarExact } from '../eval/stats';
import type { McNemarResult } from '../eval/types';
import { FerError } from '../util/errors';

/** Softmax probabilities (n x 7) of some model on rows `indices` of `ds`. */
export type Predictor = (ds: FerDataset, indices: Int32Array) => Promise<Float32Array>;

export function modelPredictor(model: tf.LayersModel, batchSize = 256): Predictor {
  return (ds, indices) => predictProba(model, ds, indices, { batchSize });
}

/**
 * A dataset holding only `rows` of `ds`, corrupted, as rows 0..n-1. Corrupting a copy keeps the
 * shared dataset untouched and lets predictProba run unchanged.
 */
export function corruptedView(
  ds: FerDataset,
  rows: Int32Array,
  family: CorruptionName,
  severity: Severity,
  seed: number,
): FerDataset {
  const clean = gatherPixels(ds, rows);
  return {
    n: rows.length,
    pixels: corrupt(clean, family, severity, { seed, ids: rows }),
    labels: Uint8Array.from(rows, (r) => ds.labels[r]),
    usage: Uint8Array.from(rows, (r) => ds.usage[r]),
    sha256: ds.sha256,
    source: `${ds.source} [${family} s${severity}]`,
  };
}

export interface RobustnessCell {
  family: CorruptionName;
  severity: Severity;
  accuracy: number;
  weightedF1: number;
  /** accuracy / clean accuracy. */
  relativeRobustness: number;
}

export interface RobustnessRun {
  /** Test rows, in the order of every prediction array below. */
  rows: number[];
  seed: number;
  clean: { accuracy: number; weightedF1: number };
  cells: RobustnessCell[];
  /** Predicted class per test row: clean, then per `${family}/${severity}`. */
  predictions: Record<string, number[]>;
}

export interface RobustnessOptions {
  families?: readonly CorruptionName[];
  severities?: readonly Severity[];
  seed?: number;
  /** Called after each cell, for progress output. */
  onCell?: (done: number, total: number, cell: RobustnessCell) => void;
}

/** Evaluate one model on the clean test rows and on every (family, severity) cell. */
export async function runRobustness(
  predict: Predictor,
  ds: FerDataset,
  rows: Int32Array,
  opts: RobustnessOptions = {},
): Promise<RobustnessRun> {
  const families = opts.families ?? CORRUPTIONS;
  const severities = opts.severities ?? SEVERITIES;
  const seed = opts.seed ?? 0;
  for (const f of families)
    if (!CORRUPTION_SPECS[f]) throw new FerError(`unknown corruption family '${f}'`);
  const yTrue = Uint8Array.from(rows, (r) => ds.labels[r]);
  const score = (pred: Int32Array): { accuracy: number; weightedF1: number } => {
    const rep = classificationReport(yTrue, pred, { labels: [0, 1, 2, 3, 4, 5, 6] });
    return { accuracy: rep.accuracy, weightedF1: rep.weighted.f1 };
  };
  const cleanPred = argmaxRows(await predict(ds, rows));
  const clean = score(cleanPred);
  const predictions: Record<string, number[]> = { clean: Array.from(cleanPred) };
  const cells: RobustnessCell[] = [];
  const total = families.length * severities.length;
  for (const family of families)
    for (const severity of severities) {
      const view = corruptedView(ds, rows, family, severity, seed);
      const pred = argmaxRows(
        await predict(
          view,
          Int32Array.from({ length: rows.length }, (_, i) => i),
        ),
      );
      const s = score(pred);
      const cell = {
        family,
        severity,
        ...s,
        relativeRobustness: clean.accuracy > 0 ? s.accuracy / clean.accuracy : 0,
      };
      cells.push(cell);
      predictions[`${family}/${severity}`] = Array.from(pred);
      opts.onCell?.(cells.length, total, cell);
    }
  return { rows: Array.from(rows), seed, clean, cells, predictions };
}

export interface FamilyScore {
  family: CorruptionName;
  /** Mean accuracy over severities. */
  meanAccuracy: number;
  /** CE_f against the reference model (1 for the reference itself). */
  ce: number;
  /** Relative CE_f against the reference model. */
  relativeCe: number;
}

/** CE and relative CE per family, and their means (mCE, relative mCE), against `ref`. */
export function corruptionErrors(
  run: RobustnessRun,
  ref: RobustnessRun,
): { families: FamilyScore[]; mCE: number; relativeMCE: number } {
  const byFamily = (r: RobustnessRun): Map<CorruptionName, RobustnessCell[]> => {
    const m = new Map<CorruptionName, RobustnessCell[]>();
    for (const c of r.cells) m.set(c.family, [...(m.get(c.family) ?? []), c]);
    return m;
  };
  const a = byFamily(run);
  const b = byFamily(ref);
  const families: FamilyScore[] = [];
  for (const [family, cells] of a) {
    const refCells = b.get(family);
    if (!refCells || refCells.length !== cells.length)
      throw new FerError(`reference run lacks the severities of '${family}' that this run has`);
    const err = cells.reduce((s, c) => s + (1 - c.accuracy), 0);
    const refErr = refCells.reduce((s, c) => s + (1 - c.accuracy), 0);
    const relErr = cells.reduce((s, c) => s + (run.clean.accuracy - c.accuracy), 0);
    const refRelErr = refCells.reduce((s, c) => s + (ref.clean.accuracy - c.accuracy), 0);
    families.push({
      family,
      meanAccuracy: cells.reduce((s, c) => s + c.accuracy, 0) / cells.length,
      ce: refErr > 0 ? err / refErr : NaN,
      relativeCe: refRelErr !== 0 ? relErr / refRelErr : NaN,
    });
  }
  const mean = (xs: number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;
  return {
    families,
    mCE: mean(families.map((f) => f.ce)),
    relativeMCE: mean(families.map((f) => f.relativeCe)),
  };
}

export interface FamilyPairedTest {
  family: CorruptionName;
  /** McNemar A vs B at each severity. */
  perSeverity: (McNemarResult & { severity: Severity })[];
  /**
   * Over all severities at once: per image, the number of severities each model gets right;
   * an exact two-sided sign test on the images where the counts differ (McNemar is the special
   * case of one severity). Pooling severities by image keeps the pairs independent.
   */
  signTest: { aBetter: number; bBetter: number; pValue: number };
}

/** Paired tests of model A against model B, per family, on the same images and corruptions. */
export function pairedFamilyTests(
  a: RobustnessRun,
  b: RobustnessRun,
  yTrue: ArrayLike<number>,
): FamilyPairedTest[] {
  if (
    a.rows.length !== b.rows.length ||
    a.rows.some((r, i) => r !== b.rows[i]) ||
    a.seed !== b.seed
  )
    throw new FerError(
      'paired tests need both runs on the same rows with the same corruption seed',
    );
  const families = [...new Set(a.cells.map((c) => c.family))];
  return families.map((family) => {
    const sevs = a.cells.filter((c) => c.family === family).map((c) => c.severity);
    const countA = new Int32Array(yTrue.length);
    const countB = new Int32Array(yTrue.length);
    const perSeverity = sevs.map((severity) => {
      const key = `${family}/${severity}`;
      if (!b.predictions[key]) throw new FerError(`run B has no predictions for ${key}`);
      const ca = correctness(yTrue, a.predictions[key]);
      const cb = correctness(yTrue, b.predictions[key]);
      ca.forEach((v, i) => (countA[i] += v));
      cb.forEach((v, i) => (countB[i] += v));
      return { severity, ...mcnemarExact(ca, cb) };
    });
    let aBetter = 0;
    let bBetter = 0;
    for (let i = 0; i < countA.length; i++) {
      if (countA[i] > countB[i]) aBetter++;
      else if (countB[i] > countA[i]) bBetter++;
    }
    const d = aBetter + bBetter;
    const pValue = d === 0 ? 1 : Math.min(1, 2 * binomHalfCdf(Math.min(aBetter, bBetter), d));
    return { family, perSeverity, signTest: { aBetter, bBetter, pValue } };
  });
}

export interface FamilyMean {
  family: CorruptionName;
  /** Means over the family's severities. */
  accuracy: number;
  weightedF1: number;
  relativeRobustness: number;
}

/** Per family, the mean over its severities (the summary that needs no reference model). */
export function familyMeans(run: Pick<RobustnessRun, 'cells'>): FamilyMean[] {
  const families = [...new Set(run.cells.map((c) => c.family))];
  return families.map((family) => {
    const cs = run.cells.filter((c) => c.family === family);
    const mean = (f: (c: RobustnessCell) => number): number =>
      cs.reduce((s, c) => s + f(c), 0) / cs.length;
    return {
      family,
      accuracy: mean((c) => c.accuracy),
      weightedF1: mean((c) => c.weightedF1),
      relativeRobustness: mean((c) => c.relativeRobustness),
    };
  });
}
