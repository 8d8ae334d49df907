import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../lib/backend';
import { loadFer2013, PAPER_NOISE_LEVELS, type FerDataset } from '../../lib/data';
import { testIndicesFor } from '../../lib/eval/evaluate';
import { predictLevels, table34FromPredictions } from '../../lib/eval/experiments';
import {
  checkExpectedRanges,
  PAPER_SCALE_RANGES,
  rangeCheckLevels,
  type ExpectedRanges,
} from '../../lib/eval/expected-ranges';
import type { NoiseLevelResult, Table34Result } from '../../lib/eval/types';
import { paperModel } from '../../lib/study';
import { loadStudyModel } from '../../lib/train';
import { MODEL_NAMES } from '../../lib/models/meta';

/** A Table 3/4 with the given (level, accuracy, weighted F1) rows. */
function t34(rows: [number, number, number][]): Table34Result {
  const s = (x: number) => ({ mean: x, std: null, min: x, max: x, values: [x] });
  return {
    n: 2000,
    levels: rows.map(([level, acc, f1]): NoiseLevelResult => ({
      level,
      seeds: [0],
      accuracy: s(acc),
      f1: { macro: s(f1), weighted: s(f1), micro: s(acc) },
      topClassShare: s(0.3),
      topClass: 3,
    })),
  };
}

describe('expected ranges of the paper-scale models: the checks', () => {
  const ranges: ExpectedRanges = {
    ...PAPER_SCALE_RANGES,
    cleanAccuracy: { cnn: [0.6, 0.72], 'cnn-lstm': null },
  };
  const good: [number, number, number][] = [
    [0, 0.66, 0.65],
    [0.005, 0.662, 0.65],
    [0.01, 0.658, 0.65],
    [0.03, 0.64, 0.63],
    [0.05, 0.6, 0.59],
    [0.08, 0.5, 0.48],
    [0.3, 0.18, 0.05],
  ];
  const passes = (rows: [number, number, number][], model: 'cnn' | 'cnn-lstm' = 'cnn') =>
    checkExpectedRanges(model, t34(rows), ranges).map((c) => c.pass);

  it('pass a model that meets all three', () => {
    assert.deepEqual(passes(good), [true, true, true]);
  });

  it('fail each one on its own', () => {
    const low = good.map((r): [number, number, number] => [r[0], r[1] - 0.1, r[2] - 0.1]);
    assert.deepEqual(passes(low), [false, true, true]);
    const rise = good.map((r): [number, number, number] => (r[0] === 0.05 ? [0.05, 0.65, 0.6] : r));
    assert.deepEqual(passes(rise), [true, false, true]);
    const flat = good.map((r): [number, number, number] => (r[0] === 0.08 ? [0.08, 0.66, 0.6] : r));
    assert.deepEqual(passes(flat), [true, false, true]);
    const f1 = good.map((r): [number, number, number] => (r[0] === 0.3 ? [0.3, 0.4, 0.36] : r));
    assert.deepEqual(passes(f1), [true, true, false]);
  });

  it('fail when a level is missing or the range is not set yet', () => {
    assert.deepEqual(passes(good.filter((r) => r[0] !== 0.08)), [true, false, true]);
    assert.deepEqual(passes(good.filter((r) => r[0] !== 0.3)), [true, true, false]);
    const [acc] = checkExpectedRanges('cnn-lstm', t34(good), ranges);
    assert.equal(acc.pass, false);
    assert.match(acc.expected, /set from the measured value/);
  });

  it('use clean, every paper level up to 0.08, and 0.30', () => {
    assert.deepEqual(rangeCheckLevels(PAPER_NOISE_LEVELS), [0, 0.005, 0.01, 0.03, 0.05, 0.08, 0.3]);
  });
});

/**
 * Issue 7: the committed paper-scale models in models/cnn and models/cnn-lstm, on a fixed
 * stratified 2,000 of the 7,178 official test images (seed 0) and one noise seed: 7 passes of
 * 2,000 images, about 5 min per full-size model on one wasm core, so that CI stays fast;
 * `npm run reproduce -- --profile paper` applies the same checks to all of them (notebook 05).
 * Why each range is what it is: PAPER_SCALE_RANGES in lib/eval/expected-ranges.ts. Each model
 * is pending until its finished weights are committed (the run is resumable and in progress).
 */
describe('expected ranges of the committed paper-scale models (2,000 test images)', function () {
  this.timeout(20 * 60 * 1000);
  let ds: FerDataset;
  let previousBackend = '';
  const found = MODEL_NAMES.map((m) => paperModel(m));

  before(async function () {
    const missing = MODEL_NAMES.filter((_, i) => !found[i]);
    if (missing.length === MODEL_NAMES.length || !process.env.FER2013_CSV) {
      console.log(
        `      (pending: ${missing.length ? 'no finished paper-scale model in models/' : 'FER2013_CSV is not set'})`,
      );
      this.skip();
    }
    previousBackend = tf.getBackend();
    await setupBackend('auto'); // wasm on CI; the cpu backend would take an hour here
    ds = await loadFer2013();
  });
  after(async () => {
    if (previousBackend) await tf.setBackend(previousBackend);
  });

  for (const [i, name] of MODEL_NAMES.entries())
    it(`${name}: clean accuracy, noise curve to 0.08 and weighted F1 at 0.30 in range`, async function () {
      const ref = found[i];
      if (!ref) {
        console.log(`      (pending: no finished paper-scale ${name} in models/)`);
        return this.skip();
      }
      const { model, meta } = await loadStudyModel(ref.dir);
      try {
        const { indices } = testIndicesFor(ds, meta, 2000);
        assert.equal(indices.length, 2000);
        const { runs } = await predictLevels(model, ds, indices, {
          levels: rangeCheckLevels(PAPER_NOISE_LEVELS),
          seeds: [0],
        });
        const yTrue = Int32Array.from(indices, (k) => ds.labels[k]);
        const checks = checkExpectedRanges(name, table34FromPredictions(yTrue, runs));
        // The measured values, in the CI log: the hybrid's range is set from them.
        for (const c of checks) console.log(`      ${c.check}: ${c.value}`);
        const failed = checks.filter((c) => !c.pass);
        assert.equal(
          failed.length,
          0,
          failed.map((c) => `${c.check}: ${c.value}, expected ${c.expected}`).join('\n'),
        );
      } finally {
        model.dispose();
      }
    });
});
