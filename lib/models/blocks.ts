import * as tf from '@tensorflow/tfjs';
import type { LayerSeeds } from './options';

/** Conv2D(same) → BatchNorm → ReLU → MaxPool(2) → Dropout: one block of the paper's CNN. */
export function convBlock(
  x: tf.SymbolicTensor,
  name: string,
  filters: number,
  kernel: number,
  dropout: number,
  s: LayerSeeds,
): tf.SymbolicTensor {
  let y = tf.layers
    .conv2d({
      name: `${name}_conv`,
      filters,
      kernelSize: kernel,
      padding: 'same',
      kernelInitializer: s.glorot(),
      kernelRegularizer: s.regularizer(),
    })
    .apply(x) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: `${name}_bn`, momentum: s.bnMomentum }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.activation({ name: `${name}_relu`, activation: 'relu' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.maxPooling2d({ name: `${name}_pool`, poolSize: 2 }).apply(y) as tf.SymbolicTensor;
  return tf.layers
    .dropout({ name: `${name}_dropout`, rate: dropout, seed: s.seed() })
    .apply(y) as tf.SymbolicTensor;
}

/** Dense → BatchNorm → ReLU → Dropout: one hidden layer of the classifier head. */
export function denseBlock(
  x: tf.SymbolicTensor,
  name: string,
  units: number,
  dropout: number,
  s: LayerSeeds,
): tf.SymbolicTensor {
  let y = tf.layers
    .dense({ name, units, kernelInitializer: s.glorot(), kernelRegularizer: s.regularizer() })
    .apply(x) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ name: `${name}_bn`, momentum: s.bnMomentum }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.activation({ name: `${name}_relu`, activation: 'relu' }).apply(y) as tf.SymbolicTensor;
  return tf.layers
    .dropout({ name: `${name}_dropout`, rate: dropout, seed: s.seed() })
    .apply(y) as tf.SymbolicTensor;
}

/** The 7-way softmax output. */
export function softmaxOutput(x: tf.SymbolicTensor, classes: number, s: LayerSeeds): tf.SymbolicTensor {
  return tf.layers
    .dense({
      name: 'predictions',
      units: classes,
      activation: 'softmax',
      kernelInitializer: s.glorot(),
      kernelRegularizer: s.regularizer(),
    })
    .apply(x) as tf.SymbolicTensor;
}
