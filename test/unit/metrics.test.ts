import { strict as assert } from 'node:assert';
import {
  accuracyScore,
  argmaxRows,
  classificationReport,
  confusionMatrix,
  f1Score,
  groupMetrics,
  harmonicMean,
  kerasPrecisionRecall,
  precisionScore,
  recallScore,
} from '../../lib/eval/metrics';
import type { PRF } from '../../lib/eval/types';
import { FerError } from '../../lib/util/errors';

// All expected values below are worked out by hand (see the comments), not by this code.
const close = (a: number, b: number, msg?: string): void =>
  assert.ok(Math.abs(a - b) < 1e-12, `${msg ?? ''} got ${a}, expected ${b}`);
const closePRF = (a: PRF, p: number, r: number, f: number, msg = ''): void => {
  close(a.precision, p, `${msg} precision`);
  close(a.recall, r, `${msg} recall`);
  close(a.f1, f, `${msg} f1`);
};

describe('metrics (scikit-learn definitions)', () => {
  // true: 0 0 0 1 2 2 ; pred: 0 0 1 1 2 0 ; class 3 never occurs.
  // confusion rows(true) [2,1,0] [0,1,0] [1,0,1]; tp [2,1,1] pred [3,2,1] true [3,1,2]
  // P [2/3, 1/2, 1]  R [2/3, 1, 1/2]  F1 = 2tp/(true+pred) = [2/3, 2/3, 2/3]
  const yT = [0, 0, 0, 1, 2, 2];
  const yP = [0, 0, 1, 1, 2, 0];

  it('per class, macro, weighted, micro over the labels present (sklearn default)', () => {
    const r = classificationReport(yT, yP, { numClasses: 4 });
    assert.deepEqual(r.labels, [0, 1, 2]);
    close(r.accuracy, 4 / 6);
    closePRF(r.macro, 13 / 18, 13 / 18, 2 / 3, 'macro');
    // weighted P = (3*2/3 + 1*1/2 + 2*1)/6 = 0.75 ; weighted R = accuracy
    closePRF(r.weighted, 0.75, 4 / 6, 2 / 3, 'weighted');
    closePRF(r.micro, 4 / 6, 4 / 6, 4 / 6, 'micro');
    closePRF(r.perClass[1], 1 / 2, 1, 2 / 3, 'class 1');
    assert.equal(r.perClass[0].support, 3);
    assert.deepEqual(r.perClass[3], { precision: 0, recall: 0, f1: 0, support: 0 });
    assert.deepEqual(r.confusion, [
      [2, 1, 0, 0],
      [0, 1, 0, 0],
      [1, 0, 1, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('an empty class in labels= counts as 0 (zero_division=0) or 1 (zero_division=1)', () => {
    const all = [0, 1, 2, 3];
    const r0 = classificationReport(yT, yP, { numClasses: 4, labels: all });
    closePRF(r0.macro, 13 / 24, 13 / 24, 2 / 4, 'macro zd=0');
    closePRF(r0.weighted, 0.75, 4 / 6, 2 / 3, 'weighted unaffected by support-0 class');
    const r1 = classificationReport(yT, yP, { numClasses: 4, labels: all, zeroDivision: 1 });
    closePRF(r1.macro, 19 / 24, 19 / 24, 3 / 4, 'macro zd=1');
  });

  it('labels subset: micro counts only predictions and truths inside the subset', () => {
    // L = {0,1}: tp 3, predicted-in-L 5, true-in-L 4 -> P 3/5, R 3/4, F1 6/9
    const r = classificationReport(yT, yP, { labels: [0, 1] });
    closePRF(r.micro, 3 / 5, 3 / 4, 2 / 3, 'micro');
    closePRF(r.macro, 7 / 12, 5 / 6, 2 / 3, 'macro');
    close(r.accuracy, 4 / 6, 'accuracy still over all samples');
    close(precisionScore(yT, yP, { labels: [0, 1], average: 'micro' }), 3 / 5);
    close(recallScore(yT, yP, { labels: [0, 1], average: 'micro' }), 3 / 4);
    assert.deepEqual(confusionMatrix(yT, yP, { labels: [1, 0] }), [
      [1, 0],
      [1, 2],
    ]);
  });

  it('a single-class predictor', () => {
    // true 0 1 1 2 2 2 2, pred all 2: tp [0,0,4] pred [0,0,7] true [1,2,4]
    const t = [0, 1, 1, 2, 2, 2, 2];
    const p = [2, 2, 2, 2, 2, 2, 2];
    const r = classificationReport(t, p, { numClasses: 3 });
    close(r.accuracy, 4 / 7);
    closePRF(r.macro, 4 / 21, 1 / 3, 8 / 33, 'macro');
    // weighted: only class 2 (weight 4/7) is non-zero: P 4/7*4/7, R 4/7, F1 4/7*8/11
    closePRF(r.weighted, 16 / 49, 4 / 7, 32 / 77, 'weighted');
    closePRF(r.micro, 4 / 7, 4 / 7, 4 / 7, 'micro');
    close(f1Score(t, p, { numClasses: 3, average: 'weighted' }), 32 / 77);
  });

  it('perfect predictions give 1 everywhere', () => {
    const t = [0, 1, 2, 3, 4, 5, 6, 6];
    const r = classificationReport(t, t);
    close(r.accuracy, 1);
    for (const a of [r.macro, r.weighted, r.micro]) closePRF(a, 1, 1, 1);
  });

  it('no samples', () => {
    const r = classificationReport([], []);
    assert.equal(r.accuracy, 0);
    assert.deepEqual(r.labels, []);
    closePRF(r.macro, 0, 0, 0);
    closePRF(r.weighted, 0, 0, 0);
  });

  it('macro F1 is the mean of per-class F1, not hmean(macro P, macro R)', () => {
    // true 0 0 1 1 2 2, pred 0 1 1 1 0 2: P [1/2,2/3,1] R [1/2,1,1/2] F1 [1/2,4/5,2/3]
    const r = classificationReport([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 0, 2], { numClasses: 3 });
    close(r.macro.f1, (1 / 2 + 4 / 5 + 2 / 3) / 3);
    close(r.macro.precision, (1 / 2 + 2 / 3 + 1) / 3);
    assert.ok(Math.abs(r.macro.f1 - harmonicMean(r.macro.precision, r.macro.recall)) > 1e-3);
  });

  it('rejects mismatched or out-of-range labels with a FerError', () => {
    assert.throws(() => classificationReport([0, 1], [0]), FerError);
    assert.throws(() => classificationReport([0, 7], [0, 1]), FerError);
    assert.throws(() => classificationReport([0], [0], { labels: [9] }), FerError);
    assert.throws(() => accuracyScore([0], []), FerError);
  });
});

describe('kerasPrecisionRecall', () => {
  it('pools thresholded (sample, class) cells, strictly above 0.5', () => {
    // s0 true 0 [.7 .2 .1] TP; s1 true 1 [.6 .3 .1] FP + FN; s2 true 2 [.4 .35 .25] FN;
    // s3 true 1 [.5 .5 0] nothing > .5 -> FN.  TP 1, FP 1, FN 3.
    const probs = [0.7, 0.2, 0.1, 0.6, 0.3, 0.1, 0.4, 0.35, 0.25, 0.5, 0.5, 0];
    const k = kerasPrecisionRecall([0, 1, 2, 1], probs, 0.5, 3);
    assert.deepEqual([k.tp, k.fp, k.fn], [1, 1, 3]);
    close(k.precision, 0.5);
    close(k.recall, 0.25);
    close(k.f1, 1 / 3);
    assert.deepEqual(Array.from(argmaxRows(probs, 3)), [0, 0, 0, 0]);
  });

  it('no positive predictions gives precision 0 (divide_no_nan)', () => {
    const k = kerasPrecisionRecall([0, 1], [0.4, 0.3, 0.3, 0.3, 0.4, 0.3], 0.5, 3);
    assert.deepEqual([k.precision, k.recall, k.f1], [0, 0, 0]);
  });
});

describe('groupMetrics (Table 5)', () => {
  it('keeps samples whose true label is in the group and averages over the group labels', () => {
    // kept (true,pred): (3,3) (3,0) (4,4) (5,3); accuracy 2/4.
    // class 3: tp1 pred2 true2 -> .5 .5 .5 ; class 4: 1 1 1 ; class 5: tp0 pred0 true1 -> 0 0 0
    // micro: tp 2, predicted-in-group 3 (the 0 is outside), true 4 -> P 2/3 R 1/2 F1 4/7
    const g = groupMetrics([3, 3, 4, 5, 0, 6], [3, 0, 4, 3, 0, 6], [3, 4, 5]);
    assert.equal(g.n, 4);
    close(g.accuracy, 0.5);
    closePRF(g.macro, 0.5, 0.5, 0.5, 'macro');
    closePRF(g.weighted, 0.5, 0.5, 0.5, 'weighted');
    closePRF(g.micro, 2 / 3, 0.5, 4 / 7, 'micro');
    assert.ok(g.micro.f1 > g.accuracy);
  });
});
