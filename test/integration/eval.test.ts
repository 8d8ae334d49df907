import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { FerDataset } from '../../lib/data/dataset';
import { PIXELS_PER_IMAGE } from '../../lib/data/classes';
import {
  bandFromPredictions,
  correctnessRecord,
  metricAudit,
  pairedLevels,
  predictLevels,
  table1FromPredictions,
  table34,
  table34FromPredictions,
  table5FromPredictions,
  type PredictionRun,
} from '../../lib/eval/experiments';
import { classificationReport, kerasPrecisionRecall } from '../../lib/eval/metrics';
import { argmaxRows, predictProba } from '../../lib/eval/predict';
import { table2 } from '../../lib/eval/timing';
import { evaluateLoaded, headlineMetrics, testIndicesFor } from '../../lib/eval/evaluate';
import { aggregateSeeds, correctness, unpackBits } from '../../lib/eval/stats';
import { bandArea } from '../../lib/eval/band';
import { negativeLogLikelihood } from '../../lib/eval/calibration';
import { entropyBits } from '../../lib/eval/collapse';
import { formatEval } from '../../lib/eval/format';
import { writeJsonAtomic } from '../../lib/util/atomic';
import { FerError } from '../../lib/util/errors';

import { compareWithPaper, PAPER } from '../../lib/eval/paper';
import { Rng } from '../../lib/util/rng';
import { tinyMeta, tinyModel } from '../fixtures/tiny-model';

/** n synthetic faces whose brightness depends on the label, so a model can tell them apart. */
function syntheticDataset(n: number, seed = 1): FerDataset {
  const rng = new Rng(seed);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 7);
  const pixels = new Uint8Array(n * PIXELS_PER_IMAGE);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < PIXELS_PER_IMAGE; j++)
      pixels[i * PIXELS_PER_IMAGE + j] = Math.min(255, labels[i] * 30 + rng.int(60));
  // Every 5th row PublicTest and the next PrivateTest, so the 'official' split has a test set.
  const usage = Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : i % 5 === 1 ? 2 : 0));
  return { n, pixels, labels, usage, sha256: 'synthetic', source: 'synthetic' };
}

describe('evaluation on a tiny model', () => {
  let model: tf.LayersModel;
  const ds = syntheticDataset(50);
  const META = tinyMeta(ds, 'cnn', 1);
  const indices = Int32Array.from({ length: 40 }, (_, i) => i + 5);
  const yTrue = Int32Array.from(indices, (i) => ds.labels[i]);

  before(async () => {
    await tf.setBackend('cpu');
    model = tinyModel(3);
  });
  after(() => model.dispose());

  it('predictProba: rows are distributions; noise 0 is exactly the clean input', async () => {
    const clean = await predictProba(model, ds, indices, { batchSize: 16 });
    assert.equal(clean.length, 40 * 7);
    for (let i = 0; i < 40; i++) {
      let s = 0;
      for (let c = 0; c < 7; c++) s += clean[i * 7 + c];
      assert.ok(Math.abs(s - 1) < 1e-5);
    }
    const zero = await predictProba(model, ds, indices, { noise: 0, seed: 9, batchSize: 7 });
    assert.deepEqual(zero, clean);
    const direct = model.predict(
      tf.tensor4d(
        Float32Array.from({ length: indices.length * PIXELS_PER_IMAGE }, (_, j) => {
          const row = indices[Math.floor(j / PIXELS_PER_IMAGE)];
          return ds.pixels[row * PIXELS_PER_IMAGE + (j % PIXELS_PER_IMAGE)] / 255;
        }),
        [40, 48, 48, 1],
      ),
    ) as tf.Tensor;
    const d = direct.dataSync();
    direct.dispose();
    for (let i = 0; i < d.length; i++) assert.ok(Math.abs(d[i] - clean[i]) < 1e-6);
  });

  it('predictProba: noise changes outputs, is seeded, and does not depend on batch size', async () => {
    const clean = await predictProba(model, ds, indices);
    const a = await predictProba(model, ds, indices, { noise: 0.3, seed: 1, batchSize: 5 });
    const b = await predictProba(model, ds, indices, { noise: 0.3, seed: 1, batchSize: 64 });
    const c = await predictProba(model, ds, indices, { noise: 0.3, seed: 2, batchSize: 64 });
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6);
    assert.ok(a.some((v, i) => Math.abs(v - clean[i]) > 1e-4));
    assert.ok(a.some((v, i) => Math.abs(v - c[i]) > 1e-4));
  });

  it('Table 3/4 runs end to end; level 0 equals the clean Table 1 numbers', async () => {
    const t34 = await table34(model, ds, indices, { levels: [0, 0.05, 0.3], seeds: [0, 1] });
    assert.deepEqual(
      t34.levels.map((l) => l.level),
      [0, 0.05, 0.3],
    );
    assert.deepEqual(t34.levels[0].seeds, [0]);
    assert.equal(t34.levels[0].accuracy.std, null);
    assert.deepEqual(t34.levels[2].seeds, [0, 1]);
    assert.ok(t34.levels[2].accuracy.std !== null && t34.levels[2].accuracy.std >= 0);
    const probs = await predictProba(model, ds, indices);
    const t1 = table1FromPredictions(yTrue, probs, { bootstrap: false });
    assert.equal(t34.levels[0].accuracy.mean, t1.rows[0].accuracy);
    assert.equal(t34.levels[0].f1.weighted.mean, t1.report.weighted.f1);
    const shares = t34.levels.map((l) => l.topClassShare.mean);
    for (const s of shares) assert.ok(s >= 1 / 7 && s <= 1);
  });

  it('Table 2 counts params, FLOPs and bytes on disk and reports timings on the backend', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-eval-'));
    try {
      fs.writeFileSync(path.join(dir, 'model.json'), 'x'.repeat(123));
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'sub', 'w.bin'), new Uint8Array(77));
      const t2 = await table2(model, {
        warmup: 1,
        runs: 3,
        batchSize: 8,
        throughputRuns: 1,
        modelDir: dir,
      });
      assert.equal(t2.params, 36 * 7 + 7); // 6x6 pooled pixels -> dense(7)
      assert.equal(t2.flopsPerImage, 2 * 36 * 7);
      assert.equal(t2.sizeOnDiskBytes, 200);
      assert.equal(t2.backend, 'cpu');
      assert.equal(t2.throughput.batchSize, 8);
      assert.ok(
        t2.latencyBatch1.medianMs > 0 && t2.latencyBatch1.p95Ms >= t2.latencyBatch1.medianMs,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('recreates the test split from meta.json, with --limit and dataset checks', () => {
    const { indices: test, info } = testIndicesFor(ds, META);
    assert.deepEqual(
      Array.from(test),
      Array.from({ length: 50 }, (_, i) => i).filter((i) => i % 5 < 2),
    );
    assert.equal(info.nTest, 20);
    assert.equal(info.limited, false);
    const lim = testIndicesFor(ds, META, 7);
    assert.equal(lim.indices.length, 7);
    assert.ok(lim.info.limited);
    assert.ok(Array.from(lim.indices).every((i) => i % 5 < 2));
    assert.throws(() => testIndicesFor(ds, { ...META, datasetSha256: 'other' }), FerError);
    assert.throws(() => testIndicesFor(ds, { ...META, split: 'nope' }), FerError);
  });

  it('evaluateLoaded builds a JSON-clean EvalResult with every table', async () => {
    const { indices: test, info } = testIndicesFor(ds, META);
    const r = await evaluateLoaded(model, META, '/tmp/models/tiny', ds, test, info, {
      noiseSeeds: 2,
      bootstrapResamples: 50,
      timing: { warmup: 1, runs: 2, batchSize: 4, throughputRuns: 1 },
    });
    assert.equal(r.schema, 'fer-eval/1');
    assert.equal(r.model.name, 'tiny');
    assert.equal(r.table34.levels.length, 11);
    assert.deepEqual(r.table34.levels[10].seeds, [0, 1]);
    assert.equal(r.table34.levels[0].accuracy.mean, r.table1.rows[0].accuracy);
    assert.equal(r.table2!.sizeOnDiskBytes, null); // no such folder
    assert.deepEqual(
      r.audit.map((c) => c.id),
      [
        'table1-f1-is-hmean',
        'table1-precision-accuracy-recall-order',
        'table4-f1-collapse-at-max-noise',
        'table5-f1-above-accuracy',
      ],
    );
    assert.equal(r.paperComparison.filter((x) => x.table === 'table3').length, 10);
    assert.equal(r.table1.bootstrap!.resamples, 50);
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
    const h = headlineMetrics(r);
    assert.equal(h['table1.keras.f1'], r.table1.rows[3].f1);
    assert.equal(h['table34.0.3.f1.weighted'], r.table34.levels[10].f1.weighted.mean);
    const agg = aggregateSeeds([h, h]);
    assert.equal(agg['table5.simple.accuracy'].mean, r.table5.rows[0].metrics.accuracy);
    assert.equal(agg['table5.simple.accuracy'].std, 0);
    const text = formatEval(r);
    for (const want of [
      'Table 1',
      'Table 2',
      'clean',
      '30 %',
      'simple',
      'table5-f1-above-accuracy',
    ])
      assert.ok(text.includes(want), want);
    if (process.env.FER_SHOW) console.log(text);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-eval-'));
    try {
      const f = path.join(dir, 'tiny', 'eval.json');
      writeJsonAtomic(f, r);
      assert.deepEqual(JSON.parse(fs.readFileSync(f, 'utf8')), r);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'tiny')), ['eval.json']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records predicted-label counts, entropy, calibration and constant baselines', async () => {
    const { indices: test, info } = testIndicesFor(ds, META);
    const r = await evaluateLoaded(model, META, '/tmp/models/tiny', ds, test, info, {
      noiseSeeds: 2,
      bootstrapResamples: 0,
      timing: false,
    });
    const yt = Int32Array.from(test, (i) => ds.labels[i]);
    for (const l of r.table34.levels) {
      assert.equal(l.predictedCounts!.length, l.seeds.length);
      for (const c of l.predictedCounts!)
        assert.equal(
          c.reduce((s, v) => s + v, 0),
          test.length,
        );
      const c0 = l.predictedCounts![0];
      assert.equal(l.topClass, c0.indexOf(Math.max(...c0)));
      assert.equal(l.entropyBits!.values[0], entropyBits(c0));
    }
    const probs = await predictProba(model, ds, test);
    assert.ok(Math.abs(r.calibration!.nll - negativeLogLikelihood(yt, probs)) < 1e-9);
    assert.equal(r.calibration!.bins.length, 15);
    assert.equal(
      r.calibration!.bins.reduce((s, b) => s + b.count, 0),
      test.length,
    );
    assert.equal(r.constantBaselines!.length, 7);
    // the synthetic labels are i % 7 over rows i % 5 < 2: class shares from the support
    const support = r.table1.report.perClass.map((p) => p.support);
    r.constantBaselines!.forEach((b, k) => assert.equal(b.accuracy, support[k] / test.length));
  });

  it('drops test rows that copy a training image when asked (the de-leaked test set)', () => {
    const leaky: FerDataset = { ...ds, pixels: ds.pixels.slice() };
    // row 0 is a test row (i % 5 = 0), row 2 a training row: make row 0 an exact copy of row 2
    leaky.pixels.copyWithin(0, 2 * PIXELS_PER_IMAGE, 3 * PIXELS_PER_IMAGE);
    const full = testIndicesFor(leaky, META);
    const clean = testIndicesFor(leaky, META, undefined, { dropLeakedTest: true });
    assert.equal(full.info.leakedTestDropped, undefined);
    assert.equal(clean.info.leakedTestDropped, 1);
    assert.deepEqual(
      Array.from(clean.indices),
      Array.from(full.indices).filter((i) => i !== 0),
    );
    assert.equal(clean.info.nTestFull, full.info.nTestFull - 1);
  });

  it('predictLevels runs are paired by seed, so A vs A has no discordant pairs', async () => {
    const { runs } = await predictLevels(model, ds, indices, { levels: [0.1], seeds: [4] });
    const paired = pairedLevels(yTrue, runs, runs);
    assert.equal(paired.length, 2);
    for (const p of paired)
      for (const t of p.tests) assert.deepEqual([t.b, t.c, t.pValue], [0, 0, 1]);
  });
});

describe('informative band and correctness record from predictions', () => {
  // 6 images, labels 0..5 (best constant accuracy 1/6). Level 0: A right on 0-3, B on 0-2.
  // Level 0.1 (2 seeds): A right on 0 and 1 / 0 only -> 0.25; B right on 0-2 both seeds -> 0.5.
  // Level 0.2: both predict class 5 everywhere -> 1/6 each, not above acc* = 1/6: band [0, 0.1].
  const y = Int32Array.from([0, 1, 2, 3, 4, 5]);
  const wrong = (right: number[]): Int32Array =>
    Int32Array.from(y, (t, i) => (right.includes(i) ? t : (t + 1) % 6));
  const five = new Int32Array(6).fill(5);
  const runsA: PredictionRun[] = [
    { level: 0, seed: 0, yPred: wrong([0, 1, 2, 3]) },
    { level: 0.1, seed: 0, yPred: wrong([0, 1]) },
    { level: 0.1, seed: 1, yPred: wrong([0]) },
    { level: 0.2, seed: 0, yPred: five },
    { level: 0.2, seed: 1, yPred: five },
  ];
  const runsB: PredictionRun[] = [
    { level: 0, seed: 0, yPred: wrong([0, 1, 2]) },
    { level: 0.1, seed: 0, yPred: wrong([0, 1, 2]) },
    { level: 0.1, seed: 1, yPred: wrong([0, 1, 2]) },
    { level: 0.2, seed: 0, yPred: five },
    { level: 0.2, seed: 1, yPred: five },
  ];

  it('selects the band and estimates the AUC difference as computed by hand', () => {
    const b = bandFromPredictions(y, runsA, runsB, { bootstrap: { resamples: 200 } });
    assert.ok(Math.abs(b.threshold - 1 / 6) < 1e-12);
    assert.deepEqual(b.levels, [0, 0.1]);
    // acc A = (4/6, 1.5/6): AUC = 0.1 (4/6 + 1.5/6)/2 = 0.0458333; B = (3/6, 3/6): 0.05
    const a = bandArea([0, 0.1], [4 / 6, 1.5 / 6], [0, 0.1]);
    assert.ok(Math.abs(b.a!.auc - a.auc) < 1e-12);
    assert.ok(Math.abs(b.a!.auc - (0.1 * (5.5 / 6)) / 2) < 1e-12);
    assert.ok(Math.abs(b.aucDifference!.estimate - (0.05 - (0.1 * (5.5 / 6)) / 2)) < 1e-12);
    assert.ok(b.aucDifference!.lo <= b.aucDifference!.estimate);
    assert.ok(b.aucDifference!.hi >= b.aucDifference!.estimate);
  });

  it('gives no CI when the band has one level', () => {
    const only0 = (rs: PredictionRun[]): PredictionRun[] =>
      rs.map((r) => (r.level === 0 ? r : { ...r, yPred: five }));
    const b = bandFromPredictions(y, only0(runsA), only0(runsB));
    assert.deepEqual(b.levels, [0]);
    assert.equal(b.aucDifference, null);
    assert.ok(Math.abs(b.a!.meanAccuracy - 4 / 6) < 1e-12);
  });

  it('packs per-image correctness losslessly', () => {
    const rec = correctnessRecord(y, runsA, runsB);
    assert.equal(rec.runs.length, runsA.length);
    rec.runs.forEach((r, i) => {
      assert.deepEqual(unpackBits(r.a, 6), correctness(y, runsA[i].yPred));
      assert.deepEqual(unpackBits(r.b, 6), correctness(y, runsB[i].yPred));
    });
    assert.throws(() => unpackBits(rec.runs[0].a, 20), FerError);
  });
});

describe('experiments from predictions', () => {
  // 10 samples; probs chosen so some argmax-correct rows stay below the 0.5 threshold.
  const yTrue = Int32Array.from([0, 0, 3, 3, 3, 4, 5, 6, 6, 2]);
  const probs = new Float32Array(10 * 7);
  const setRow = (i: number, c: number, p: number): void => {
    for (let k = 0; k < 7; k++) probs[i * 7 + k] = (1 - p) / 6;
    probs[i * 7 + c] = p;
  };
  [
    [0, 0.9],
    [3, 0.45],
    [3, 0.8],
    [3, 0.7],
    [4, 0.4],
    [4, 0.9],
    [5, 0.6],
    [6, 0.3],
    [0, 0.7],
    [2, 0.55],
  ].forEach(([c, p], i) => setRow(i, c, p));

  it('Table 1 rows agree with the metric functions and CIs bracket the estimate', () => {
    const t1 = table1FromPredictions(yTrue, probs, { bootstrap: { resamples: 200, seed: 5 } });
    const rep = classificationReport(yTrue, argmaxRows(probs));
    const ker = kerasPrecisionRecall(yTrue, probs);
    const row = (a: string) => t1.rows.find((r) => r.averaging === a)!;
    assert.equal(row('macro').f1, rep.macro.f1);
    assert.equal(row('weighted').precision, rep.weighted.precision);
    assert.equal(row('micro').recall, rep.micro.recall);
    assert.equal(row('keras').precision, ker.precision);
    // true 0 0 3 3 3 4 5 6 6 2 vs pred 0 3 3 3 4 4 5 6 0 2 -> correct at 0,2,3,5,6,7,9 = 7/10
    assert.equal(row('macro').accuracy, 0.7);
    // Keras: cells > 0.5 = rows with p > .5: 0(T),2(T),3(T),5(T),6(T),8(F),9(T) -> TP 6 FP 1 FN 4
    assert.deepEqual([ker.tp, ker.fp, ker.fn], [6, 1, 4]);
    for (const r of t1.rows)
      for (const m of ['accuracy', 'precision', 'recall', 'f1'] as const) {
        const ci = r.ci![m];
        assert.equal(ci.estimate, r[m]);
        assert.ok(ci.lo <= ci.estimate && ci.estimate <= ci.hi, `${r.averaging} ${m}`);
      }
  });

  it('the audit finds the Keras pattern and the weighted-F1 collapse when they are present', () => {
    const t1 = table1FromPredictions(yTrue, probs, { bootstrap: false });
    // Keras P = 6/7 > acc 0.7 > R = 0.6
    const order = metricAudit(t1, { n: 10, levels: [] }, { rows: [], bootstrap: null });
    const o = order.find((c) => c.id === 'table1-precision-accuracy-recall-order')!;
    assert.ok(o.reproducedBy.includes('keras'));
    assert.ok(!o.reproducedBy.includes('micro'));
    // A single-class predictor (class 3, 30 % of samples) at high noise: F1 well below accuracy
    // for macro and weighted, never for micro.
    const runs: PredictionRun[] = [
      { level: 0, seed: 0, yPred: argmaxRows(probs) },
      { level: 0.3, seed: 0, yPred: new Int32Array(10).fill(3) },
    ];
    const t34 = table34FromPredictions(yTrue, runs);
    const t5 = table5FromPredictions(yTrue, argmaxRows(probs), { bootstrap: false });
    const audit = metricAudit(t1, t34, t5);
    const col = audit.find((c) => c.id === 'table4-f1-collapse-at-max-noise')!;
    assert.deepEqual(col.reproducedBy, ['macro', 'weighted']);
    // weighted F1 of a single-class predictor = 0.3 * 2*0.3/1.3
    const w = col.outcomes.find((x) => x.definition === 'weighted')!;
    assert.ok(Math.abs(w.values.f1 - (0.3 * 0.6) / 1.3) < 1e-12);
    assert.equal(t34.levels[1].topClassShare.mean, 1);
    assert.ok(audit.some((c) => c.id === 'table5-f1-above-accuracy'));
  });

  it('Table 5 groups use the true label and carry CIs', () => {
    const t5 = table5FromPredictions(yTrue, argmaxRows(probs), {
      bootstrap: { resamples: 100, seed: 1 },
    });
    const simple = t5.rows.find((r) => r.group === 'simple')!;
    // simple = {3,4,5}: samples 2..6, preds 3,3,4,4,5 vs true 3,3,3,4,5 -> 4/5
    assert.equal(simple.metrics.n, 5);
    assert.equal(simple.metrics.accuracy, 0.8);
    assert.ok(simple.ci!.accuracy.lo <= 0.8 && simple.ci!.accuracy.hi >= 0.8);
  });

  it('compareWithPaper puts ours beside the paper with diff = ours - paper', () => {
    const t1 = table1FromPredictions(yTrue, probs, { bootstrap: false });
    const t34 = table34FromPredictions(yTrue, [{ level: 0.3, seed: 0, yPred: argmaxRows(probs) }]);
    const t5 = table5FromPredictions(yTrue, argmaxRows(probs), { bootstrap: false });
    const rows = compareWithPaper('cnn', { table1: t1, table2: null, table34: t34, table5: t5 });
    const acc = rows.find((r) => r.table === 'table1' && r.metric === 'accuracy')!;
    assert.equal(acc.paper, PAPER.table1.cnn.accuracy);
    assert.ok(Math.abs(acc.diff - (0.7 - 0.65)) < 1e-12);
    const f30 = rows.find(
      (r) => r.table === 'table4' && r.key === '30%' && r.definition === 'weighted',
    )!;
    assert.equal(f30.paper, 0.05);
    assert.equal(rows.filter((r) => r.table === 'table3').length, 1);
    assert.equal(PAPER.table3.cnn.length, 10);
    assert.equal(PAPER.table4['cnn-lstm'].length, 10);
  });
});
