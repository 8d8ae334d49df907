import { strict as assert } from 'node:assert';
import {
  bandArea,
  bandVerdict,
  heavyNoiseArtefact,
  informativeBand,
  meanCorrectnessByLevel,
  pairedBandBootstrap,
  seedBandComparison,
  trapezoidArea,
} from '../../lib/eval/band';
import { constantPredictorScoresFromSupport } from '../../lib/eval/collapse';
import { FerError } from '../../lib/util/errors';

const close = (a: number, b: number, tol = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

describe('analysis: informative band', () => {
  it('trapezoid area by hand', () => {
    // 0.05·(1 + 0.8)/2 + 0.10·(0.8 + 0.4)/2 = 0.045 + 0.060
    close(trapezoidArea([0, 0.05, 0.15], [1, 0.8, 0.4]), 0.105);
    close(trapezoidArea([0.1], [0.7]), 0);
    assert.throws(() => trapezoidArea([0, 0], [1, 1]), FerError);
  });

  // A toy curve: acc* = 0.24. σ = 0 and 0.1 pass (A beats it); at 0.2 neither does (0.20,
  // 0.22); at 0.3 A is back above (0.25), but past a failing level.
  const levels = [0, 0.1, 0.2, 0.3];
  const A = [0.6, 0.4, 0.2, 0.25];
  const B = [0.5, 0.3, 0.22, 0.1];

  it('selects the band on a toy curve', () => {
    const b = informativeBand(levels, [A, B], 0.24);
    assert.deepEqual(b.levels, [0, 0.1]);
    assert.deepEqual(b.excluded, [0.3]);
    assert.deepEqual(
      informativeBand(levels, [A, B], 0.24, { contiguous: false }).levels,
      [0, 0.1, 0.3],
    );
    // only B: 0.5, 0.3 pass, 0.22 fails
    assert.deepEqual(informativeBand(levels, [B], 0.24).levels, [0, 0.1]);
    // a margin of 0.07 drops σ = 0.1 for B (0.3 <= 0.31)
    assert.deepEqual(informativeBand(levels, [B], 0.24, { margin: 0.07 }).levels, [0]);
    // unsorted input gives the same band
    assert.deepEqual(
      informativeBand([0.3, 0, 0.2, 0.1], [[0.25, 0.6, 0.2, 0.4]], 0.24).levels,
      [0, 0.1],
    );
  });

  it('band area, band-average accuracy and retention by hand', () => {
    // A over [0, 0.1]: AUC = 0.1 (0.6 + 0.4)/2 = 0.05; mean = 0.5; retention = 0.5/0.6
    const a = bandArea(levels, A, [0, 0.1]);
    close(a.auc, 0.05);
    close(a.meanAccuracy, 0.5);
    close(a.retention, 0.5 / 0.6);
    const one = bandArea(levels, A, [0]);
    close(one.meanAccuracy, 0.6);
    assert.throws(() => bandArea(levels, A, [0.05]), FerError);
  });

  it('paired bootstrap of the AUC difference over test images', () => {
    // 4 images. Level 0: both right on images 0, 1. Level 0.1: A right on image 0 only, B on 0, 1.
    // acc A = (0.5, 0.25), B = (0.5, 0.5): AUC A = 0.1·0.75/2 = 0.0375, B = 0.05, B - A = 0.0125.
    const cA = [Uint8Array.from([1, 1, 0, 0]), Uint8Array.from([1, 0, 0, 0])];
    const cB = [Uint8Array.from([1, 1, 0, 0]), Uint8Array.from([1, 1, 0, 0])];
    const r = pairedBandBootstrap([0, 0.1], cA, cB, [0, 0.1], { resamples: 500, seed: 3 });
    close(r.a.auc, 0.0375);
    close(r.b.auc, 0.05);
    close(r.aucDifference.estimate, 0.0125);
    close(r.meanAccuracyDifference.estimate, 0.125);
    // B is right wherever A is, so no resample can favour A.
    assert.ok(r.aucDifference.lo >= 0);
    assert.ok(r.aucDifference.hi <= 0.1 * 0.5 + 1e-12); // at most every image flips at σ = 0.1
    const same = pairedBandBootstrap([0, 0.1], cA, cA, [0, 0.1], { resamples: 50 });
    assert.deepEqual([same.aucDifference.lo, same.aucDifference.hi], [0, 0]);
  });

  it('averages correctness over noise seeds per image', () => {
    const y = [0, 1, 2];
    const runs = [
      { level: 0, yPred: [0, 1, 0] },
      { level: 0.1, yPred: [0, 0, 2] },
      { level: 0.1, yPred: [0, 1, 0] },
    ];
    const m = meanCorrectnessByLevel(y, runs, [0, 0.1]);
    assert.deepEqual(Array.from(m[0]), [1, 1, 0]);
    assert.deepEqual(Array.from(m[1]), [1, 0.5, 0.5]);
    assert.throws(() => meanCorrectnessByLevel(y, runs, [0.2]), FerError);
  });

  it('compares band measures over training seeds with a paired t-test', () => {
    const r = seedBandComparison([0.4, 0.42, 0.41], [0.43, 0.45, 0.47]);
    // B - A = (0.03, 0.03, 0.06): all positive, no flips
    close(r.test.meanDifference, 0.04, 1e-12);
    assert.equal(r.directions.flips, 0);
    assert.equal(r.directions.positive, 3);
  });

  it('recognises constant-predictor cells and computes the verdict from numbers', () => {
    // Test set with supports (100, 300, 600): always-2 scores acc 0.6, weighted F1 0.6·1.2/1.6 = 0.45.
    const consts = constantPredictorScoresFromSupport([100, 300, 600]);
    const h = heavyNoiseArtefact(
      [
        { label: 'paper A', level: 0.3, accuracy: 0.6, f1: 0.46 },
        { label: 'paper B', level: 0.3, accuracy: 0.31, f1: 0.13 },
      ],
      consts,
    );
    // always-1: acc 0.3, F1 = 0.3 · 0.6/1.3 = 0.138462; B's distance = hypot(0.01, -0.008462)
    assert.equal(h.cells[1].nearest.cls, 1);
    close(h.cells[1].nearest.distance, Math.hypot(0.01, 0.13 - 0.18 / 1.3));
    assert.equal(h.allConstant, true);
    assert.equal(
      heavyNoiseArtefact([{ label: 'x', level: 0.3, accuracy: 0.45, f1: 0.3 }], consts).allConstant,
      false,
    );

    const band = [0, 0.05, 0.1];
    assert.equal(
      bandVerdict({ band, difference: { lo: 0.001, hi: 0.01 }, heavyNoise: h }).verdict,
      'reproduced',
    );
    assert.equal(
      bandVerdict({ band, difference: { lo: -0.01, hi: -0.001 }, heavyNoise: h }).verdict,
      'contradicted',
    );
    assert.equal(
      bandVerdict({ band, difference: { lo: -0.01, hi: 0.01 }, heavyNoise: h }).verdict,
      'not supported (artefact)',
    );
    assert.equal(
      bandVerdict({ band, difference: { lo: -0.01, hi: 0.01 }, heavyNoise: null }).verdict,
      'undecided',
    );
    assert.equal(
      bandVerdict({ band: [0], difference: null, heavyNoise: null }).verdict,
      'not tested',
    );
    assert.equal(
      bandVerdict({ band: [0], difference: null, heavyNoise: h }).verdict,
      'not supported (artefact)',
    );
  });
});
