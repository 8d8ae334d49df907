import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {
  buildModel,
  controlHiddenUnits,
  DESIGN_NAMES,
  DESIGNS,
  type DesignName,
  flopsPerImage,
  layerInfos,
  lstmParams,
  paperCounterpart,
  paramCounts,
  parseModelName,
  PAPER_MODELS,
} from '../../lib/models';
import { asPaperModel } from '../../lib/models/designs';
import { resolveTrainConfig } from '../../lib/train/config';
import { MODEL_NAMES } from '../../lib/models/meta';
import { FerError } from '../../lib/util/errors';

const TINY = { widthMultiplier: 1 / 16 };

/** Parameters of the named layer. */
const paramsOf = (m: tf.LayersModel, name: string): number => m.getLayer(name).countParams();
/** Parameters of the layers before the first one named `until` (the conv trunk). */
const paramsBefore = (m: tf.LayersModel, until: string): number => {
  const infos = layerInfos(m);
  const end = infos.findIndex((l) => l.name === until);
  assert.ok(end > 0, `no layer ${until} in ${m.name}`);
  return infos.slice(0, end).reduce((n, l) => n + l.params, 0);
};
const classes = (m: tf.LayersModel): string[] => m.layers.map((l) => l.getClassName());

describe('model designs', function () {
  const full = {} as Record<DesignName, tf.LayersModel>;

  before(async () => {
    await tf.setBackend('cpu');
    for (const n of DESIGN_NAMES) full[n] = buildModel(n);
  });
  after(() => {
    for (const m of Object.values(full)) m.dispose();
  });

  it('registry: the paper pair first, at least two other hybrids and a control; MODEL_NAMES stays the pair', () => {
    assert.deepEqual(DESIGN_NAMES.slice(0, 2), ['cnn', 'cnn-lstm']);
    assert.deepEqual([...MODEL_NAMES], ['cnn', 'cnn-lstm']);
    assert.deepEqual([...MODEL_NAMES], [...PAPER_MODELS]);
    const roles = DESIGN_NAMES.map((n) => DESIGNS[n].role);
    assert.ok(roles.filter((r) => r === 'hybrid').length >= 2);
    assert.equal(roles.filter((r) => r === 'control').length, 1);
    for (const n of DESIGN_NAMES) {
      assert.equal(parseModelName(n), n);
      assert.ok(DESIGNS[n].source.length > 0 && DESIGNS[n].diagram.length > 0, n);
      assert.ok(PAPER_MODELS.includes(paperCounterpart(n)), n);
    }
    assert.throws(
      () => parseModelName('rnn'),
      (e: unknown) => e instanceof FerError && /cnn-dense-control/.test(e.message),
    );
    assert.equal(asPaperModel('cnn-lstm'), 'cnn-lstm');
    assert.throws(() => asPaperModel('cnn-bilstm'), FerError);
  });

  it('the training config accepts every design and writes each to its own folder', () => {
    for (const n of DESIGN_NAMES) {
      const cfg = resolveTrainConfig(n, 'paper');
      assert.equal(cfg.model, n);
      assert.equal(cfg.out, `models/${n}`);
    }
    assert.throws(() => resolveTrainConfig('rnn'), /unknown model 'rnn'/);
  });

  it('every design maps 48x48x1 images to 7 softmax probabilities', () => {
    const x = tf.randomUniform([2, 48, 48, 1], 0, 1, 'float32', 3);
    for (const n of DESIGN_NAMES) {
      assert.deepEqual(full[n].outputs[0].shape, [null, 7], n);
      const last = full[n].layers[full[n].layers.length - 1];
      assert.equal(last.getConfig().activation, 'softmax', n);
      const m = buildModel(n, TINY);
      assert.deepEqual(m.outputs[0].shape, [null, 7], n);
      const p = m.predict(x) as tf.Tensor;
      assert.deepEqual(p.shape, [2, 7]);
      for (const s of p.sum(1).arraySync() as number[]) assert.ok(Math.abs(s - 1) < 1e-5, n);
      p.dispose();
      m.dispose();
    }
    x.dispose();
  });

  it('which designs recur: LSTMs in every hybrid, none in the CNN or the control', () => {
    const recurrent = (n: DesignName) =>
      classes(full[n]).some((c) => c === 'LSTM' || c === 'Bidirectional');
    for (const n of DESIGN_NAMES)
      assert.equal(recurrent(n), DESIGNS[n].role !== 'control' && n !== 'cnn', n);
    assert.deepEqual(
      classes(full['cnn-bilstm']).filter((c) => c === 'Bidirectional'),
      ['Bidirectional', 'Bidirectional'],
    );
  });

  it('non-recurrent control: same parameter count as the CNN+LSTM within 5 %, at three widths', () => {
    for (const w of [1, 0.5, 0.25]) {
      const hyb = w === 1 ? full['cnn-lstm'] : buildModel('cnn-lstm', { widthMultiplier: w });
      const ctl =
        w === 1
          ? full['cnn-dense-control']
          : buildModel('cnn-dense-control', { widthMultiplier: w });
      const a = paramCounts(hyb).total;
      const b = paramCounts(ctl).total;
      assert.ok(Math.abs(b - a) / a < 0.05, `width ${w}: control ${b} vs hybrid ${a}`);
      // The replaced blocks themselves match, not only the totals (the trunk and head are shared).
      const lstms = paramsOf(hyb, 'lstm1') + paramsOf(hyb, 'lstm2');
      const dense = paramsOf(ctl, 'step_dense') + paramsOf(ctl, 'mix') + paramsOf(ctl, 'mix_bn');
      assert.ok(Math.abs(dense - lstms) / lstms < 0.05, `width ${w}: block ${dense} vs ${lstms}`);
      assert.equal(paramsBefore(ctl, 'rows'), paramsBefore(hyb, 'rows'));
      assert.equal(paramsBefore(ctl, 'dense1') - paramsBefore(ctl, 'rows'), dense);
      assert.equal(
        paramCounts(ctl).total - paramsBefore(ctl, 'dense1'),
        paramCounts(hyb).total - paramsBefore(hyb, 'dense1'),
      );
      if (w !== 1) [hyb, ctl].forEach((m) => m.dispose());
    }
    // The diagram's per-row width is the one the builder solves for.
    assert.equal(
      full['cnn-dense-control'].getLayer('step_dense').getConfig().units,
      controlHiddenUnits(6, 3072, 160),
    );
    assert.match(
      DESIGNS['cnn-dense-control'].diagram,
      new RegExp(`Dense ${controlHiddenUnits(6, 3072, 160)} per row`),
    );
  });

  it('parameter counts: each hybrid differs from the CNN+LSTM only where its name says', () => {
    const hyb = full['cnn-lstm'];
    const total = (n: DesignName) => paramCounts(full[n]).total;
    // Spatial: same trunk and head; the first LSTM reads 512 features a step instead of 3,072.
    assert.equal(paramsBefore(full['cnn-lstm-spatial'], 'positions'), paramsBefore(hyb, 'rows'));
    assert.equal(
      total('cnn-lstm') - total('cnn-lstm-spatial'),
      lstmParams(3072, 160) - lstmParams(512, 160),
    );
    // Bidirectional: both LSTMs doubled, the second reads 320, the head reads 320.
    assert.equal(paramsOf(full['cnn-bilstm'], 'bilstm1'), 2 * paramsOf(hyb, 'lstm1'));
    assert.equal(paramsOf(full['cnn-bilstm'], 'bilstm2'), 2 * lstmParams(320, 160));
    assert.equal(paramsOf(full['cnn-bilstm'], 'dense1') - paramsOf(hyb, 'dense1'), 160 * 256);
    // One step: the CNN's full conv trunk (all four blocks, same layers, same counts).
    const cnnTrunk = paramsBefore(full.cnn, 'flatten');
    assert.equal(paramsBefore(full['cnn-lstm-seq1'], 'single'), cnnTrunk);
    assert.equal(paramsOf(full['cnn-lstm-seq1'], 'lstm1'), lstmParams(4608, 160));
    assert.equal(paramsOf(full['cnn-lstm-seq1'], 'lstm2'), paramsOf(hyb, 'lstm2'));
    // Every builder's count is what Keras's LSTM formula gives for its recurrent layers.
    assert.equal(paramsOf(hyb, 'lstm1'), lstmParams(3072, 160));
  });

  it('FLOPs per image follow the layer formulas, bidirectional counted twice', () => {
    const f = (m: tf.LayersModel, name: string) =>
      layerInfos(m).find((l) => l.name === name)?.flops ?? NaN;
    const hyb = full['cnn-lstm'];
    assert.equal(f(full['cnn-bilstm'], 'bilstm1'), 2 * f(hyb, 'lstm1'));
    assert.equal(f(full['cnn-lstm-spatial'], 'lstm1'), 2 * 36 * 4 * 160 * (512 + 160));
    assert.equal(f(full['cnn-lstm-seq1'], 'lstm1'), 2 * 1 * 4 * 160 * (4608 + 160));
    assert.equal(
      f(full['cnn-dense-control'], 'step_dense'),
      2 * 6 * 3072 * controlHiddenUnits(6, 3072, 160),
    );
    // The conv trunk dominates: the control and the CNN+LSTM share it and differ by < 5 % in total.
    const [a, b] = [flopsPerImage(hyb), flopsPerImage(full['cnn-dense-control'])];
    assert.ok(Math.abs(a - b) / a < 0.05, `${a} vs ${b}`);
    for (const n of DESIGN_NAMES)
      assert.equal(
        flopsPerImage(full[n]),
        layerInfos(full[n]).reduce((s, l) => s + l.flops, 0),
      );
  });

  it("docs/designs.md's table gives every design's computed parameters and FLOPs", () => {
    const doc = fs.readFileSync('docs/designs.md', 'utf8');
    for (const n of DESIGN_NAMES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${n}\``));
      assert.ok(row, `no row for ${n}`);
      const [, , , params, flops] = row.split('|').map((c) => c.trim());
      assert.equal(params, paramCounts(full[n]).total.toLocaleString('en-US'), n);
      assert.equal(flops, `${(flopsPerImage(full[n]) / 1e6).toFixed(1)} M`, n);
    }
  });

  it('same seed gives the same initial weights; another seed does not', () => {
    for (const n of DESIGN_NAMES) {
      const [a, b, c] = [5, 5, 6].map((seed) => buildModel(n, { ...TINY, seed }));
      const wa = a.getWeights();
      const wb = b.getWeights();
      const wc = c.getWeights();
      assert.equal(wa.length, wb.length);
      wa.forEach((w, i) => assert.deepEqual(w.dataSync(), wb[i].dataSync(), `${n} weight ${i}`));
      assert.ok(
        wa.some((w, i) => w.size > 1 && tf.notEqual(w, wc[i]).any().dataSync()[0] === 1),
        `${n}: seed 6 equals seed 5`,
      );
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  it('recurrent kernels start orthogonal; the two directions of a BiLSTM start different', () => {
    for (const n of ['cnn-lstm-spatial', 'cnn-lstm-seq1', 'cnn-bilstm'] as const) {
      const rec = full[n].layers.filter((l) =>
        ['LSTM', 'Bidirectional'].includes(l.getClassName()),
      );
      for (const l of rec)
        for (let d = 0; d < l.weights.length / 3; d++) {
          const rk = l.weights[3 * d + 1].read() as tf.Tensor2D;
          const gram = tf.matMul(rk, rk, false, true);
          const err = tf.sub(gram, tf.eye(rk.shape[0])).abs().max().dataSync()[0];
          assert.ok(err < 1e-4, `${n} ${l.name} direction ${d}: |QQ'-I| = ${err}`);
          gram.dispose();
        }
    }
    for (const l of full['cnn-bilstm'].layers.filter((x) => x.getClassName() === 'Bidirectional')) {
      const [fk, , , bk] = l.weights.map((w) => w.read());
      assert.ok(
        tf.notEqual(fk, bk).any().dataSync()[0] === 1,
        `${l.name}: forward and backward kernels equal`,
      );
    }
  });

  it('a tiny model of every design trains: finite losses that fall on a fixed batch', async () => {
    const x = tf.randomUniform([4, 48, 48, 1], 0, 1, 'float32', 11);
    const y = tf.oneHot(tf.tensor1d([0, 3, 5, 6], 'int32'), 7);
    for (const n of DESIGN_NAMES) {
      const m = buildModel(n, { ...TINY, dropout: 0, denseDropout: 0, seed: 2 });
      m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) losses.push((await m.trainOnBatch(x, y)) as number);
      assert.ok(losses.every(Number.isFinite), `${n}: ${losses}`);
      assert.ok(losses[losses.length - 1] < losses[0], `${n}: ${losses.map((l) => l.toFixed(3))}`);
      m.dispose();
    }
    x.dispose();
    y.dispose();
  });

  it('every design survives a save and load with the same predictions (what fer eval reads)', async () => {
    const x = tf.randomUniform([2, 48, 48, 1], 0, 1, 'float32', 4);
    for (const n of DESIGN_NAMES) {
      const m = buildModel(n, TINY);
      let artifacts: tf.io.ModelArtifacts | undefined;
      await m.save(
        tf.io.withSaveHandler(async (a) => {
          artifacts = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const back = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
      const [p, q] = [m, back].map((k) => (k.predict(x) as tf.Tensor).dataSync());
      assert.deepEqual(Array.from(q), Array.from(p), n);
      assert.equal(paramCounts(back).total, paramCounts(m).total, n);
      [m, back].forEach((k) => k.dispose());
    }
    x.dispose();
  });
});
