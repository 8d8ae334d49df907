import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { imagesToTensor } from '../../lib/data/tensor';
import { recalibrateBatchNorm } from '../../lib/eval/bn-recalibrate';
import { syntheticFer } from '../../lib/train/synthetic';
import { FerError } from '../../lib/util/errors';

/** conv → BN → relu → dropout → conv → BN → relu → global pool → dense: two BN layers in a row. */
function smallBnModel(dropout: number): tf.LayersModel {
  const input = tf.input({ shape: [48, 48, 1] });
  let y = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      strides: 2,
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    })
    .apply(input) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: 'bn1' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  y = tf.layers.dropout({ rate: dropout, seed: 2 }).apply(y) as tf.SymbolicTensor;
  y = tf.layers
    .conv2d({
      filters: 6,
      kernelSize: 3,
      strides: 2,
      kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    })
    .apply(y) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: 'bn2' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({
      units: 7,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
    })
    .apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** The largest absolute difference between two tensors. */
const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];

/** Sets every BatchNorm's moving statistics to values far from the data's (stale statistics). */
function spoil(model: tf.LayersModel): void {
  for (const name of ['bn1', 'bn2']) {
    const l = model.getLayer(name);
    const [gamma, beta, mean, variance] = l.getWeights();
    l.setWeights([gamma, beta, tf.fill(mean.shape, 3), tf.fill(variance.shape, 40)]);
  }
}

describe('BatchNorm recalibration', function () {
  const ds = syntheticFer({ n: 120, noise: 60 });
  const rows = Int32Array.from({ length: 96 }, (_, i) => i);
  before(() => tf.setBackend('cpu'));

  it("sets each layer's moving statistics to the exact moments of its test-time input", () => {
    const m = smallBnModel(0.3);
    spoil(m);
    const gammaBefore = m.getLayer('bn2').getWeights()[0].arraySync();
    const r = recalibrateBatchNorm(m, ds, rows, { batchSize: 40 }); // batches of 40, 40, 16
    assert.deepEqual(r, { layers: ['bn1', 'bn2'], images: 96 });
    // Independently: run the layers by hand, inference mode, with bn1's new statistics.
    const x = imagesToTensor(ds, rows);
    const conv1 = m.layers[1].apply(x) as tf.Tensor;
    const m1 = tf.moments(conv1, [0, 1, 2]);
    const [, , mean1, var1] = m.getLayer('bn1').getWeights();
    assert.ok(maxDiff(mean1, m1.mean) < 1e-5);
    assert.ok(maxDiff(var1, m1.variance) < 1e-5);
    let h = m.getLayer('bn1').apply(conv1, { training: false }) as tf.Tensor;
    h = tf.relu(h); // dropout is the identity at test time
    const conv2 = m.layers[5].apply(h) as tf.Tensor;
    const m2 = tf.moments(conv2, [0, 1, 2]);
    const [, , mean2, var2] = m.getLayer('bn2').getWeights();
    assert.ok(maxDiff(mean2, m2.mean) < 1e-4);
    assert.ok(maxDiff(var2, m2.variance) < 1e-4);
    // Gamma (and everything but the moving statistics) is untouched.
    assert.deepEqual(m.getLayer('bn2').getWeights()[0].arraySync(), gammaBefore);
  });

  it('then predicts what BatchNorm with the statistics of that whole batch predicts (dropout 0)', () => {
    const m = smallBnModel(0);
    spoil(m);
    const x = imagesToTensor(ds, rows);
    const batchStats = m.apply(x, { training: true }) as tf.Tensor;
    const spoiled = m.predict(x) as tf.Tensor;
    assert.ok(maxDiff(spoiled, batchStats) > 1e-2, 'the test needs a gap');
    recalibrateBatchNorm(m, ds, rows);
    const fixed = m.predict(x) as tf.Tensor;
    assert.ok(maxDiff(fixed, batchStats) < 1e-4);
  });

  it('is a FerError without images, and a no-op on a model without BatchNorm', () => {
    assert.throws(() => recalibrateBatchNorm(smallBnModel(0), ds, new Int32Array(0)), FerError);
    const plain = tf.sequential({
      layers: [tf.layers.flatten({ inputShape: [48, 48, 1] }), tf.layers.dense({ units: 7 })],
    });
    assert.deepEqual(recalibrateBatchNorm(plain, ds, rows), { layers: [], images: 96 });
  });
});
