/**
 * The CNN+LSTM sequence model of the emotion-dynamics experiment:
 *
 *   frames [T, 48, 48, 1] → TimeDistributed(frame encoder) → [T, F]
 *     → Dropout → LSTM(units, full sequence) → two TimeDistributed Dense-7 softmax heads:
 *        `current` (task a: the state of frame t) and `next` (task b: the state after frame t).
 *
 * The frame encoder is the per-frame CNN of the study (the paper's CNN at a reduced width, or
 * its hybrid) up to the input of its softmax layer, and it is frozen: both tasks' per-frame
 * baseline and the sequence model then see exactly the same per-frame evidence, so any
 * difference between them is the temporal context alone. Freezing also lets the temporal part
 * be trained on encoder features computed once per face (`buildTemporalModel`), which is what
 * makes the experiment fit a small CPU; `assembleSequenceModel` puts the two together into one
 * image-in model that shares the temporal part's weights.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/classes';
import { orthogonalRows } from '../models/orthogonal';
import { FerError } from '../util/errors';
import { Rng } from '../util/rng';

export interface TemporalModelOptions {
  /** Frames per sequence. */
  T: number;
  /** Length of one frame's feature vector (the encoder's output). */
  featureDim: number;
  /** LSTM units (default 64). */
  units?: number;
  /** Dropout on the frame features (default 0.25). */
  dropout?: number;
  /** Seeds every initializer (default 1). */
  seed?: number;
}

/** Output names of the two heads, in output order. */
export const HEADS = ['current', 'next'] as const;

/** features [T, F] → LSTM → heads `current` and `next`, each [T, 7] softmax. */
export function buildTemporalModel(opts: TemporalModelOptions): tf.LayersModel {
  const units = opts.units ?? 64;
  const dropout = opts.dropout ?? 0.25;
  if (!(Number.isInteger(opts.T) && opts.T >= 1))
    throw new FerError(`T must be >= 1, got ${opts.T}`);
  if (!(Number.isInteger(units) && units >= 1))
    throw new FerError(`units must be >= 1, got ${units}`);
  if (!(dropout >= 0 && dropout < 1))
    throw new FerError(`dropout must be in [0, 1), got ${dropout}`);
  const rng = new Rng(opts.seed ?? 1);
  const glorot = (): ReturnType<typeof tf.initializers.glorotUniform> =>
    tf.initializers.glorotUniform({ seed: rng.seed() });
  const input = tf.input({ shape: [opts.T, opts.featureDim], name: 'features' });
  let x = tf.layers
    .dropout({ name: 'features_dropout', rate: dropout, seed: rng.seed() })
    .apply(input) as tf.SymbolicTensor;
  const lstm = tf.layers.lstm({
    name: 'lstm',
    units,
    returnSequences: true,
    kernelInitializer: glorot(),
    // Set below to a seeded orthogonal matrix (Keras's default), as lib/models does.
    recurrentInitializer: 'zeros',
  });
  x = lstm.apply(x) as tf.SymbolicTensor;
  const outputs = HEADS.map(
    (name) =>
      tf.layers
        .timeDistributed({
          name,
          layer: tf.layers.dense({
            units: NUM_CLASSES,
            activation: 'softmax',
            kernelInitializer: glorot(),
          }),
        })
        .apply(x) as tf.SymbolicTensor,
  );
  const model = tf.model({ inputs: input, outputs, name: 'temporal' });
  const rk = lstm.weights[1];
  const [u, gates] = rk.shape as number[];
  const q = tf.tensor2d(orthogonalRows(u, gates, rng.seed()), [u, gates]);
  rk.write(q);
  q.dispose();
  return model;
}

/**
 * The per-frame CNN's encoder: its layers up to the input of its softmax layer (named
 * `predictions` in lib/models), as a frozen model sharing the CNN's weights.
 */
export function frameEncoder(cnn: tf.LayersModel, headName = 'predictions'): tf.LayersModel {
  let head: tf.layers.Layer;
  try {
    head = cnn.getLayer(headName);
  } catch {
    throw new FerError(`the frame model has no layer '${headName}' to cut the encoder at`);
  }
  const enc = tf.model({
    inputs: cnn.inputs,
    outputs: head.input as tf.SymbolicTensor,
    name: 'frame_encoder',
  });
  enc.trainable = false;
  return enc;
}

/**
 * The image-in sequence model: TimeDistributed(encoder) then the temporal model. Weights are
 * shared with both arguments (nothing is copied).
 */
export function assembleSequenceModel(
  encoder: tf.LayersModel,
  temporal: tf.LayersModel,
): tf.LayersModel {
  const [, T, F] = temporal.inputs[0].shape as number[];
  const encShape = encoder.outputs[0].shape;
  if (encShape.length !== 2 || encShape[1] !== F)
    throw new FerError(
      `encoder outputs ${JSON.stringify(encShape)}, the temporal model wants [null, ${F}]`,
    );
  const frames = tf.input({ shape: [T, IMAGE_SIZE, IMAGE_SIZE, 1], name: 'frames' });
  const feats = tf.layers
    .timeDistributed({ name: 'frame_encoder_td', layer: encoder })
    .apply(frames) as tf.SymbolicTensor;
  const outs = temporal.apply(feats) as tf.SymbolicTensor[];
  return tf.model({ inputs: frames, outputs: outs, name: 'cnn_lstm_sequence' });
}
