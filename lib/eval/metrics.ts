/**
 * Classification metrics following scikit-learn's definitions exactly (sklearn.metrics,
 * `zero_division=0` by default), plus the Keras thresholded precision/recall and the group
 * metrics of the paper's Table 5.
 *
 * Notation, per class k over the averaged labels L:
 *   tp_k = #{yTrue = k and yPred = k},  pred_k = #{yPred = k},  true_k = #{yTrue = k} (support).
 *   precision_k = tp_k / pred_k,  recall_k = tp_k / true_k,  F1_k = 2 tp_k / (true_k + pred_k)
 *   (each equal to `zeroDivision` when its denominator is 0).
 */
import { FerError } from '../util/errors';
import type {
  ClassificationReport,
  GroupMetrics,
  KerasMetrics,
  PRF,
  PerClassMetrics,
} from './types';

export type Labels = ArrayLike<number>;
export type AverageKind = 'macro' | 'weighted' | 'micro';

export interface MetricOptions {
  /** Classes to average over (sklearn `labels=`). Default: labels present in yTrue ∪ yPred. */
  labels?: number[];
  /** Number of classes for the confusion matrix and perClass (default 7). */
  numClasses?: number;
  /** Value for 0/0 (sklearn `zero_division`), default 0. */
  zeroDivision?: 0 | 1;
}

function checkPair(yTrue: Labels, yPred: Labels, numClasses: number): void {
  if (yTrue.length !== yPred.length)
    throw new FerError(`yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i],
      p = yPred[i];
    if (
      !Number.isInteger(t) ||
      t < 0 ||
      t >= numClasses ||
      !Number.isInteger(p) ||
      p < 0 ||
      p >= numClasses
    )
      throw new FerError(
        `label out of range 0..${numClasses - 1} at index ${i}: true ${t}, pred ${p}`,
      );
  }
}

function div(num: number, den: number, zeroDivision: number): number {
  return den === 0 ? zeroDivision : num / den;
}

/**
 * Confusion matrix C with C[i][j] = #{yTrue = labels[i] and yPred = labels[j]}
 * (sklearn `confusion_matrix`; samples whose true or predicted label is not in `labels` are
 * dropped). Default labels: 0..numClasses-1.
 */
export function confusionMatrix(
  yTrue: Labels,
  yPred: Labels,
  opts: { labels?: number[]; numClasses?: number } = {},
): number[][] {
  const k = opts.numClasses ?? 7;
  checkPair(yTrue, yPred, k);
  const labels = opts.labels ?? Array.from({ length: k }, (_, i) => i);
  const pos = new Map(labels.map((l, i) => [l, i]));
  const m = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const a = pos.get(yTrue[i]),
      b = pos.get(yPred[i]);
    if (a !== undefined && b !== undefined) m[a][b]++;
  }
  return m;
}

/** accuracy = (1/n) Σ_i [yTrue_i = yPred_i]  (sklearn `accuracy_score`; 0 for n = 0). */
export function accuracyScore(yTrue: Labels, yPred: Labels): number {
  if (yTrue.length !== yPred.length)
    throw new FerError(`yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  let c = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) c++;
  return yTrue.length === 0 ? 0 : c / yTrue.length;
}

interface Counts {
  labels: number[];
  tp: number[];
  pred: number[];
  true: number[];
  confusion: number[][];
}

function counts(yTrue: Labels, yPred: Labels, opts: MetricOptions): Counts {
  const k = opts.numClasses ?? 7;
  checkPair(yTrue, yPred, k);
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) confusion[yTrue[i]][yPred[i]]++;
  let labels = opts.labels;
  if (labels === undefined) {
    // sklearn's unique_labels(y_true, y_pred): the sorted classes that occur in either.
    labels = [];
    for (let c = 0; c < k; c++) {
      let seen = false;
      for (let j = 0; j < k && !seen; j++) seen = confusion[c][j] > 0 || confusion[j][c] > 0;
      if (seen) labels.push(c);
    }
  } else {
    for (const l of labels)
      if (!Number.isInteger(l) || l < 0 || l >= k)
        throw new FerError(`labels: ${l} is not a class in 0..${k - 1}`);
    if (new Set(labels).size !== labels.length) throw new FerError('labels: duplicate label');
  }
  const tp = labels.map((c) => confusion[c][c]);
  const pred = labels.map((c) => confusion.reduce((s, row) => s + row[c], 0));
  const tru = labels.map((c) => confusion[c].reduce((s, v) => s + v, 0));
  return { labels, tp, pred, true: tru, confusion };
}

function prfOf(tp: number, pred: number, tru: number, zd: number): PRF {
  return {
    precision: div(tp, pred, zd),
    recall: div(tp, tru, zd),
    // sklearn >= 1.3 computes F from counts, so it is zero_division only when tp+fp+fn = 0.
    f1: div(2 * tp, tru + pred, zd),
  };
}

function average(c: Counts, kind: AverageKind, zd: number): PRF {
  const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);
  if (kind === 'micro') return prfOf(sum(c.tp), sum(c.pred), sum(c.true), zd);
  const per = c.labels.map((_, i) => prfOf(c.tp[i], c.pred[i], c.true[i], zd));
  if (per.length === 0) return { precision: zd, recall: zd, f1: zd };
  if (kind === 'macro') {
    const m = (f: (p: PRF) => number): number => sum(per.map(f)) / per.length;
    return { precision: m((p) => p.precision), recall: m((p) => p.recall), f1: m((p) => p.f1) };
  }
  const w = sum(c.true);
  if (w === 0) {
    // sklearn: no positive labels at all; recall is zero_division, P and F are too only when
    // nothing was predicted either.
    const none = sum(c.pred) === 0;
    return { precision: none ? zd : 0, recall: zd, f1: none ? zd : 0 };
  }
  const m = (f: (p: PRF) => number): number => per.reduce((s, p, i) => s + f(p) * c.true[i], 0) / w;
  return { precision: m((p) => p.precision), recall: m((p) => p.recall), f1: m((p) => p.f1) };
}

/**
 * sklearn's `precision_recall_fscore_support` + `accuracy_score` + `confusion_matrix` in one
 * call. Averages (over `labels`, default the labels seen in yTrue ∪ yPred, as sklearn):
 *   macro    = (1/|L|) Σ_k m_k
 *   weighted = Σ_k true_k m_k / Σ_k true_k
 *   micro    = m computed from Σ_k tp_k, Σ_k pred_k, Σ_k true_k
 * With a `labels` subset, micro precision counts predictions of classes in L only, and micro
 * recall true samples of classes in L only, exactly as sklearn.
 */
export function classificationReport(
  yTrue: Labels,
  yPred: Labels,
  opts: MetricOptions = {},
): ClassificationReport {
  const k = opts.numClasses ?? 7;
  const zd = opts.zeroDivision ?? 0;
  const c = counts(yTrue, yPred, opts);
  const perClass: PerClassMetrics[] = [];
  for (let cls = 0; cls < k; cls++) {
    const tp = c.confusion[cls][cls];
    const pred = c.confusion.reduce((s, row) => s + row[cls], 0);
    const tru = c.confusion[cls].reduce((s, v) => s + v, 0);
    perClass.push({ ...prfOf(tp, pred, tru, zd), support: tru });
  }
  return {
    n: yTrue.length,
    accuracy: accuracyScore(yTrue, yPred),
    labels: c.labels,
    macro: average(c, 'macro', zd),
    weighted: average(c, 'weighted', zd),
    micro: average(c, 'micro', zd),
    perClass,
    confusion: c.confusion,
  };
}

/** precision = tp / (tp + fp), averaged as `average` (sklearn `precision_score`). */
export function precisionScore(
  yTrue: Labels,
  yPred: Labels,
  opts: MetricOptions & { average: AverageKind },
): number {
  return average(counts(yTrue, yPred, opts), opts.average, opts.zeroDivision ?? 0).precision;
}

/** recall = tp / (tp + fn), averaged as `average` (sklearn `recall_score`). */
export function recallScore(
  yTrue: Labels,
  yPred: Labels,
  opts: MetricOptions & { average: AverageKind },
): number {
  return average(counts(yTrue, yPred, opts), opts.average, opts.zeroDivision ?? 0).recall;
}

/**
 * F1 = 2 tp / (2 tp + fp + fn) per class, averaged as `average` (sklearn `f1_score`). Note that
 * macro F1 is the mean of per-class F1, NOT the harmonic mean of macro precision and recall.
 */
export function f1Score(
  yTrue: Labels,
  yPred: Labels,
  opts: MetricOptions & { average: AverageKind },
): number {
  return average(counts(yTrue, yPred, opts), opts.average, opts.zeroDivision ?? 0).f1;
}

/** Harmonic mean 2pr / (p + r), 0 when p + r = 0 (what Keras-era code calls F1). */
export function harmonicMean(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

/**
 * Keras `tf.keras.metrics.Precision()` / `Recall()` with their default threshold 0.5 on softmax
 * outputs against one-hot targets: every (sample, class) cell is one binary decision,
 * positive when prob > threshold (strictly, as Keras), pooled over all cells:
 *   precision = TP / (TP + FP),  recall = TP / (TP + FN)  (0 when the denominator is 0),
 *   F1 = harmonic mean of the two.
 * With softmax at most one class can exceed 0.5, so low-confidence samples count as FN only;
 * this is why Keras precision sits above accuracy and recall below it.
 * @param probs row-major n x numClasses probabilities.
 */
export function kerasPrecisionRecall(
  yTrue: Labels,
  probs: ArrayLike<number>,
  threshold = 0.5,
  numClasses = 7,
): KerasMetrics {
  const n = yTrue.length;
  if (probs.length !== n * numClasses)
    throw new FerError(`probs has ${probs.length} values, expected ${n} x ${numClasses}`);
  let tp = 0,
    fp = 0,
    fn = 0;
  for (let i = 0; i < n; i++) {
    const t = yTrue[i];
    if (!Number.isInteger(t) || t < 0 || t >= numClasses)
      throw new FerError(`label out of range 0..${numClasses - 1} at index ${i}: ${t}`);
    for (let c = 0; c < numClasses; c++) {
      const pos = probs[i * numClasses + c] > threshold;
      if (c === t) {
        if (pos) tp++;
        else fn++;
      } else if (pos) fp++;
    }
  }
  const precision = div(tp, tp + fp, 0),
    recall = div(tp, tp + fn, 0);
  return { precision, recall, f1: harmonicMean(precision, recall), threshold, tp, fp, fn };
}

/**
 * Metrics within an emotion group (the paper's Table 5): keep the samples whose TRUE label is in
 * `groupLabels`, then accuracy on them, and P/R/F1 averaged over the group's own labels only
 * (sklearn `labels=groupLabels` on the kept samples). A prediction outside the group is a false
 * negative for its true class and a false positive for no group class.
 */
export function groupMetrics(
  yTrue: Labels,
  yPred: Labels,
  groupLabels: readonly number[],
  numClasses = 7,
): GroupMetrics {
  checkPair(yTrue, yPred, numClasses);
  const inGroup = new Set(groupLabels);
  const t: number[] = [],
    p: number[] = [];
  for (let i = 0; i < yTrue.length; i++)
    if (inGroup.has(yTrue[i])) {
      t.push(yTrue[i]);
      p.push(yPred[i]);
    }
  const r = classificationReport(t, p, { labels: [...groupLabels], numClasses });
  return {
    labels: [...groupLabels],
    n: t.length,
    accuracy: r.accuracy,
    macro: r.macro,
    weighted: r.weighted,
    micro: r.micro,
  };
}

/** Index of the largest value in each row of a row-major n x k matrix (first one on ties). */
export function argmaxRows(probs: ArrayLike<number>, k = 7): Int32Array {
  if (probs.length % k !== 0)
    throw new FerError(`${probs.length} values is not a multiple of ${k}`);
  const n = probs.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}
