/**
 * From the uint8 dataset to model inputs: float32 in [0, 1], shaped [n, 48, 48, 1]. Each batch
 * is produced with exactly one copy (uint8 rows → one Float32Array that the tensor takes over).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng';
import { IMAGE_SIZE, NUM_CLASSES, PIXELS_PER_IMAGE } from './classes';
import type { FerDataset } from './dataset';
import { addGaussianNoise } from './noise';

/** v / 255 for every byte value, so normalising is a table lookup. */
const SCALE = Float32Array.from({ length: 256 }, (_, v) => v / 255);

export interface ImageOptions {
  /** Gaussian noise σ on the [0, 1] scale (0 = none). */
  noise?: number;
  /** Seed of the noise generator (default 0); ignored when `rng` is given. */
  seed?: number;
  /** Noise generator to continue from (e.g. one per evaluation run). */
  rng?: Rng;
}

/** Rows `indices` as float32 in [0, 1], row-major [n * 2304], with optional noise. */
export function normalizeImages(
  ds: FerDataset,
  indices: ArrayLike<number>,
  opts: ImageOptions = {},
  out?: Float32Array,
): Float32Array {
  const n = indices.length;
  const x = out ?? new Float32Array(n * PIXELS_PER_IMAGE);
  if (x.length < n * PIXELS_PER_IMAGE) throw new RangeError('output buffer too small');
  const p = ds.pixels;
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    if (!(i >= 0 && i < ds.n)) throw new RangeError(`row index ${i} out of range 0..${ds.n - 1}`);
    const src = i * PIXELS_PER_IMAGE;
    const dst = k * PIXELS_PER_IMAGE;
    for (let j = 0; j < PIXELS_PER_IMAGE; j++) x[dst + j] = SCALE[p[src + j]];
  }
  if (opts.noise) addGaussianNoise(x.subarray(0, n * PIXELS_PER_IMAGE), opts.noise, opts.rng ?? new Rng(opts.seed ?? 0));
  return x;
}

/** Rows `indices` as a [n, 48, 48, 1] float32 tensor in [0, 1]. The caller disposes it. */
export function imagesToTensor(
  ds: FerDataset,
  indices: ArrayLike<number>,
  opts: ImageOptions = {},
): tf.Tensor4D {
  const x = normalizeImages(ds, indices, opts);
  return tf.tensor4d(x, [indices.length, IMAGE_SIZE, IMAGE_SIZE, 1], 'float32');
}

/** Labels 0..6 of rows `indices`. */
export function labelsOf(ds: FerDataset, indices: ArrayLike<number>): Int32Array {
  const y = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) y[k] = ds.labels[indices[k]];
  return y;
}

/** One-hot float32 matrix [n, numClasses] (categorical cross-entropy targets). */
export function oneHot(labels: ArrayLike<number>, numClasses = NUM_CLASSES): tf.Tensor2D {
  const y = new Float32Array(labels.length * numClasses);
  for (let k = 0; k < labels.length; k++) {
    const c = labels[k];
    if (!(c >= 0 && c < numClasses)) throw new RangeError(`label ${c} out of range 0..${numClasses - 1}`);
    y[k * numClasses + c] = 1;
  }
  return tf.tensor2d(y, [labels.length, numClasses], 'float32');
}

export interface Batch {
  /** [b, 48, 48, 1] images in [0, 1]. */
  x: tf.Tensor4D;
  /** [b, 7] one-hot labels. */
  y: tf.Tensor2D;
  /** The dataset rows in this batch. */
  indices: Int32Array;
}

export interface BatchOptions extends ImageOptions {
  /** Shuffle the order with this generator (one epoch = one call). */
  shuffle?: Rng;
  /** Drop a last batch smaller than batchSize. */
  dropRemainder?: boolean;
}

/**
 * Batches over `indices`, built lazily so only one batch is in memory at a time. The caller
 * disposes x and y of each batch.
 */
export function* batches(
  ds: FerDataset,
  indices: Int32Array,
  batchSize: number,
  opts: BatchOptions = {},
): Generator<Batch> {
  if (!(batchSize >= 1)) throw new RangeError(`batchSize must be >= 1, got ${batchSize}`);
  const order = Int32Array.from(indices);
  if (opts.shuffle) opts.shuffle.shuffle(order);
  // One noise stream across the whole pass, so batching does not change the noise drawn.
  const rng = opts.noise ? (opts.rng ?? new Rng(opts.seed ?? 0)) : undefined;
  for (let s = 0; s < order.length; s += batchSize) {
    const idx = order.subarray(s, Math.min(s + batchSize, order.length));
    if (opts.dropRemainder && idx.length < batchSize) break;
    const rows = Int32Array.from(idx);
    yield {
      x: imagesToTensor(ds, rows, { noise: opts.noise, rng }),
      y: oneHot(labelsOf(ds, rows)),
      indices: rows,
    };
  }
}
