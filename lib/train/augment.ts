/**
 * Training-time Gaussian-noise augmentation, the standard remedy for noise sensitivity (not part
 * of the paper). Each image in a batch gets its own σ ~ U(0, σ_max) and then
 * clip(x + N(0, σ²), 0, 1), the same noise model as the paper's test-time noise (lib/data/noise).
 * A σ drawn per image (rather than one fixed σ) keeps clean-ish images in every batch, so clean
 * accuracy is not traded away wholesale.
 *
 * All randomness comes from the caller's Rng (the training loop's), whose state is checkpointed
 * every epoch, so a resumed run draws exactly the same noise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../data/classes';
import type { FerDataset } from '../data/dataset';
import { addGaussianNoise } from '../data/noise';
import { normalizeImages } from '../data/tensor';
import type { Rng } from '../util/rng';

/** Rows `indices` as [n, 48, 48, 1] in [0, 1], each with noise of σ ~ U(0, sigmaMax). */
export function noiseAugmentedImages(
  ds: FerDataset,
  indices: ArrayLike<number>,
  sigmaMax: number,
  rng: Rng,
): tf.Tensor4D {
  if (!(sigmaMax >= 0)) throw new RangeError(`sigmaMax must be >= 0, got ${sigmaMax}`);
  const x = normalizeImages(ds, indices);
  for (let k = 0; k < indices.length; k++) {
    const sigma = sigmaMax * rng.next();
    addGaussianNoise(x.subarray(k * PIXELS_PER_IMAGE, (k + 1) * PIXELS_PER_IMAGE), sigma, rng);
  }
  return tf.tensor4d(x, [indices.length, IMAGE_SIZE, IMAGE_SIZE, 1], 'float32');
}
