/**
 * Training of the sequence model's temporal part on per-frame features: our own seeded loop
 * over `trainOnBatch` (as lib/train), Adam (the paper's lr 0.0005), the sum of the two heads'
 * categorical cross-entropies averaged over every time step, early stopping on the validation
 * loss with the best weights restored (Keras's restore_best_weights). Both heads are trained
 * at every step t (current state of frame t, state after frame t), which gives T targets per
 * sequence instead of one; evaluation reads the last step only.
 */
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../data/classes';
import { reseedDropout } from '../models/dropout';
import { epochLine } from '../train/progress';
import { FerError } from '../util/errors';
import { Rng } from '../util/rng';
import type { DynamicsSequences } from './sequences';

/** Per-frame features of a sequence set: n*T*F floats, sequence-major then frame-major. */
export interface SequenceFeatures {
  n: number;
  T: number;
  F: number;
  x: Float32Array;
}

export interface TemporalTrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Epochs without a lower val loss before stopping (default 3). */
  patience?: number;
  seed?: number;
  log?: (line: string) => void;
}

/** One epoch of the temporal model (Keras History names; accuracy = the current-state head). */
export interface TemporalEpochLog {
  epoch: number;
  loss: number;
  accuracy: number;
  next_accuracy: number;
  val_loss: number;
  val_accuracy: number;
  val_next_accuracy: number;
  lr: number;
  seconds: number;
}

export interface TemporalTrainResult {
  history: TemporalEpochLog[];
  bestEpoch: number;
  stoppedEarly: boolean;
}

/** Targets for every step: current[t] = states[t], next[t] = states[t+1] (next at the last). */
export function stepTargets(seqs: DynamicsSequences): { current: Int32Array; next: Int32Array } {
  const { n, T } = seqs;
  const current = Int32Array.from(seqs.states);
  const next = new Int32Array(n * T);
  for (let s = 0; s < n; s++)
    for (let t = 0; t < T; t++)
      next[s * T + t] = t < T - 1 ? seqs.states[s * T + t + 1] : seqs.next[s];
  return { current, next };
}

function oneHot3d(labels: Int32Array, idx: Int32Array, T: number): tf.Tensor3D {
  const y = new Float32Array(idx.length * T * NUM_CLASSES);
  idx.forEach((s, b) => {
    for (let t = 0; t < T; t++) y[(b * T + t) * NUM_CLASSES + labels[s * T + t]] = 1;
  });
  return tf.tensor3d(y, [idx.length, T, NUM_CLASSES]);
}

function gather(f: SequenceFeatures, idx: Int32Array): tf.Tensor3D {
  const per = f.T * f.F;
  const x = new Float32Array(idx.length * per);
  idx.forEach((s, b) => x.set(f.x.subarray(s * per, (s + 1) * per), b * per));
  return tf.tensor3d(x, [idx.length, f.T, f.F]);
}

/** Softmax outputs of both heads at every step: two n*T*7 arrays. */
export function predictTemporal(
  model: tf.LayersModel,
  f: SequenceFeatures,
  batchSize = 512,
): { current: Float32Array; next: Float32Array } {
  const current = new Float32Array(f.n * f.T * NUM_CLASSES);
  const next = new Float32Array(f.n * f.T * NUM_CLASSES);
  for (let s = 0; s < f.n; s += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, f.n - s) }, (_, i) => s + i);
    const x = gather(f, idx);
    const [pc, pn] = model.predictOnBatch(x) as tf.Tensor[];
    current.set(pc.dataSync(), s * f.T * NUM_CLASSES);
    next.set(pn.dataSync(), s * f.T * NUM_CLASSES);
    tf.dispose([x, pc, pn]);
  }
  return { current, next };
}

/** Mean over steps of -log p(target), clipped as Keras, and accuracy over steps. */
function headLoss(p: Float32Array, y: Int32Array): { loss: number; acc: number } {
  let loss = 0;
  let hit = 0;
  for (let k = 0; k < y.length; k++) {
    const row = p.subarray(k * NUM_CLASSES, (k + 1) * NUM_CLASSES);
    loss -= Math.log(Math.min(Math.max(row[y[k]], 1e-7), 1 - 1e-7));
    let arg = 0;
    for (let c = 1; c < NUM_CLASSES; c++) if (row[c] > row[arg]) arg = c;
    if (arg === y[k]) hit++;
  }
  return { loss: loss / y.length, acc: hit / y.length };
}

/**
 * Trains `model` (from buildTemporalModel) in place on `train` features/targets, stopping on
 * the validation loss; the best epoch's weights are the ones left in the model.
 */
export async function trainTemporalModel(
  model: tf.LayersModel,
  train: { features: SequenceFeatures; seqs: DynamicsSequences },
  val: { features: SequenceFeatures; seqs: DynamicsSequences },
  opts: TemporalTrainOptions = {},
): Promise<TemporalTrainResult> {
  const epochs = opts.epochs ?? 15;
  const batchSize = opts.batchSize ?? 64;
  const lr = opts.learningRate ?? 0.0005;
  const patience = opts.patience ?? 3;
  const log = opts.log ?? (() => undefined);
  if (!(Number.isInteger(epochs) && epochs >= 1))
    throw new FerError(`epochs must be >= 1, got ${epochs}`);
  if (train.features.n !== train.seqs.n || val.features.n !== val.seqs.n)
    throw new FerError('features and sequences differ in count');
  const rng = new Rng((opts.seed ?? 1) ^ 0x5eed5eed);
  model.compile({
    optimizer: tf.train.adam(lr),
    loss: ['categoricalCrossentropy', 'categoricalCrossentropy'],
    metrics: ['accuracy'],
  });
  // [loss, current_loss, next_loss, current_acc, next_acc]; looked up by name, not position.
  const names = model.metricsNames;
  const accAt = (head: string): number =>
    names.findIndex((m) => m.startsWith(head) && m.endsWith('acc'));
  const [accCur, accNext] = [accAt('current'), accAt('next')];
  if (accCur < 0 || accNext < 0) throw new Error(`unexpected metric names ${names.join(', ')}`);
  const yTrain = stepTargets(train.seqs);
  const yVal = stepTargets(val.seqs);
  const T = train.seqs.T;
  const history: TemporalEpochLog[] = [];
  let best: { epoch: number; loss: number; weights: tf.Tensor[] } | null = null;
  let wait = 0;
  let stoppedEarly = false;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = Date.now();
    const order = rng.shuffle(Int32Array.from({ length: train.seqs.n }, (_, i) => i));
    let lossSum = 0;
    let accSum = 0;
    let nextSum = 0;
    let seen = 0;
    for (let s = 0; s < order.length; s += batchSize) {
      const idx = order.subarray(s, Math.min(s + batchSize, order.length));
      const x = gather(train.features, idx);
      const yc = oneHot3d(yTrain.current, idx, T);
      const yn = oneHot3d(yTrain.next, idx, T);
      reseedDropout(model, rng);
      const out = (await model.trainOnBatch(x, [yc, yn])) as number[];
      tf.dispose([x, yc, yn]);
      if (!Number.isFinite(out[0]))
        throw new FerError(`sequence model loss is ${out[0]} at epoch ${epoch}`);
      lossSum += out[0] * idx.length;
      accSum += out[accCur] * idx.length;
      nextSum += out[accNext] * idx.length;
      seen += idx.length;
    }
    const pv = predictTemporal(model, val.features);
    const vc = headLoss(pv.current, yVal.current);
    const vn = headLoss(pv.next, yVal.next);
    const entry: TemporalEpochLog = {
      epoch,
      loss: lossSum / seen,
      accuracy: accSum / seen,
      next_accuracy: nextSum / seen,
      val_loss: vc.loss + vn.loss,
      val_accuracy: vc.acc,
      val_next_accuracy: vn.acc,
      lr,
      seconds: (Date.now() - t0) / 1000,
    };
    history.push(entry);
    log(
      `${epochLine(epoch, epochs, entry.seconds, entry)} - val_next_accuracy: ${vn.acc.toFixed(4)}`,
    );
    if (best === null || entry.val_loss < best.loss) {
      tf.dispose(best?.weights ?? []);
      best = { epoch, loss: entry.val_loss, weights: model.getWeights().map((w) => w.clone()) };
      wait = 0;
    } else if (++wait >= patience) {
      stoppedEarly = epoch < epochs;
      log(
        `early stopping: val_loss has not improved for ${wait} epochs (best: epoch ${best.epoch})`,
      );
      break;
    }
  }
  if (best) {
    model.setWeights(best.weights);
    tf.dispose(best.weights);
  }
  return { history, bestEpoch: best?.epoch ?? 0, stoppedEarly };
}
