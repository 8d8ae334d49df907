import { strict as assert } from 'node:assert';
import {
  calibrationSummary,
  expectedCalibrationError,
  negativeLogLikelihood,
  reliabilityBins,
} from '../../lib/eval/calibration';
import { FerError } from '../../lib/util/errors';

const close = (a: number, b: number, tol = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

describe('analysis: calibration', () => {
  // 4 images, 2 classes: (conf, right) = (0.9, yes), (0.8, no), (0.7, yes), (0.6, no).
  const y = [0, 1, 1, 0];
  const p = [0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6];

  it('NLL by hand (sklearn log_loss gives 0.7469410259762035)', () => {
    const hand = -(Math.log(0.9) + Math.log(0.2) + Math.log(0.7) + Math.log(0.4)) / 4;
    close(negativeLogLikelihood(y, p, { numClasses: 2 }), hand);
    close(hand, 0.7469410259762035);
    // a zero probability on the true class is clipped at eps, not infinite
    close(negativeLogLikelihood([1], [1, 0], { numClasses: 2 }), -Math.log(1e-15));
  });

  it('reliability bins and ECE with 5 bins by hand', () => {
    // bins of width 0.2, (lo, hi]: 0.6 -> (0.4, 0.6]; 0.7, 0.8 -> (0.6, 0.8]; 0.9 -> (0.8, 1].
    // gaps: |0 - 0.6| = 0.6, |0.5 - 0.75| = 0.25, |1 - 0.9| = 0.1
    // ECE = (1/4)·0.6 + (2/4)·0.25 + (1/4)·0.1 = 0.3
    const bins = reliabilityBins(y, p, { numClasses: 2, bins: 5 });
    assert.deepEqual(
      bins.map((b) => b.count),
      [0, 0, 1, 2, 1],
    );
    close(bins[3].confidence as number, 0.75);
    close(bins[3].accuracy as number, 0.5);
    assert.equal(bins[0].accuracy, null);
    close(expectedCalibrationError(y, p, { numClasses: 2, bins: 5 }), 0.3);
    const s = calibrationSummary(y, p, { numClasses: 2, bins: 5 });
    close(s.ece, 0.3);
    // mean confidence 0.75 - accuracy 0.5
    close(s.overconfidence, 0.25);
  });

  it('uses 15 bins by default and is 0 for a perfectly calibrated toy set', () => {
    // two images at confidence 0.5, one right and one wrong: bin (7/15, 8/15] has acc = conf = 0.5
    const yy = [0, 1];
    const pp = [0.5, 0.3, 0.2, 0, 0, 0, 0, 0.5, 0.3, 0.2, 0, 0, 0, 0];
    const bins = reliabilityBins(yy, pp);
    assert.equal(bins.length, 15);
    assert.equal(bins[7].count, 2);
    close(expectedCalibrationError(yy, pp), 0);
    assert.throws(() => reliabilityBins([0], [1, 0, 0]), FerError);
  });
});
