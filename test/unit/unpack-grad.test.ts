import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../../lib/models';

describe('models: the Unpack gradient fix survives another tfjs-core', () => {
  it('a 1-step LSTM design still trains after a second copy re-registers the stock gradient', async () => {
    // What danfojs-node's nested tfjs-core does when it loads: its own Unpack gradient,
    // which fails on a single-output unstack.
    tf.registerGradient({
      kernelName: 'Unpack',
      gradFunc: (dy: tf.Tensor | tf.Tensor[], _s: tf.Tensor[], attrs: tf.NamedAttrMap) => ({
        value: () => tf.stack(dy as tf.Tensor[], attrs.axis as number),
      }),
    });
    const m = buildModel('cnn-lstm-seq1', { widthMultiplier: 1 / 16, seed: 3 });
    m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const x = tf.randomUniform([2, 48, 48, 1], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([1, 4], 'int32'), 7);
    const loss = (await m.trainOnBatch(x, y)) as number;
    assert.ok(Number.isFinite(loss));
    [m, x, y].forEach((t) => t.dispose());
  });
});
