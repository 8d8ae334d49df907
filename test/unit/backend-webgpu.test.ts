/**
 * WebGPU through Dawn (`webgpu` npm package). Skips where no adapter exists (CI, machines without
 * a GPU or without the Vulkan loader); on a GPU machine it trains a tiny conv net one step and
 * checks it against the cpu backend.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../lib/backend';
import { probeWebgpu } from '../../lib/backend/webgpu';

async function oneStep(backend: string): Promise<{ loss: number; weights: Float32Array[] }> {
  await tf.setBackend(backend);
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({
        units: 3,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
  const x = tf.tensor4d(
    Float32Array.from({ length: 5 * 64 }, (_, i) => Math.sin(i)),
    [5, 8, 8, 1],
  );
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1], 'int32'), 3);
  const loss = (await model.trainOnBatch(x, y)) as number;
  const weights = model.getWeights().map((t) => t.dataSync() as Float32Array);
  tf.dispose([x, y]);
  model.dispose();
  return { loss, weights };
}

describe('webgpu backend', function () {
  after(async () => {
    await tf.setBackend('cpu');
  });

  it('trains a tiny conv net one step like cpu does (skips without an adapter)', async function () {
    const p = await probeWebgpu();
    if (!p.available) {
      console.log(`      (skipped: webgpu: ${p.reason})`);
      this.skip();
    }
    assert.equal(await setupBackend('webgpu'), 'webgpu');
    const gpu = await oneStep('webgpu');
    const cpu = await oneStep('cpu');
    assert.ok(Number.isFinite(gpu.loss));
    assert.ok(Math.abs(gpu.loss - cpu.loss) <= 1e-3 * Math.max(1, Math.abs(cpu.loss)));
    gpu.weights.forEach((w, i) => {
      let err = 0;
      for (let j = 0; j < w.length; j++) err = Math.max(err, Math.abs(w[j] - cpu.weights[i][j]));
      assert.ok(err <= 1e-3, `weight ${i} differs by ${err}`);
    });
  });
});
