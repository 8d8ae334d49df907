/**
 * The teaching page's measured curves (lib/serve/measured.ts) from a small hand-made eval.json:
 * mean and min–max over noise draws per level, labels, and a missing or bad file reported
 * without absolute paths.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EvalResult, NoiseLevelResult, SpreadStat } from '../../lib/eval/types';
import { loadMeasuredCurves, measuredCurve, noiseCurve } from '../../lib/serve/measured';

const spread = (values: number[]): SpreadStat => ({
  mean: values.reduce((a, b) => a + b, 0) / values.length,
  std: null,
  min: Math.min(...values),
  max: Math.max(...values),
  values,
});

const level = (lv: number, acc: number[]): NoiseLevelResult => ({
  level: lv,
  seeds: acc.map((_, i) => i),
  accuracy: spread(acc),
  f1: { macro: spread(acc), weighted: spread(acc), micro: spread(acc) },
  topClassShare: spread(acc.map(() => 0.5)),
  topClass: 3,
});

/** Only the fields the curve reads; the rest of an EvalResult is irrelevant here. */
function handMadeEval(architecture: string, levels: NoiseLevelResult[]): unknown {
  return {
    schema: 'fer-eval/1',
    createdAt: '2000-01-01T00:00:00.000Z',
    model: {
      name: architecture,
      dir: '/abs/models/x',
      meta: { architecture, profile: 'paper', seed: 1 },
    },
    data: {
      datasetSha256: 'x',
      split: 'official',
      splitSeed: 0,
      nTest: 100,
      nTestFull: 7178,
      limited: true,
    },
    backend: 'cpu',
    table34: { n: 100, levels },
  };
}

describe('teaching page: measured accuracy-vs-noise curves', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-measured-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('takes mean and min–max over noise draws per level, sorted by level', () => {
    const pts = noiseCurve([level(0.05, [0.4, 0.44]), level(0, [0.6]), level(0.3, [0.2, 0.1])]);
    assert.deepEqual(
      pts.map((p) => p.level),
      [0, 0.05, 0.3],
    );
    assert.deepEqual(pts[0], { level: 0, mean: 0.6, min: 0.6, max: 0.6, draws: 1 });
    assert.ok(Math.abs(pts[1].mean - 0.42) < 1e-12);
    assert.equal(pts[1].min, 0.4);
    assert.equal(pts[1].max, 0.44);
    assert.equal(pts[1].draws, 2);
    assert.ok(Math.abs(pts[2].mean - 0.15) < 1e-12);
  });

  it('labels a curve with what was measured, and refuses another architecture', () => {
    const r = handMadeEval('cnn', [level(0, [0.6]), level(0.1, [0.3, 0.32])]) as EvalResult;
    const c = measuredCurve('cnn', r, 'results/cnn/eval.json');
    assert.equal(c.profile, 'paper');
    assert.equal(c.seed, 1);
    assert.equal(c.nTest, 100);
    assert.equal(c.nTestFull, 7178);
    assert.equal(c.points.length, 2);
    assert.throws(() => measuredCurve('cnn-lstm', r, 'x'), /evaluation of 'cnn', not 'cnn-lstm'/);
    assert.throws(
      () => measuredCurve('cnn', { ...r, schema: 'other' } as unknown as EvalResult, 'x'),
      /fer-eval\/1/,
    );
    const bad = handMadeEval('cnn', [{ ...level(0, [0.6]), level: Number.NaN }]) as EvalResult;
    assert.throws(() => measuredCurve('cnn', bad, 'x'), /table34\.levels\[0\]/);
  });

  it('reads both models from a results folder; a missing or bad file is listed, not thrown', () => {
    fs.mkdirSync(path.join(tmp, 'cnn'));
    fs.writeFileSync(
      path.join(tmp, 'cnn', 'eval.json'),
      JSON.stringify(handMadeEval('cnn', [level(0, [0.62]), level(0.3, [0.17, 0.18])])),
    );
    const one = loadMeasuredCurves(tmp);
    assert.deepEqual(Object.keys(one.curves), ['cnn']);
    assert.equal(one.curves.cnn?.points[1].max, 0.18);
    assert.deepEqual(one.missing, [
      { model: 'cnn-lstm', source: 'cnn-lstm/eval.json', reason: 'missing' },
    ]);
    // Outside the repository, the page sees the file only as <model>/eval.json.
    assert.equal(one.curves.cnn?.source, 'cnn/eval.json');

    fs.mkdirSync(path.join(tmp, 'cnn-lstm'));
    fs.writeFileSync(path.join(tmp, 'cnn-lstm', 'eval.json'), '{ not json');
    const two = loadMeasuredCurves(tmp);
    assert.deepEqual(two.missing, [
      { model: 'cnn-lstm', source: 'cnn-lstm/eval.json', reason: 'not valid JSON' },
    ]);
    assert.ok(!JSON.stringify(two).includes(tmp), 'no absolute path of the results folder');
  });

  it('reads the committed results/ of the paper-scale models', () => {
    const { curves, missing } = loadMeasuredCurves(path.resolve(__dirname, '..', '..', 'results'));
    assert.deepEqual(missing, [], 'results/cnn and results/cnn-lstm hold an eval.json');
    for (const m of ['cnn', 'cnn-lstm'] as const) {
      const c = curves[m];
      assert.ok(c);
      assert.equal(c.source, `results/${m}/eval.json`);
      assert.equal(c.points[0].level, 0);
      assert.ok(c.points.every((p) => p.min <= p.mean + 1e-12 && p.mean <= p.max + 1e-12));
    }
  });
});
