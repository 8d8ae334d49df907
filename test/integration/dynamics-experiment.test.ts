import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../lib/backend';
import { NUM_CLASSES, PIXELS_PER_IMAGE } from '../../lib/data/classes';
import {
  assembleSequenceModel,
  buildTemporalModel,
  checkDisjoint,
  compareModels,
  DYNAMICS_QUICK,
  dynamicsPools,
  forwardFilter,
  frameEncoder,
  HEADS,
  lastStates,
  makeDynamicsSequences,
  nextStates,
  predictTemporal,
  runDynamics,
  type DynamicsConfig,
  savedFrameCnn,
  stepTargets,
  table6Rows,
  trainTemporalModel,
  type DynamicsSequences,
  type SequenceFeatures,
  type TransitionMatrix,
} from '../../lib/dynamics';
import { f1Score } from '../../lib/eval/metrics';
import { buildCnn } from '../../lib/models';
import { syntheticFer } from '../../lib/train/synthetic';
import { Rng } from '../../lib/util/rng';

/** rows 0..699, label = row % 7 */
const labels = Uint8Array.from({ length: 700 }, (_, i) => i % 7);
const pool = Int32Array.from({ length: 700 }, (_, i) => i);

describe('emotion dynamics: sequences and split hygiene', () => {
  it('keeps T frames and the hidden next state, which follows the chain', () => {
    const s = makeDynamicsSequences(labels, pool, { n: 50, T: 4, seed: 3 });
    assert.equal(s.states.length, 200);
    assert.equal(s.rows.length, 200);
    assert.equal(s.next.length, 50);
    s.rows.forEach((r, k) => assert.equal(labels[r], s.states[k]));
    assert.deepEqual(Array.from(lastStates(s).slice(0, 2)), [s.states[3], s.states[7]]);
    assert.deepEqual(nextStates(s), Int32Array.from(s.next));
    const y = stepTargets(s);
    assert.equal(y.next[0], s.states[1]);
    assert.equal(y.next[3], s.next[0]);
    assert.throws(() => makeDynamicsSequences(labels, pool, { n: 5, T: 0, seed: 1 }), /T must be/);
  });

  it('test sequences share no face, nor an exact copy of one, with training sequences', () => {
    const ds = syntheticFer({ n: 700, seed: 11 });
    // Plant a leak: a test row (usage != 0) that is a pixel copy of a training row.
    const trainRow = 3;
    const testRow = ds.usage.findIndex((u, i) => u !== 0 && ds.labels[i] === ds.labels[trainRow]);
    ds.pixels.copyWithin(
      testRow * PIXELS_PER_IMAGE,
      trainRow * PIXELS_PER_IMAGE,
      (trainRow + 1) * PIXELS_PER_IMAGE,
    );
    const pools = dynamicsPools(ds, { splitSeed: 0 });
    assert.ok(pools.droppedLeakedTest >= 1);
    assert.ok(!pools.test.includes(testRow), 'the leaked test face is dropped');
    assert.ok(
      pools.test.every((r) => ds.usage[r] !== 0) && pools.train.every((r) => ds.usage[r] === 0),
    );
    const tr = makeDynamicsSequences(ds.labels, pools.train, { n: 200, T: 8, seed: 1 });
    const te = makeDynamicsSequences(ds.labels, pools.test, { n: 200, T: 8, seed: 2 });
    const trainRows = new Set(tr.rows);
    assert.ok(te.rows.every((r) => !trainRows.has(r)));
    checkDisjoint(ds, tr.rows, te.rows, 'train vs test');
    // ...and the check itself does catch a shared face or a copy.
    assert.throws(
      () => checkDisjoint(ds, tr.rows, Int32Array.from([tr.rows[0]]), 'x'),
      /is in both/,
    );
    assert.throws(
      () => checkDisjoint(ds, Int32Array.from([trainRow]), Int32Array.from([testRow]), 'x'),
      /exact copy/,
    );
    // Rows the per-frame CNN trained on are kept out of the training pool.
    const exclude = pools.train.slice(0, 100);
    const p2 = dynamicsPools(ds, { splitSeed: 0, exclude, minPerClass: 1 });
    assert.equal(p2.excludedFrameTrain, 100);
    assert.ok(!p2.train.some((r) => exclude.includes(r)));
    // ...unless a class would run out of faces.
    assert.equal(dynamicsPools(ds, { exclude: pools.train, minPerClass: 1 }).excludedFrameTrain, 0);
  });
});

describe('emotion dynamics: sequence model', () => {
  before(async () => {
    await setupBackend('cpu');
  });

  it('has a frozen TimeDistributed encoder, an LSTM and two [T, 7] heads', () => {
    const cnn = buildCnn({ widthMultiplier: 0.0625, seed: 1 });
    const enc = frameEncoder(cnn);
    const F = enc.outputs[0].shape[1] as number;
    assert.equal(F, 32); // Dense 512 x 0.0625: the input of the CNN's softmax layer
    const temporal = buildTemporalModel({ T: 3, featureDim: F, units: 8, seed: 2 });
    assert.deepEqual(temporal.outputNames, [...HEADS]);
    const full = assembleSequenceModel(enc, temporal);
    assert.deepEqual(full.inputs[0].shape, [null, 3, 48, 48, 1]);
    assert.deepEqual(
      full.outputs.map((o) => o.shape),
      [
        [null, 3, NUM_CLASSES],
        [null, 3, NUM_CLASSES],
      ],
    );
    assert.ok(full.layers.some((l) => l.getClassName() === 'TimeDistributed'));
    assert.ok(temporal.layers.some((l) => l.getClassName() === 'LSTM'));
    // Only the temporal part trains; the encoder shares the CNN's weights.
    assert.equal(full.trainableWeights.length, temporal.trainableWeights.length);
    // Image-in model = encoder features then temporal model, and the heads are softmaxes.
    const x = tf.randomUniform([2, 3, 48, 48, 1], 0, 1, 'float32', 5);
    const [a, b] = full.predict(x) as tf.Tensor[];
    const f = enc.predict(x.reshape([6, 48, 48, 1])) as tf.Tensor;
    const [a2] = temporal.predict(f.reshape([2, 3, F])) as tf.Tensor[];
    assert.ok(tf.sub(a, a2).abs().max().dataSync()[0] < 1e-5);
    const sums = b.sum(-1).dataSync();
    sums.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-5));
    // Same seed, same initial weights.
    const t2 = buildTemporalModel({ T: 3, featureDim: F, units: 8, seed: 2 });
    assert.deepEqual(t2.getWeights()[1].dataSync(), temporal.getWeights()[1].dataSync());
    tf.dispose([x, a, b, f, a2]);
  });
});

/**
 * A world where temporal context provably helps: the chain is very persistent and half of the
 * frames are blank (the per-frame evidence is uniform), so the last frame alone is often
 * uninformative while an earlier frame of the same state usually is not.
 */
function ambiguousWorld(n: number, T: number, seed: number, P: TransitionMatrix) {
  const seqs = makeDynamicsSequences(labels, pool, { n, T, seed, P });
  const rng = new Rng(seed + 100);
  const x = new Float32Array(n * T * NUM_CLASSES);
  for (let k = 0; k < n * T; k++) {
    const blank = rng.next() < 0.5;
    for (let c = 0; c < NUM_CLASSES; c++)
      x[k * NUM_CLASSES + c] = blank ? 1 / NUM_CLASSES : c === seqs.states[k] ? 0.85 : 0.025;
  }
  const features: SequenceFeatures = { n, T, F: NUM_CLASSES, x };
  return { seqs, features };
}

function persistentChain(stay: number): TransitionMatrix {
  return Array.from({ length: NUM_CLASSES }, (_, i) =>
    Array.from({ length: NUM_CLASSES }, (_, j) =>
      i === j ? stay : (1 - stay) / (NUM_CLASSES - 1),
    ),
  );
}

function lastArgmax(p: ArrayLike<number>, seqs: DynamicsSequences, s: number): number {
  const off = (s * seqs.T + seqs.T - 1) * NUM_CLASSES;
  let best = 0;
  for (let c = 1; c < NUM_CLASSES; c++) if (p[off + c] > p[off + best]) best = c;
  return best;
}

describe('emotion dynamics: temporal context on ambiguous frames (synthetic)', () => {
  before(async () => {
    // wasm: the LSTM trains about 3x faster than on the plain-JS cpu backend (seeded either way).
    await setupBackend('wasm');
  });

  it('the HMM filter and the trained LSTM beat the per-frame model on the current frame', async () => {
    const P = persistentChain(0.9);
    const T = 6;
    const train = ambiguousWorld(512, T, 1, P);
    const val = ambiguousWorld(128, T, 2, P);
    const test = ambiguousWorld(300, T, 3, P);
    const temporal = buildTemporalModel({
      T,
      featureDim: NUM_CLASSES,
      units: 16,
      dropout: 0,
      seed: 4,
    });
    const fit = await trainTemporalModel(temporal, train, val, {
      epochs: 12,
      patience: 3,
      batchSize: 32,
      learningRate: 0.02,
      seed: 5,
    });
    assert.ok(fit.history.length >= 2 && fit.bestEpoch >= 1);
    const yCur = lastStates(test.seqs);
    const yNext = nextStates(test.seqs);
    const out = predictTemporal(temporal, test.features);
    const frame = new Int32Array(test.seqs.n);
    const hmm = new Int32Array(test.seqs.n);
    const lstm = new Int32Array(test.seqs.n);
    const lstmNext = new Int32Array(test.seqs.n);
    const prior = new Array(NUM_CLASSES).fill(1 / NUM_CLASSES);
    for (let s = 0; s < test.seqs.n; s++) {
      const probs = test.features.x.subarray(s * T * NUM_CLASSES, (s + 1) * T * NUM_CLASSES);
      frame[s] = lastArgmax(test.features.x, test.seqs, s);
      const post = forwardFilter(probs, T, P, prior);
      hmm[s] = lastArgmax(post, { ...test.seqs, n: 1 }, 0);
      lstm[s] = lastArgmax(out.current, test.seqs, s);
      lstmNext[s] = lastArgmax(out.next, test.seqs, s);
    }
    const where = { condition: 'synthetic', noise: 0, task: 'current' as const };
    const rows = table6Rows(
      yCur,
      { 'per-frame CNN': frame, 'HMM filter': hmm, 'CNN+LSTM': lstm },
      where,
      {
        resamples: 200,
      },
    );
    const acc = Object.fromEntries(rows.map((r) => [r.model, r.accuracy.estimate]));
    // Per frame: right when the last frame is informative (~1/2), else a guess (~1/7 of the rest).
    assert.ok(acc['per-frame CNN'] < 0.65, `per-frame ${acc['per-frame CNN']}`);
    assert.ok(acc['HMM filter'] > acc['per-frame CNN'] + 0.2, `HMM ${acc['HMM filter']}`);
    assert.ok(acc['CNN+LSTM'] > acc['per-frame CNN'] + 0.2, `LSTM ${acc['CNN+LSTM']}`);
    const c = compareModels(
      yCur,
      { model: 'CNN+LSTM', pred: lstm },
      { model: 'per-frame CNN', pred: frame },
      where,
      {
        resamples: 200,
      },
    );
    assert.equal(c.verdict, 'helps');
    assert.ok(c.mcnemar.pValue < 1e-6 && c.accuracyDiff.lo > 0);
    // Task (b): the next head does better than the per-frame model's persistence guess.
    let hitLstm = 0;
    let hitPersist = 0;
    for (let s = 0; s < yNext.length; s++) {
      if (lstmNext[s] === yNext[s]) hitLstm++;
      if (frame[s] === yNext[s]) hitPersist++;
    }
    assert.ok(hitLstm > hitPersist + 0.1 * yNext.length, `${hitLstm} vs ${hitPersist}`);
  });
});

describe('emotion dynamics: Table 6 rows', () => {
  it('computes accuracy, weighted F1, CIs and McNemar from known predictions', () => {
    const y = Int32Array.from([0, 0, 0, 0, 1, 1, 2, 2, 2, 2]);
    const a = Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2, 0]); // 8/10 right
    const b = Int32Array.from([0, 1, 1, 1, 1, 1, 2, 0, 0, 0]); // 4/10 right
    const where = { condition: 'clean', noise: 0, task: 'next' as const };
    const rows = table6Rows(y, { 'CNN+LSTM': a, 'per-frame CNN': b }, where, {
      resamples: 300,
      seed: 3,
    });
    assert.deepEqual(
      rows.map((r) => r.model),
      ['per-frame CNN', 'CNN+LSTM'],
    );
    const [rb, ra] = rows;
    assert.equal(ra.accuracy.estimate, 0.8);
    assert.equal(rb.accuracy.estimate, 0.4);
    // Weighted F1 by hand for A: class 0 tp 3 pred 4 true 4 -> 6/8; class 1 tp 2 pred 3 true 2
    // -> 4/5; class 2 tp 3 pred 3 true 4 -> 6/7; weighted by support 4, 2, 4.
    const f1a = (4 * (6 / 8) + 2 * (4 / 5) + 4 * (6 / 7)) / 10;
    assert.ok(Math.abs(ra.weightedF1.estimate - f1a) < 1e-12);
    assert.ok(Math.abs(rb.weightedF1.estimate - f1Score(y, b, { average: 'weighted' })) < 1e-12);
    for (const r of rows) {
      assert.equal(r.n, 10);
      assert.ok(r.accuracy.lo <= r.accuracy.estimate && r.accuracy.estimate <= r.accuracy.hi);
      assert.ok(
        r.weightedF1.lo <= r.weightedF1.estimate && r.weightedF1.estimate <= r.weightedF1.hi,
      );
      assert.match(r.predicts, /persistence|next/);
    }
    const c = compareModels(
      y,
      { model: 'CNN+LSTM', pred: a },
      { model: 'per-frame CNN', pred: b },
      where,
      {
        resamples: 300,
      },
    );
    // Only A right: indices 1, 2, 7, 8 (b = 4); only B right: none (c = 0): p = 2 * 0.5^4.
    assert.equal(c.mcnemar.b, 4);
    assert.equal(c.mcnemar.c, 0);
    assert.ok(Math.abs(c.mcnemar.pValue - 0.125) < 1e-12);
    assert.equal(c.verdict, 'no significant difference');
    assert.ok(Math.abs(c.accuracyDiff.estimate - 0.4) < 1e-12);
    assert.throws(() => table6Rows(y, { 'CNN+LSTM': a.slice(1) }, where), /9 predictions for 10/);
  });
});

describe('emotion dynamics: end to end on synthetic faces', () => {
  it('runs every model, clean and noisy, and writes Table 6 atomically', async () => {
    const ds = syntheticFer({ n: 700, seed: 5 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-dyn-'));
    const out = path.join(dir, 'table6.json');
    // The per-frame CNN is trained here through lib/train (tiny: 150 faces, one epoch).
    const cfg: DynamicsConfig = {
      ...DYNAMICS_QUICK,
      sequences: 40,
      valSequences: 10,
      testSequences: 30,
      T: 3,
      epochs: 1,
      units: 4,
      width: 0.0625,
      frameImages: 150,
      frameValImages: 30,
      frameEpochs: 1,
      noise: 0.1,
      bootstrap: 20,
      // wasm: training even a tiny CNN on the plain-JS cpu backend takes a minute.
      backend: 'wasm',
      frameOut: path.join(dir, 'frame-cnn'),
      out,
    };
    const r = await runDynamics(cfg, { dataset: ds, log: () => undefined });
    const onDisk = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(onDisk.rows.length, 14); // 2 conditions x (3 models on a + 4 on b)
    assert.equal(r.comparisons.length, 12);
    assert.equal(r.verdict.length, 4);
    assert.deepEqual(
      r.rows.filter((x) => x.model === 'Markov oracle').map((x) => x.task),
      ['next', 'next'],
    );
    // The 150 faces the CNN trained on are kept out of the training sequences' pool.
    assert.equal(r.pools.excludedFrameTrain, 150);
    assert.equal(r.frameModel.source, 'trained');
    assert.equal(r.frameModel.trainImages, 150);
    assert.ok(r.rows.every((x) => x.n === 30));
    assert.ok(Math.abs(r.chain.oracleNextAccuracyAnalytic - 0.7) < 0.1);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['frame-cnn', 'table6.json']); // no temp files

    // Run again with the same settings: the saved per-frame CNN is loaded, not retrained, and
    // the result is the same; with another setting (or retrain) it is trained anew.
    const again = await runDynamics(cfg, { dataset: ds, log: () => undefined, write: false });
    assert.equal(again.frameModel.source, 'loaded');
    assert.deepEqual(again.rows, r.rows);
    const other: DynamicsConfig = { ...cfg, frameEpochs: 2 };
    assert.equal(await savedFrameCnn(other, ds), null);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
