import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/classes';
import { convBlock, denseBlock, softmaxOutput } from './blocks';
import { LayerSeeds, type ModelOptions, resolveModelOptions, scaled } from './options';

/** The paper's Table 2 parameter count for the CNN. */
export const PAPER_CNN_PARAMS = 4_478_727;

/** (filters, kernel) of the four conv blocks of the widely copied FER2013 notebook CNN. */
export const CNN_CONV_BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [64, 3],
  [128, 5],
  [512, 3],
  [512, 3],
];
/** Hidden dense widths of the classifier head. */
export const CNN_DENSE_UNITS: readonly number[] = [256, 512];

/**
 * The paper's CNN. At the defaults it has exactly 4,478,727 parameters, Table 2's count
 * (3,968 of them BatchNorm moving statistics, counted as Keras does):
 *
 *   4 × [Conv2D(same) → BN → ReLU → MaxPool 2 → Dropout 0.25] with 64/3x3, 128/5x5, 512/3x3,
 *   512/3x3; Flatten; Dense 256 → BN → ReLU → Dropout; Dense 512 → BN → ReLU → Dropout;
 *   Dense 7 softmax. Input 48x48x1 in [0, 1].
 */
export function buildCnn(opts: ModelOptions = {}): tf.LayersModel {
  const o = resolveModelOptions(opts);
  const s = new LayerSeeds(o.seed, o.l2, o.bnMomentum);
  const input = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: 'image' });
  let x = input;
  CNN_CONV_BLOCKS.forEach(([filters, kernel], i) => {
    x = convBlock(x, `block${i + 1}`, scaled(filters, o.widthMultiplier), kernel, o.dropout, s);
  });
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  CNN_DENSE_UNITS.forEach((units, i) => {
    x = denseBlock(x, `dense${i + 1}`, scaled(units, o.widthMultiplier), o.denseDropout, s);
  });
  const out = softmaxOutput(x, NUM_CLASSES, s);
  return tf.model({ inputs: input, outputs: out, name: 'cnn' });
}
