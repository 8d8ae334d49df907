/**
 * Hybrid designs beyond the paper pair, and the non-recurrent control. Each reuses the paper
 * CNN's conv blocks and the current hybrid's parts (two LSTM 160 layers, Dense-256 head), so
 * that two designs differ only in the part their names say. Diagrams and citations are in
 * `designs.ts` (the registry) and docs/designs.md.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/classes';
import { convBlock, denseBlock, softmaxOutput } from './blocks';
import { CNN_CONV_BLOCKS } from './cnn';
import { CNN_LSTM_CONV_BLOCKS, CNN_LSTM_DENSE_UNITS, CNN_LSTM_UNITS } from './cnn-lstm';
import { orthogonalRows } from './orthogonal';
import { LayerSeeds, type ModelOptions, type ResolvedModelOptions, resolveModelOptions, scaled } from './options';
// An LSTM over a 1-step sequence (cnn-lstm-seq1) needs the fixed Unpack gradient to train.
import './unpack-grad';

/** How a conv feature map [H, W, C] becomes the recurrent block's input sequence. */
export type SequenceLayout =
  /** H steps of W·C features (the face read top to bottom, one row per step). */
  | 'rows'
  /** H·W steps of C features (every position of the map, in raster order). */
  | 'positions'
  /** 1 step of H·W·C features (the flattened map as a one-element sequence). */
  | 'single';

interface Trunk {
  input: tf.SymbolicTensor;
  seq: tf.SymbolicTensor;
  o: ResolvedModelOptions;
  s: LayerSeeds;
}

/** The first `blocks` conv blocks of the paper CNN, then the map reshaped to a sequence. */
function trunk(opts: ModelOptions, blocks: number, layout: SequenceLayout): Trunk {
  const o = resolveModelOptions(opts);
  const s = new LayerSeeds(o.seed, o.l2, o.bnMomentum);
  const input = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: 'image' });
  let x = input;
  CNN_CONV_BLOCKS.slice(0, blocks).forEach(([filters, kernel], i) => {
    x = convBlock(x, `block${i + 1}`, scaled(filters, o.widthMultiplier), kernel, o.dropout, s);
  });
  const [, h, w, c] = x.shape as number[];
  const targetShape = layout === 'rows' ? [h, w * c] : layout === 'positions' ? [h * w, c] : [1, h * w * c];
  const seq = tf.layers.reshape({ name: layout, targetShape }).apply(x) as tf.SymbolicTensor;
  return { input, seq, o, s };
}

/** Dense-256 → BN → ReLU → Dropout, then the 7-way softmax: the current hybrid's head. */
function head(t: Trunk, x: tf.SymbolicTensor, name: string): tf.LayersModel {
  const y = denseBlock(x, 'dense1', scaled(CNN_LSTM_DENSE_UNITS, t.o.widthMultiplier), t.o.denseDropout, t.s);
  return tf.model({ inputs: t.input, outputs: softmaxOutput(y, NUM_CLASSES, t.s), name });
}

function lstm(name: string, units: number, returnSequences: boolean, s: LayerSeeds): tf.layers.RNN {
  return tf.layers.lstm({
    name,
    units,
    returnSequences,
    kernelInitializer: s.glorot(),
    // Set by initRecurrent: tfjs's orthogonal initializer is too slow (see cnn-lstm.ts).
    recurrentInitializer: 'zeros',
    kernelRegularizer: s.regularizer(),
  });
}

/**
 * Seeded initial weights for LSTM and Bidirectional(LSTM) layers, written after the model is
 * built. A layer's weights are [kernel, recurrentKernel, bias] per direction. The recurrent
 * kernels get an orthogonal matrix (Keras's default). A Bidirectional layer builds its
 * backward LSTM from the forward one's config, seed included, so both directions would start
 * with the same input kernel; the backward one gets a fresh Glorot draw.
 */
function initRecurrent(layers: tf.layers.Layer[], s: LayerSeeds): void {
  for (const l of layers) {
    const per = l.weights.length / 3;
    for (let d = 0; d < per; d++) {
      if (d > 0) {
        const k = l.weights[3 * d];
        const fresh = s.glorot().apply(k.shape as number[]) as tf.Tensor;
        k.write(fresh);
        fresh.dispose();
      }
      const rk = l.weights[3 * d + 1];
      const [units, gates] = rk.shape as number[];
      const q = tf.tensor2d(orthogonalRows(units, gates, s.seed()), [units, gates]);
      rk.write(q);
      q.dispose();
    }
  }
}

/** The current hybrid's recurrent block (LSTM 160 → LSTM 160, last state) on `t`'s sequence. */
function lstmHybrid(t: Trunk, name: string, bidirectional: boolean): tf.LayersModel {
  let x = t.seq;
  const layers = CNN_LSTM_UNITS.map((units, i) => {
    const cell = lstm(`lstm${i + 1}`, scaled(units, t.o.widthMultiplier), i < CNN_LSTM_UNITS.length - 1, t.s);
    return bidirectional
      ? tf.layers.bidirectional({ name: `bilstm${i + 1}`, layer: cell, mergeMode: 'concat' })
      : cell;
  });
  for (const l of layers) x = l.apply(x) as tf.SymbolicTensor;
  const model = head(t, x, name);
  initRecurrent(layers, t.s);
  return model;
}

/**
 * LSTM over the 36 spatial positions of the 6x6x512 map (raster order, 512 features a step),
 * otherwise the current hybrid: same 3 conv blocks, LSTM 160 → LSTM 160, Dense-256 head.
 */
export function buildCnnLstmSpatial(opts: ModelOptions = {}): tf.LayersModel {
  return lstmHybrid(trunk(opts, CNN_LSTM_CONV_BLOCKS, 'positions'), 'cnn_lstm_spatial', false);
}

/**
 * The full 4-block CNN trunk (3x3x512), flattened to a sequence of length 1 (4,608 features),
 * then LSTM 160 → LSTM 160 and the Dense-256 head. With one step the recurrent kernels only
 * ever see the zero initial state, so the LSTMs act as gated dense layers: the recurrence is
 * present in the parameter count but not in the computation.
 */
export function buildCnnLstmSeq1(opts: ModelOptions = {}): tf.LayersModel {
  return lstmHybrid(trunk(opts, CNN_CONV_BLOCKS.length, 'single'), 'cnn_lstm_seq1', false);
}

/** The current hybrid with each LSTM wrapped as a bidirectional LSTM (160 per direction, concatenated). */
export function buildCnnBiLstm(opts: ModelOptions = {}): tf.LayersModel {
  return lstmHybrid(trunk(opts, CNN_LSTM_CONV_BLOCKS, 'rows'), 'cnn_bilstm', true);
}

/** Parameters of Keras's LSTM: 4 gates, each with input kernel, recurrent kernel and bias. */
export const lstmParams = (inputs: number, units: number): number => 4 * (units * (inputs + units) + units);

/**
 * Hidden width of the control's per-step Dense so that its block (per-step Dense h, Flatten,
 * Dense u, BatchNorm u) has as many parameters as the two LSTMs it replaces, for T steps of F
 * features: h·(F + 1 + T·u) + u + 4u = lstm(F, u) + lstm(u, u), rounded (BatchNorm counts its
 * 2 trainable and 2 moving statistics per unit, as Keras's totals do). At full width h = 564.
 */
export function controlHiddenUnits(steps: number, features: number, units: number): number {
  const target = lstmParams(features, units) + lstmParams(units, units);
  return Math.max(1, Math.round((target - 5 * units) / (features + 1 + steps * units)));
}

/**
 * The control's replacement for the two LSTMs, from a [T, F] sequence to `units` features in
 * (-1, 1): Dense per step (ReLU, width `controlHiddenUnits`) → Flatten → Dense `units` →
 * BatchNorm → tanh.
 */
export function denseControlBlock(seq: tf.SymbolicTensor, units: number, s: LayerSeeds): tf.SymbolicTensor {
  const [, steps, features] = seq.shape as number[];
  let x = tf.layers
    .dense({
      name: 'step_dense',
      units: controlHiddenUnits(steps, features, units),
      activation: 'relu',
      kernelInitializer: s.glorot(),
      kernelRegularizer: s.regularizer(),
    })
    .apply(seq) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'steps_flat' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({ name: 'mix', units, kernelInitializer: s.glorot(), kernelRegularizer: s.regularizer() })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'mix_bn', momentum: s.bnMomentum }).apply(x) as tf.SymbolicTensor;
  return tf.layers.activation({ name: 'mix_tanh', activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
}

/**
 * The non-recurrent control: the current hybrid with its two LSTM layers replaced by a
 * feed-forward block of the same parameter count. Same 3 conv blocks, same 6 rows of 3,072
 * features, then a Dense applied to each row (ReLU, width from `controlHiddenUnits`), Flatten,
 * Dense 160 → BatchNorm → tanh (the range of an LSTM's last state) and the same Dense-256 head.
 * It sees the same rows with the same position information, but shares no weights across steps
 * and carries no state between them.
 *
 * Why the BatchNorm: the mixing Dense sums 3,384 non-negative ReLU outputs, and with Adam's
 * per-weight steps its pre-activations grow along their common mean within the first few dozen
 * steps. Without normalisation the tanh saturates on every output, no gradient reaches the trunk,
 * and the paper recipe's training stays at the class prior (`test/integration/models-control-block.test.ts`).
 * The hybrid's LSTMs, fed the same rows, train without it; the CNN's and the head's Dense layers
 * are batch-normalised too.
 */
export function buildCnnDenseControl(opts: ModelOptions = {}): tf.LayersModel {
  const t = trunk(opts, CNN_LSTM_CONV_BLOCKS, 'rows');
  const units = scaled(CNN_LSTM_UNITS[CNN_LSTM_UNITS.length - 1], t.o.widthMultiplier);
  const x = denseControlBlock(t.seq, units, t.s);
  return head(t, x, 'cnn_dense_control');
}
