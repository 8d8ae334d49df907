/**
 * Model outputs on dataset rows: softmax probabilities, batched and inside tf.tidy, with the
 * paper's Gaussian noise added to the test images only (through the data layer).
 */
import * as tf from '@tensorflow/tfjs';
import { imagesToTensor } from '../data';
import type { FerDataset } from '../data';
import { FerError } from '../util/errors';
import { Rng } from '../util/rng';

export { argmaxRows } from './metrics';

export interface PredictOptions {
  /** Gaussian noise sigma on the [0, 1] pixel scale; 0 (default) = the clean images exactly. */
  noise?: number;
  /** Seed of the noise stream (default 0). */
  seed?: number;
  /** Images per predict call (default 256). */
  batchSize?: number;
}

/**
 * Softmax probabilities of `model` on rows `indices`, row-major n x k (k = model outputs).
 * One noise stream runs through all batches in order, so the noise an image gets does not
 * depend on the batch size.
 */
export async function predictProba(
  model: tf.LayersModel,
  ds: FerDataset,
  indices: Int32Array,
  opts: PredictOptions = {},
): Promise<Float32Array> {
  const batchSize = opts.batchSize ?? 256;
  const noise = opts.noise ?? 0;
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new FerError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!(noise >= 0)) throw new FerError(`noise must be >= 0, got ${noise}`);
  const outShape = model.outputs[0].shape;
  const k = outShape[outShape.length - 1];
  if (k === null) throw new FerError('model output has no fixed class dimension');
  const out = new Float32Array(indices.length * k);
  const rng = noise > 0 ? new Rng(opts.seed ?? 0) : undefined;
  for (let s = 0; s < indices.length; s += batchSize) {
    const rows = indices.subarray(s, Math.min(s + batchSize, indices.length));
    const y = tf.tidy(() => {
      const x = imagesToTensor(ds, rows, { noise, rng });
      return model.predict(x, { batchSize: rows.length }) as tf.Tensor;
    });
    // await data() instead of dataSync() so GPU/WebGPU backends do not block the event loop.
    const v = (await y.data()) as Float32Array;
    y.dispose();
    out.set(v, s * k);
  }
  return out;
}
