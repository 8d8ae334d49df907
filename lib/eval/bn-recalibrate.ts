/**
 * Re-estimates BatchNorm's moving statistics after training (not part of the paper's recipe).
 *
 * Keras-style BatchNorm keeps exponential moving averages (momentum 0.99) of the batch mean and
 * variance it saw while training. Those trail the weights, and they include the extra variance
 * that Dropout adds in training but not at test time, so a model can be evaluated with
 * statistics that do not match what its layers produce at test time
 * (scripts/bn-diagnostic.ts measures how much that costs).
 *
 * `recalibrateBatchNorm` replaces every BatchNorm layer's moving mean and variance with the
 * exact mean and (population) variance of that layer's input over the given images, computed in
 * inference mode (Dropout off), one layer at a time in network order, so that each layer's
 * statistics are taken after the layers before it were re-estimated: for a channel c,
 *
 *   mean_c = (1/M) Σ x_c,   var_c = (1/M) Σ x_c² − mean_c²   (M = images × positions; float64 sums).
 *
 * Only the moving statistics change; gamma, beta and every other weight stay as trained.
 */
import * as tf from '@tensorflow/tfjs';
import type { FerDataset } from '../data';
import { imagesToTensor } from '../data/tensor';
import { FerError } from '../util/errors';

export interface BnRecalibration {
  /** BatchNorm layers re-estimated, in network order. */
  layers: string[];
  images: number;
}

/** The BatchNorm layers of a model, in the order Keras lists them (network order). */
function batchNormLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
}

/**
 * Per-channel mean and population variance of `sub`'s output over `rows` (the last axis is the
 * channel axis; sums in float64).
 */
function channelMoments(
  sub: tf.LayersModel,
  ds: FerDataset,
  rows: Int32Array,
  batchSize: number,
): { mean: Float32Array; variance: Float32Array } {
  let sum: Float64Array | null = null;
  let sumSq: Float64Array | null = null;
  let count = 0;
  for (let s = 0; s < rows.length; s += batchSize) {
    const batch = rows.subarray(s, Math.min(s + batchSize, rows.length));
    const y = tf.tidy(() => sub.predict(imagesToTensor(ds, batch)) as tf.Tensor);
    const v = y.dataSync() as Float32Array;
    const channels = y.shape[y.shape.length - 1] as number;
    y.dispose();
    sum ??= new Float64Array(channels);
    sumSq ??= new Float64Array(channels);
    for (let i = 0; i < v.length; i += channels)
      for (let c = 0; c < channels; c++) {
        const x = v[i + c];
        sum[c] += x;
        sumSq[c] += x * x;
      }
    count += v.length / channels;
  }
  if (!sum || !sumSq) throw new FerError('recalibrateBatchNorm: no images given');
  const mean = new Float32Array(sum.length);
  const variance = new Float32Array(sum.length);
  for (let c = 0; c < sum.length; c++) {
    const m = sum[c] / count;
    mean[c] = m;
    variance[c] = Math.max(0, sumSq[c] / count - m * m);
  }
  return { mean, variance };
}

/**
 * Replaces the moving mean and variance of every BatchNorm layer in `model` (in place) with
 * their values over the images `rows` of `ds`; see the module comment.
 */
export function recalibrateBatchNorm(
  model: tf.LayersModel,
  ds: FerDataset,
  rows: Int32Array,
  opts: { batchSize?: number } = {},
): BnRecalibration {
  if (rows.length === 0) throw new FerError('recalibrateBatchNorm: no images given');
  const layers = batchNormLayers(model);
  for (const layer of layers) {
    const names = layer.weights.map((w) => w.originalName);
    const iMean = names.findIndex((n) => n.endsWith('moving_mean'));
    const iVar = names.findIndex((n) => n.endsWith('moving_variance'));
    if (iMean < 0 || iVar < 0)
      throw new FerError(`recalibrateBatchNorm: ${layer.name} has no moving statistics`);
    // The layer's own input, as the trained network (with the layers before it re-estimated)
    // computes it at test time.
    const sub = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
    const { mean, variance } = channelMoments(sub, ds, rows, opts.batchSize ?? 256);
    // getWeights() hands out the layer's variables themselves: only the new tensors are freed.
    const weights = layer.getWeights();
    const made = [tf.tensor1d(mean), tf.tensor1d(variance)];
    weights[iMean] = made[0];
    weights[iVar] = made[1];
    layer.setWeights(weights);
    tf.dispose(made);
  }
  return { layers: layers.map((l) => l.name), images: rows.length };
}
