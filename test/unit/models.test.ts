import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import {
  buildCnn,
  buildCnnLstm,
  buildModel,
  flopsPerImage,
  layerInfos,
  modelSummary,
  paramCounts,
  PAPER_CNN_LSTM_PARAMS,
  PAPER_CNN_PARAMS,
} from '../../lib/models';
import { enumerateHybrids } from '../../lib/models/hybrid-search';
import { orthogonalRows } from '../../lib/models/orthogonal';
import { FerError } from '../../lib/util/errors';

/** "ClassName shape" per layer, without the batch dimension. */
const layerList = (m: tf.LayersModel): string[] =>
  layerInfos(m).map((l) => `${l.className} ${l.outputShape.join('x')}`);

const block = (f: number, hw: number): string[] => [
  `Conv2D ${hw}x${hw}x${f}`,
  `BatchNormalization ${hw}x${hw}x${f}`,
  `Activation ${hw}x${hw}x${f}`,
  `MaxPooling2D ${hw / 2}x${hw / 2}x${f}`,
  `Dropout ${hw / 2}x${hw / 2}x${f}`,
];
const dense = (u: number): string[] => [
  `Dense ${u}`,
  `BatchNormalization ${u}`,
  `Activation ${u}`,
  `Dropout ${u}`,
];

describe('models', function () {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it("CNN: exactly the paper's 4,478,727 parameters, 3,968 of them BN statistics", () => {
    const m = buildCnn();
    assert.deepEqual(paramCounts(m), {
      total: 4_478_727,
      trainable: 4_474_759,
      nonTrainable: 3_968,
    });
    assert.equal(paramCounts(m).total, PAPER_CNN_PARAMS);
    assert.deepEqual(layerList(m), [
      'InputLayer 48x48x1',
      ...block(64, 48),
      ...block(128, 24),
      ...block(512, 12),
      ...block(512, 6),
      'Flatten 4608',
      ...dense(256),
      ...dense(512),
      'Dense 7',
    ]);
    m.dispose();
  });

  it('CNN+LSTM: 3 conv blocks, 6 rows of 3,072 features, LSTM 160 x2, Dense 256 head', () => {
    const m = buildCnnLstm();
    assert.deepEqual(paramCounts(m), {
      total: 3_117_319,
      trainable: 3_115_399,
      nonTrainable: 1_920,
    });
    assert.equal(paramCounts(m).total - PAPER_CNN_LSTM_PARAMS, -3_968);
    assert.deepEqual(layerList(m), [
      'InputLayer 48x48x1',
      ...block(64, 48),
      ...block(128, 24),
      ...block(512, 12),
      'Reshape 6x3072',
      'LSTM 6x160',
      'LSTM 160',
      ...dense(256),
      'Dense 7',
    ]);
    m.dispose();
  });

  it('the hybrid has fewer parameters and FLOPs than the CNN; FLOPs follow the formulas', () => {
    const cnn = buildCnn();
    const hyb = buildCnnLstm();
    // Conv: 2*H*W*Cout*k*k*Cin; dense: 2*in*out; LSTM: 2*T*4*u*(in+u).
    const conv = 2 * (48 * 48 * 64 * 9 * 1 + 24 * 24 * 128 * 25 * 64 + 12 * 12 * 512 * 9 * 128);
    const cnnFlops = conv + 2 * (6 * 6 * 512 * 9 * 512) + 2 * (4608 * 256 + 256 * 512 + 512 * 7);
    const hybFlops =
      conv + 2 * 6 * 4 * 160 * (3072 + 160) + 2 * 6 * 4 * 160 * 320 + 2 * (160 * 256 + 256 * 7);
    assert.equal(flopsPerImage(cnn), cnnFlops);
    assert.equal(flopsPerImage(hyb), hybFlops);
    assert.ok(flopsPerImage(hyb) < flopsPerImage(cnn));
    assert.ok(paramCounts(hyb).total < paramCounts(cnn).total);
    cnn.dispose();
    hyb.dispose();
  });

  it('summary: Keras-style table with totals, FLOPs and the gap to the paper', () => {
    const m = buildCnnLstm();
    const s = modelSummary(m);
    assert.match(s, /lstm1 \(LSTM\)\s+\(None, 6, 160\)\s+2,069,120/);
    assert.match(s, /Total params: 3,117,319/);
    assert.match(s, /Trainable params: 3,115,399/);
    assert.match(s, /Non-trainable params: 1,920/);
    assert.match(s, /FLOPs per image: 435,817,984/);
    assert.match(s, /Paper \(Table 2, full width\): 3,121,287 params; gap: -3,968/);
    m.dispose();
  });

  it('same seed gives the same initial weights; another seed does not', () => {
    for (const name of ['cnn', 'cnn-lstm'] as const) {
      const a = buildModel(name, { widthMultiplier: 0.125, seed: 5 }).getWeights();
      const b = buildModel(name, { widthMultiplier: 0.125, seed: 5 }).getWeights();
      const c = buildModel(name, { widthMultiplier: 0.125, seed: 6 }).getWeights();
      const same = (x: tf.Tensor[], y: tf.Tensor[]): boolean =>
        x.every((t, i) => tf.util.arraysEqual(t.dataSync(), y[i].dataSync()));
      assert.ok(same(a, b), name);
      assert.ok(!same(a, c), name);
    }
  });

  it('width multiplier scales the same architecture', () => {
    const m = buildCnn({ widthMultiplier: 0.25 });
    assert.deepEqual(
      layerInfos(m)
        .filter((l) => l.className === 'Conv2D' || l.className === 'Dense')
        .map((l) => l.outputShape.at(-1)),
      [16, 32, 128, 128, 64, 128, 7],
    );
    const h = buildCnnLstm({ widthMultiplier: 0.25 });
    assert.deepEqual(
      layerInfos(h)
        .filter((l) => l.className === 'LSTM')
        .map((l) => l.outputShape.at(-1)),
      [40, 40],
    );
  });

  it('LSTM recurrent kernels start orthogonal', () => {
    const q = orthogonalRows(8, 32, 1);
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 8; j++) {
        let dot = 0;
        for (let k = 0; k < 32; k++) dot += q[i * 32 + k] * q[j * 32 + k];
        assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-5, `${i},${j}: ${dot}`);
      }
  });

  it('bad options are FerErrors', () => {
    assert.throws(() => buildCnn({ widthMultiplier: 0 }), FerError);
    assert.throws(() => buildCnn({ dropout: 1 }), FerError);
    assert.throws(() => buildCnnLstm({ seed: 1.5 }), FerError);
    assert.throws(() => buildModel('rnn' as 'cnn'), /unknown model 'rnn'/);
  });
});

describe('hybrid search', () => {
  it('no natural variant has 3,121,287; ours is the closest with two equal unidirectional LSTMs', () => {
    const all = enumerateHybrids();
    assert.equal(all.length, 3960);
    assert.ok(!all.some((v) => v.params === PAPER_CNN_LSTM_PARAMS));
    const gap = (v: { params: number }): number => Math.abs(v.params - PAPER_CNN_LSTM_PARAMS);
    const equalUni = all
      .filter((v) => !v.bidirectional && v.units.length === 2 && v.units[0] === v.units[1])
      .sort((a, b) => gap(a) - gap(b));
    assert.equal(
      equalUni[0].description,
      '3 conv blocks, 6 rows x 3072, LSTM 160 + LSTM 160, head dense256',
    );
    // The closed form agrees with what tfjs builds.
    const m = buildCnnLstm();
    assert.equal(equalUni[0].params, paramCounts(m).total);
    m.dispose();
    assert.equal(all.filter((v) => gap(v) < gap(equalUni[0])).length, 3);
  });
});
