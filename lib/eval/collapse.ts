/**
 * Collapse analysis: how concentrated a model's predictions are, and what a model that always
 * answers one class would score on the same test set.
 *
 * Notation: n test images, K classes, n_k = #{yTrue = k} (support), p_k = n_k / n (prevalence),
 * c_k = #{yPred = k} (predicted-label counts), q_k = c_k / n.
 *
 * A constant predictor "always k" scores, with every class present in yTrue (sklearn averages
 * over the labels seen in yTrue ∪ yPred, L of them):
 *   accuracy    = p_k
 *   F1_k        = 2 n_k / (n_k + n) = 2 p_k / (1 + p_k),   F1_j = 0 for j ≠ k
 *   weighted F1 = p_k · 2 p_k / (1 + p_k)
 *   macro F1    = (2 p_k / (1 + p_k)) / L
 */
import { entropyBits } from '../util/entropy';
import { FerError } from '../util/errors';
import { classificationReport, type Labels } from './metrics';

// Lives in lib/util so that the training loop (below eval) can use it too.
export { entropyBits };

export interface PredictionDistribution {
  /** c_k: how many images were predicted as class k, k = 0..K-1. */
  counts: number[];
  /** argmax_k c_k (the lowest class on ties). */
  topClass: number;
  /** q_top = c_top / n (1 = a constant predictor). */
  topShare: number;
  /** H = -Σ_k q_k log2 q_k in bits (0 log 0 = 0): 0 for a constant predictor, log2 K at most. */
  entropyBits: number;
}

export interface ConstantPredictorScore {
  /** The class always answered. */
  cls: number;
  accuracy: number;
  weightedF1: number;
  macroF1: number;
}

export interface NearestConstant {
  /** The constant predictor closest to the cell. */
  cls: number;
  /** Euclidean distance in the (accuracy, F1) plane. */
  distance: number;
  /** cell - constant, per coordinate. */
  dAccuracy: number;
  dF1: number;
}

/** c_k = #{yPred = k} for k = 0..numClasses-1. */
export function predictedLabelCounts(yPred: Labels, opts: { numClasses?: number } = {}): number[] {
  const k = opts.numClasses ?? 7;
  const c = new Array<number>(k).fill(0);
  for (let i = 0; i < yPred.length; i++) {
    const p = yPred[i];
    if (!Number.isInteger(p) || p < 0 || p >= k)
      throw new FerError(`predicted label out of range 0..${k - 1} at index ${i}: ${p}`);
    c[p]++;
  }
  return c;
}

/** Most-predicted class, its share and the entropy of predicted-label counts. */
export function predictionDistribution(counts: readonly number[]): PredictionDistribution {
  const n = counts.reduce((s, v) => s + v, 0);
  if (n <= 0) throw new FerError('prediction distribution of no predictions');
  let top = 0;
  for (let k = 1; k < counts.length; k++) if (counts[k] > counts[top]) top = k;
  return {
    counts: [...counts],
    topClass: top,
    topShare: counts[top] / n,
    entropyBits: entropyBits(counts),
  };
}

/**
 * Scores of "always class k" for every k on the labels yTrue, computed by running the metrics
 * on the constant prediction vector (sklearn's definitions, labels seen in yTrue ∪ yPred).
 */
export function constantPredictorScores(
  yTrue: Labels,
  opts: { numClasses?: number } = {},
): ConstantPredictorScore[] {
  const k = opts.numClasses ?? 7;
  if (yTrue.length === 0) throw new FerError('constant predictors on an empty label vector');
  return Array.from({ length: k }, (_, cls) => {
    const r = classificationReport(yTrue, new Int32Array(yTrue.length).fill(cls), {
      numClasses: k,
    });
    return { cls, accuracy: r.accuracy, weightedF1: r.weighted.f1, macroF1: r.macro.f1 };
  });
}

/**
 * The same scores from the class supports n_k alone (what an eval.json records), by the closed
 * forms in the module comment; L counts the classes with n_k > 0, plus k itself when n_k = 0.
 */
export function constantPredictorScoresFromSupport(
  support: readonly number[],
): ConstantPredictorScore[] {
  const n = support.reduce((s, v) => s + v, 0);
  if (!(n > 0)) throw new FerError('constant predictors on an empty test set');
  const present = support.filter((v) => v > 0).length;
  return support.map((nk, cls) => {
    const p = nk / n;
    const f1k = (2 * p) / (1 + p);
    const labels = nk > 0 ? present : present + 1;
    return { cls, accuracy: p, weightedF1: p * f1k, macroF1: f1k / labels };
  });
}

/** The constant predictor with the highest accuracy (the majority class). */
export function bestConstantPredictor(
  scores: readonly ConstantPredictorScore[],
): ConstantPredictorScore {
  if (scores.length === 0) throw new FerError('no constant predictors');
  return scores.reduce((best, s) => (s.accuracy > best.accuracy ? s : best));
}

/**
 * The constant predictor nearest to a published (accuracy, F1) cell:
 *   argmin_k sqrt((acc - p_k)² + (F1 - F1const_k)²),
 * with F1 the weighted (default) or macro F1 of the constant predictor.
 */
export function nearestConstantPredictor(
  cell: { accuracy: number; f1: number },
  scores: readonly ConstantPredictorScore[],
  opts: { f1?: 'weighted' | 'macro' } = {},
): NearestConstant {
  if (scores.length === 0) throw new FerError('no constant predictors');
  const f1Of = (s: ConstantPredictorScore): number =>
    opts.f1 === 'macro' ? s.macroF1 : s.weightedF1;
  let best: NearestConstant | null = null;
  for (const s of scores) {
    const dAccuracy = cell.accuracy - s.accuracy;
    const dF1 = cell.f1 - f1Of(s);
    const distance = Math.hypot(dAccuracy, dF1);
    if (!best || distance < best.distance) best = { cls: s.cls, distance, dAccuracy, dF1 };
  }
  return best as NearestConstant;
}
