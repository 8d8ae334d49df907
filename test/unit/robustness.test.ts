import { strict as assert } from 'node:assert';
import {
  corruptedView,
  corruptionErrors,
  pairedFamilyTests,
  runRobustness,
} from '../../lib/robustness/suite';
import type { Predictor, RobustnessRun } from '../../lib/robustness/suite';
import { corrupt } from '../../lib/robustness/corruptions';
import type { FerDataset } from '../../lib/data/dataset';
import { Rng } from '../../lib/util/rng';

const N = 2304;

/** A toy dataset whose label is encoded in the image brightness: class c has mean 30 + 30c. */
function toyDataset(n: number): FerDataset {
  const r = new Rng(1);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 7);
  const pixels = new Uint8Array(n * N);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < N; p++)
      pixels[i * N + p] = Math.max(
        0,
        Math.min(255, Math.round(30 + 30 * labels[i] + r.normal() * 8)),
      );
  return { n, pixels, labels, usage: new Uint8Array(n), sha256: 'x', source: 'toy' };
}

/** Classify by mean brightness: exact on clean toys, fooled by brightness and contrast shifts. */
const brightnessClassifier: Predictor = async (ds, idx) => {
  const out = new Float32Array(idx.length * 7);
  idx.forEach((r, k) => {
    let m = 0;
    for (let p = 0; p < N; p++) m += ds.pixels[r * N + p];
    const c = Math.max(0, Math.min(6, Math.round((m / N - 30) / 30)));
    out[k * 7 + c] = 1;
  });
  return out;
};

describe('robustness suite', () => {
  const ds = toyDataset(140);
  const rows = Int32Array.from({ length: 70 }, (_, i) => i * 2);

  it('corruptedView corrupts a copy of the rows exactly as corrupt() does, and leaves ds alone', () => {
    const before = ds.pixels.slice();
    const v = corruptedView(ds, rows.subarray(0, 3), 'occlusion', 4, 9);
    assert.deepEqual(ds.pixels, before);
    assert.equal(v.n, 3);
    assert.deepEqual(Array.from(v.labels), [0, 2, 4]);
    const one = corrupt(ds.pixels.subarray(2 * N, 3 * N), 'occlusion', 4, { seed: 9, ids: [2] });
    assert.deepEqual(v.pixels.subarray(N, 2 * N), one);
  });

  it('scores each cell; a brightness-based classifier is hurt by brightness, not by jpeg', async () => {
    const run = await runRobustness(brightnessClassifier, ds, rows, {
      families: ['brightness', 'jpeg'],
      seed: 3,
    });
    assert.equal(run.clean.accuracy, 1);
    assert.equal(run.cells.length, 10);
    const b5 = run.cells.find((c) => c.family === 'brightness' && c.severity === 5)!;
    const j5 = run.cells.find((c) => c.family === 'jpeg' && c.severity === 5)!;
    assert.ok(b5.accuracy < 0.5, `brightness s5 accuracy ${b5.accuracy}`);
    assert.ok(j5.accuracy > 0.95, `jpeg s5 accuracy ${j5.accuracy}`);
    assert.equal(b5.relativeRobustness, b5.accuracy);
    assert.equal(run.predictions['brightness/5'].length, rows.length);
  });

  it('computes CE, relative CE and mCE as ImageNet-C defines them', () => {
    const mk = (clean: number, accs: number[]): RobustnessRun => ({
      rows: [0],
      seed: 0,
      clean: { accuracy: clean, weightedF1: 0 },
      cells: accs.map((a, i) => ({
        family: 'jpeg',
        severity: (i + 1) as 1,
        accuracy: a,
        weightedF1: 0,
        relativeRobustness: a / clean,
      })),
      predictions: {},
    });
    const ref = mk(0.6, [0.5, 0.4]); // errors 0.5 + 0.6 = 1.1; drops 0.1 + 0.2 = 0.3
    const run = mk(0.55, [0.5, 0.45]); // errors 0.5 + 0.55 = 1.05; drops 0.05 + 0.1 = 0.15
    const r = corruptionErrors(run, ref);
    assert.ok(Math.abs(r.families[0].ce - 1.05 / 1.1) < 1e-12);
    assert.ok(Math.abs(r.families[0].relativeCe - 0.15 / 0.3) < 1e-12);
    assert.equal(r.mCE, r.families[0].ce);
    assert.equal(corruptionErrors(ref, ref).mCE, 1);
  });

  it('pairs models per family: McNemar per severity and a sign test across severities', () => {
    const yTrue = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const runWith = (s1: number[], s2: number[]): RobustnessRun => ({
      rows: yTrue.map((_, i) => i),
      seed: 1,
      clean: { accuracy: 1, weightedF1: 1 },
      cells: [1, 2].map((s) => ({
        family: 'contrast',
        severity: s as 1,
        accuracy: 0,
        weightedF1: 0,
        relativeRobustness: 0,
      })),
      predictions: { 'contrast/1': s1, 'contrast/2': s2 },
    });
    // A is right on all 10 images at both severities; B is wrong on 8 of them at both.
    const a = runWith([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const b = runWith([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    const [t] = pairedFamilyTests(a, b, yTrue);
    assert.equal(t.perSeverity[0].b, 8);
    assert.equal(t.perSeverity[0].c, 0);
    assert.ok(Math.abs(t.perSeverity[0].pValue - 2 / 256) < 1e-12); // 2 * 0.5^8
    assert.deepEqual({ a: t.signTest.aBetter, b: t.signTest.bBetter }, { a: 8, b: 0 });
    assert.ok(Math.abs(t.signTest.pValue - 2 / 256) < 1e-12);
    assert.throws(() => pairedFamilyTests(a, { ...b, seed: 2 }, yTrue), /same corruption seed/);
  });
});
