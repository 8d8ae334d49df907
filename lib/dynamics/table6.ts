/**
 * Table 6 (new, not in the paper): accuracy and weighted F1 of every model on the two
 * dynamics tasks, clean and noisy, with paired percentile-bootstrap 95 % CIs and McNemar's
 * exact test of the sequence model against its per-frame baseline. Everything here is a pure
 * function of (true labels, predicted labels), so it is tested on known predictions.
 */
import { accuracyScore, f1Score } from '../eval/metrics';
import {
  bootstrapMany,
  correctness,
  mcnemarExact,
  take,
  type BootstrapOptions,
} from '../eval/stats';
import type { ConfidenceInterval, McNemarResult } from '../eval/types';
import { FerError } from '../util/errors';

export const DYNAMICS_TASKS = ['current', 'next'] as const;
/** `current` = task (a), classify the last shown frame; `next` = task (b), the state after it. */
export type DynamicsTask = (typeof DYNAMICS_TASKS)[number];

/** The models of Table 6 (the oracle answers task `next` only). */
export const DYNAMICS_MODELS = [
  'per-frame CNN',
  'HMM filter',
  'CNN+LSTM',
  'Markov oracle',
] as const;
export type DynamicsModel = (typeof DYNAMICS_MODELS)[number];

export interface Table6Row {
  condition: string;
  /** Gaussian noise σ of every frame (0 = clean). */
  noise: number;
  task: DynamicsTask;
  model: DynamicsModel;
  /** What the model predicts for this task, in words. */
  predicts: string;
  n: number;
  accuracy: ConfidenceInterval;
  weightedF1: ConfidenceInterval;
}

export interface Table6Comparison {
  condition: string;
  noise: number;
  task: DynamicsTask;
  /** Model A and its baseline B; b/c count samples only A / only B got right. */
  a: DynamicsModel;
  b: DynamicsModel;
  /** accuracy(A) - accuracy(B) with its paired bootstrap 95 % CI. */
  accuracyDiff: ConfidenceInterval;
  mcnemar: McNemarResult;
  /** `helps` / `hurts` when McNemar's p < 0.05, else `no significant difference`. */
  verdict: 'helps' | 'hurts' | 'no significant difference';
}

const PREDICTS: Record<DynamicsTask, Record<DynamicsModel, string>> = {
  current: {
    'per-frame CNN': 'argmax of its softmax on the last frame alone',
    'HMM filter': 'argmax of the forward-filtered posterior of the last frame',
    'CNN+LSTM': 'argmax of the `current` head at the last step',
    'Markov oracle': '(not defined for this task)',
  },
  next: {
    'per-frame CNN': 'persistence: its prediction on the last frame',
    'HMM filter': 'argmax of (filtered posterior of the last frame) x P',
    'CNN+LSTM': 'argmax of the `next` head at the last step',
    'Markov oracle': 'argmax_j P[true last state][j] (knows the true state: the ceiling)',
  },
};

/** Weighted F1 (sklearn `f1_score(average='weighted')`). */
function weightedF1(y: ArrayLike<number>, p: ArrayLike<number>): number {
  return f1Score(y, p, { average: 'weighted' });
}

/**
 * One row per model in `preds` for one task and condition: accuracy and weighted F1 with
 * percentile-bootstrap CIs. All models share the resamples (same seed), so rows are paired.
 */
export function table6Rows(
  yTrue: Int32Array,
  preds: Partial<Record<DynamicsModel, Int32Array>>,
  where: { condition: string; noise: number; task: DynamicsTask },
  boot: BootstrapOptions = {},
): Table6Row[] {
  const rows: Table6Row[] = [];
  for (const model of DYNAMICS_MODELS) {
    const p = preds[model];
    if (!p) continue;
    if (p.length !== yTrue.length)
      throw new FerError(`${model}: ${p.length} predictions for ${yTrue.length} sequences`);
    const ci = bootstrapMany(
      yTrue.length,
      (idx) => {
        const y = take(yTrue, idx);
        const q = take(p, idx);
        return { accuracy: accuracyScore(y, q), weightedF1: weightedF1(y, q) };
      },
      boot,
    );
    rows.push({
      ...where,
      model,
      predicts: PREDICTS[where.task][model],
      n: yTrue.length,
      accuracy: ci.accuracy,
      weightedF1: ci.weightedF1,
    });
  }
  return rows;
}

/** Model A against baseline B on the same sequences: paired accuracy difference and McNemar. */
export function compareModels(
  yTrue: Int32Array,
  a: { model: DynamicsModel; pred: Int32Array },
  b: { model: DynamicsModel; pred: Int32Array },
  where: { condition: string; noise: number; task: DynamicsTask },
  boot: BootstrapOptions = {},
): Table6Comparison {
  const ca = correctness(yTrue, a.pred);
  const cb = correctness(yTrue, b.pred);
  const diff = bootstrapMany(
    yTrue.length,
    (idx) => {
      let s = 0;
      for (const i of idx) s += ca[i] - cb[i];
      return { d: s / idx.length };
    },
    boot,
  ).d;
  const mcnemar = mcnemarExact(ca, cb);
  const verdict =
    mcnemar.pValue >= 0.05
      ? 'no significant difference'
      : mcnemar.accuracyA > mcnemar.accuracyB
        ? 'helps'
        : 'hurts';
  return { ...where, a: a.model, b: b.model, accuracyDiff: diff, mcnemar, verdict };
}

const pct = (v: number): string => (100 * v).toFixed(1);

/** A plain-text Table 6 (one line per row, CIs in brackets). */
export function formatTable6(rows: Table6Row[], comparisons: Table6Comparison[]): string {
  const lines = [
    'condition  task     model           acc % [95 % CI]        weighted F1 % [95 % CI]',
  ];
  for (const r of rows)
    lines.push(
      `${r.condition.padEnd(10)} ${r.task.padEnd(8)} ${r.model.padEnd(15)} ` +
        `${pct(r.accuracy.estimate).padStart(5)} [${pct(r.accuracy.lo)}, ${pct(r.accuracy.hi)}]`.padEnd(
          23,
        ) +
        ` ${pct(r.weightedF1.estimate).padStart(5)} [${pct(r.weightedF1.lo)}, ${pct(r.weightedF1.hi)}]`,
    );
  lines.push('', 'McNemar (exact), A vs B on the same sequences:');
  for (const c of comparisons)
    lines.push(
      `${c.condition.padEnd(10)} ${c.task.padEnd(8)} ${c.a} vs ${c.b}: ` +
        `${c.accuracyDiff.estimate >= 0 ? '+' : ''}${pct(c.accuracyDiff.estimate)} pp ` +
        `[${pct(c.accuracyDiff.lo)}, ${pct(c.accuracyDiff.hi)}], b=${c.mcnemar.b} c=${c.mcnemar.c}, ` +
        `p=${c.mcnemar.pValue.toPrecision(3)}: ${c.verdict}`,
    );
  return lines.join('\n');
}
