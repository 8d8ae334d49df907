import { strict as assert } from 'node:assert';
import {
  bestConstantPredictor,
  constantPredictorScores,
  constantPredictorScoresFromSupport,
  entropyBits,
  nearestConstantPredictor,
  predictedLabelCounts,
  predictionDistribution,
} from '../../lib/eval/collapse';
import { FerError } from '../../lib/util/errors';

const close = (a: number, b: number, tol = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

describe('analysis: collapse', () => {
  // y = [0,0,0,1,1,2], n = 6, 3 classes, all present (L = 3).
  // always 0: acc 3/6; F1_0 = 2·3/(3+6) = 2/3; weighted = (3/6)(2/3) = 1/3; macro = (2/3)/3 = 2/9
  // always 1: acc 2/6; F1_1 = 2·2/(2+6) = 1/2; weighted = (2/6)(1/2) = 1/6; macro = (1/2)/3 = 1/6
  // always 2: acc 1/6; F1_2 = 2·1/(1+6) = 2/7; weighted = (1/6)(2/7) = 1/21; macro = (2/7)/3 = 2/21
  // (sklearn 1.2 f1_score gives the same six numbers.)
  const y = [0, 0, 0, 1, 1, 2];
  const hand = [
    { cls: 0, accuracy: 1 / 2, weightedF1: 1 / 3, macroF1: 2 / 9 },
    { cls: 1, accuracy: 1 / 3, weightedF1: 1 / 6, macroF1: 1 / 6 },
    { cls: 2, accuracy: 1 / 6, weightedF1: 1 / 21, macroF1: 2 / 21 },
  ];

  it('scores every constant predictor as computed by hand', () => {
    const got = constantPredictorScores(y, { numClasses: 3 });
    assert.equal(got.length, 3);
    got.forEach((g, k) => {
      assert.equal(g.cls, hand[k].cls);
      close(g.accuracy, hand[k].accuracy);
      close(g.weightedF1, hand[k].weightedF1);
      close(g.macroF1, hand[k].macroF1);
    });
  });

  it('gets the same scores from the class supports alone (closed form)', () => {
    const got = constantPredictorScoresFromSupport([3, 2, 1]);
    got.forEach((g, k) => {
      close(g.accuracy, hand[k].accuracy);
      close(g.weightedF1, hand[k].weightedF1);
      close(g.macroF1, hand[k].macroF1);
    });
  });

  it('agrees with the metric path on a 7-class vector with an absent class', () => {
    // class 5 never occurs: "always 5" has F1 0, and L counts the 6 present classes + 5 itself.
    const labels = [0, 0, 1, 2, 2, 2, 3, 3, 3, 3, 4, 6, 6];
    const support = [2, 1, 3, 4, 1, 0, 2];
    const a = constantPredictorScores(labels);
    const b = constantPredictorScoresFromSupport(support);
    a.forEach((s, k) => {
      close(s.accuracy, b[k].accuracy);
      close(s.weightedF1, b[k].weightedF1);
      close(s.macroF1, b[k].macroF1);
    });
    assert.equal(a[5].weightedF1, 0);
    assert.equal(bestConstantPredictor(a).cls, 3);
  });

  it('computes entropy in bits by hand', () => {
    // q = (1/2, 1/4, 1/4): H = 1/2·1 + 1/4·2 + 1/4·2 = 1.5 bits
    close(entropyBits([2, 1, 1]), 1.5);
    close(entropyBits([0, 9, 0]), 0);
    close(entropyBits([5, 5, 5, 5, 5, 5, 5]), Math.log2(7));
    assert.throws(() => entropyBits([0, 0]), FerError);
  });

  it('finds the most-predicted class, its share and the entropy', () => {
    const counts = predictedLabelCounts([6, 6, 3, 6], { numClasses: 7 });
    assert.deepEqual(counts, [0, 0, 0, 1, 0, 0, 3]);
    const d = predictionDistribution(counts);
    assert.equal(d.topClass, 6);
    close(d.topShare, 0.75);
    // -(3/4) log2(3/4) - (1/4) log2(1/4) = 0.811278...
    close(d.entropyBits, 0.8112781244591328, 1e-12);
    assert.throws(() => predictedLabelCounts([7]), FerError);
  });

  it('finds the nearest constant predictor and its distance', () => {
    // cell (0.48, 0.30): to always-0 (1/2, 1/3): (-0.02, -1/30) -> sqrt(0.0004 + 1/900)
    const n = nearestConstantPredictor(
      { accuracy: 0.48, f1: 0.3 },
      constantPredictorScores(y, { numClasses: 3 }),
    );
    assert.equal(n.cls, 0);
    close(n.distance, Math.sqrt(0.0004 + 1 / 900));
    close(n.dAccuracy, -0.02);
    // with macro F1 the cell (0.17, 0.09) is nearest to always-2 (1/6, 2/21)
    const m = nearestConstantPredictor(
      { accuracy: 0.17, f1: 0.09 },
      constantPredictorScores(y, { numClasses: 3 }),
      { f1: 'macro' },
    );
    assert.equal(m.cls, 2);
    close(m.distance, Math.hypot(0.17 - 1 / 6, 0.09 - 2 / 21));
  });
});
