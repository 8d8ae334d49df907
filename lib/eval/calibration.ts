/**
 * Calibration of softmax outputs: how far a model's confidence is from its accuracy.
 *
 * Notation: n images, K classes, p_ik the predicted probability of class k for image i,
 * y_i the true class, ŷ_i = argmax_k p_ik, conf_i = max_k p_ik.
 *
 * Reliability bins (Guo et al., 2017): M equal-width bins, bin m = ((m-1)/M, m/M] (conf = 0 goes
 * to the first bin). Per bin B_m: acc(B_m) = (1/|B_m|) Σ [ŷ_i = y_i], conf(B_m) = mean conf_i.
 *   ECE = Σ_m (|B_m| / n) |acc(B_m) - conf(B_m)|
 */
import { FerError } from '../util/errors';
import type { Labels } from './metrics';

export interface ReliabilityBin {
  /** Bin edges: confidences in (lo, hi]. */
  lo: number;
  hi: number;
  /** Images whose confidence falls in the bin. */
  count: number;
  /** Mean confidence in the bin (null when empty). */
  confidence: number | null;
  /** Accuracy in the bin (null when empty). */
  accuracy: number | null;
}

export interface CalibrationSummary {
  n: number;
  nll: number;
  ece: number;
  /** Mean confidence minus accuracy over all images (> 0: overconfident). */
  overconfidence: number;
  bins: ReliabilityBin[];
}

function check(yTrue: Labels, probs: ArrayLike<number>, k: number): void {
  if (probs.length !== yTrue.length * k)
    throw new FerError(`probs has ${probs.length} values, expected ${yTrue.length} x ${k}`);
  if (yTrue.length === 0) throw new FerError('calibration of an empty sample');
  for (let i = 0; i < yTrue.length; i++)
    if (!Number.isInteger(yTrue[i]) || yTrue[i] < 0 || yTrue[i] >= k)
      throw new FerError(`label out of range 0..${k - 1} at index ${i}: ${yTrue[i]}`);
}

/**
 * Mean negative log-likelihood (sklearn `log_loss` on probabilities that sum to 1):
 *   NLL = -(1/n) Σ_i ln max(p_{i,y_i}, eps)   (eps default 1e-15 keeps a zero finite).
 */
export function negativeLogLikelihood(
  yTrue: Labels,
  probs: ArrayLike<number>,
  opts: { numClasses?: number; eps?: number } = {},
): number {
  const k = opts.numClasses ?? 7;
  const eps = opts.eps ?? 1e-15;
  check(yTrue, probs, k);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s -= Math.log(Math.max(probs[i * k + yTrue[i]], eps));
  return s / yTrue.length;
}

/** Reliability-diagram bins (confidence, accuracy, count) over `bins` equal-width bins. */
export function reliabilityBins(
  yTrue: Labels,
  probs: ArrayLike<number>,
  opts: { numClasses?: number; bins?: number } = {},
): ReliabilityBin[] {
  const k = opts.numClasses ?? 7;
  const m = opts.bins ?? 15;
  if (!(Number.isInteger(m) && m >= 1))
    throw new FerError(`bins must be a positive integer, got ${m}`);
  check(yTrue, probs, k);
  const count = new Array<number>(m).fill(0);
  const confSum = new Array<number>(m).fill(0);
  const right = new Array<number>(m).fill(0);
  for (let i = 0; i < yTrue.length; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
    const conf = probs[i * k + best];
    // Bin m covers ((m-1)/M, m/M]: ceil(conf M) - 1, clamped for conf = 0 and rounding above 1.
    const b = Math.min(m - 1, Math.max(0, Math.ceil(conf * m) - 1));
    count[b]++;
    confSum[b] += conf;
    if (best === yTrue[i]) right[b]++;
  }
  return count.map((c, b) => ({
    lo: b / m,
    hi: (b + 1) / m,
    count: c,
    confidence: c === 0 ? null : confSum[b] / c,
    accuracy: c === 0 ? null : right[b] / c,
  }));
}

/** ECE = Σ_m (|B_m| / n) |acc(B_m) - conf(B_m)| over the given reliability bins. */
export function expectedCalibrationErrorFromBins(bins: readonly ReliabilityBin[]): number {
  const n = bins.reduce((s, b) => s + b.count, 0);
  if (n === 0) throw new FerError('ECE of no images');
  let e = 0;
  for (const b of bins)
    if (b.count > 0)
      e += (b.count / n) * Math.abs((b.accuracy as number) - (b.confidence as number));
  return e;
}

/** ECE with `bins` (default 15) equal-width confidence bins; see the module comment. */
export function expectedCalibrationError(
  yTrue: Labels,
  probs: ArrayLike<number>,
  opts: { numClasses?: number; bins?: number } = {},
): number {
  return expectedCalibrationErrorFromBins(reliabilityBins(yTrue, probs, opts));
}

/** NLL, ECE, overall overconfidence and the reliability bins in one pass over the inputs. */
export function calibrationSummary(
  yTrue: Labels,
  probs: ArrayLike<number>,
  opts: { numClasses?: number; bins?: number } = {},
): CalibrationSummary {
  const bins = reliabilityBins(yTrue, probs, opts);
  const n = yTrue.length;
  const conf = bins.reduce((s, b) => s + (b.confidence ?? 0) * b.count, 0) / n;
  const acc = bins.reduce((s, b) => s + (b.accuracy ?? 0) * b.count, 0) / n;
  return {
    n,
    nll: negativeLogLikelihood(yTrue, probs, opts),
    ece: expectedCalibrationErrorFromBins(bins),
    overconfidence: conf - acc,
    bins,
  };
}
