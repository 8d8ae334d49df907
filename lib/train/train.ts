/**
 * The training loop: our own epoch loop over `model.trainOnBatch` (not `fit`), so that
 * shuffling, dropout masks, checkpoints and resume are all under our control.
 *
 * Recipe (the paper's where it says, Keras defaults where it does not): Adam, lr 0.0005,
 * categorical cross-entropy, batch 64; regularisation = dropout 0.25 after every conv block and
 * hidden dense layer plus batch norm; L2 is off unless `l2 > 0`. Early stopping and LR
 * reduction watch val_loss, computed on a validation hold-out carved out of the *training*
 * rows: the test rows are never read here. The weights of the best val_loss epoch are the ones
 * saved (Keras's restore_best_weights).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { backendThreads, DETERMINISM, setupBackend, type ConcreteBackend } from '../backend';
import { loadFer2013 } from '../data/cache';
import { NUM_CLASSES } from '../data/classes';
import type { FerDataset } from '../data/dataset';
import { makeSplit, stratifiedSubset } from '../data/split';
import { imagesToTensor, labelsOf, oneHot } from '../data/tensor';
import { buildModel, flopsPerImage, paramCounts, reseedDropout } from '../models';
import { registerUnpackGradient } from '../models/unpack-grad';
import { portablePath } from '../env';
import { FerError } from '../util/errors';
import { Rng } from '../util/rng';
import {
  type EpochLog,
  historyJsonl,
  loadCheckpoint,
  saveCheckpoint,
  type TrainState,
  CHECKPOINT_VERSION,
  recoverCheckpointDir,
} from './checkpoint';
import { noiseAugmentedImages } from './augment';
import { RESUME_KEYS, type TrainConfig } from './config';
import { gitCommit, saveStudyModel } from '../models/io';
import type { StudyModelMeta } from '../models/meta';
import { EpochProgress, epochLine } from './progress';
import { priorEntropy, priorWarning } from './prior';

export interface TrainOptions {
  /** Use this dataset instead of loading FER2013 (tests use synthetic data). */
  dataset?: FerDataset;
  /** Receives info lines and epoch lines (default: stderr). */
  log?: (line: string) => void;
  /** Progress bar / periodic lines; `false` for none. */
  progress?: boolean | { tty?: boolean; every?: number; write?: (s: string) => void };
  /** Keep the checkpoint folder after a successful run (default: removed). */
  keepCheckpoint?: boolean;
  /**
   * When aborted, training stops after the batch in progress, saves a mid-epoch checkpoint
   * and rejects with TrainingInterrupted (the CLI aborts on SIGINT/SIGTERM).
   */
  signal?: AbortSignal;
}

/** Training was stopped on request; the checkpoint it names resumes it without loss. */
export class TrainingInterrupted extends FerError {
  constructor(
    message: string,
    checkpointDir: string,
    readonly epoch: number,
    readonly batch: number,
  ) {
    super(message, checkpointDir);
    this.name = 'TrainingInterrupted';
  }
}

/** Minutes between mid-epoch checkpoints when the config does not say. */
export const DEFAULT_CHECKPOINT_MINUTES = 10;

export interface TrainResult {
  model: tf.LayersModel;
  meta: StudyModelMeta;
  history: EpochLog[];
  /** True when early stopping ended the run before `epochs`. */
  stoppedEarly: boolean;
  /** The epoch a resumed run continued from (null for a fresh run). */
  resumedFrom: number | null;
}

/** The untrained model a config describes (its seeded initial weights). */
export function modelFor(cfg: TrainConfig): tf.LayersModel {
  return buildModel(cfg.model, {
    widthMultiplier: cfg.widthMultiplier,
    dropout: cfg.dropout,
    denseDropout: cfg.dropout,
    seed: cfg.seed,
    l2: cfg.l2,
    bnMomentum: cfg.bnMomentum,
  });
}

/** Mean categorical cross-entropy (Keras: clip to [1e-7, 1-1e-7]) and accuracy on `indices`. */
export function evaluateLoss(
  model: tf.LayersModel,
  ds: FerDataset,
  indices: Int32Array,
  batchSize = 256,
): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (let s = 0; s < indices.length; s += batchSize) {
    const rows = indices.subarray(s, Math.min(s + batchSize, indices.length));
    const x = imagesToTensor(ds, rows);
    const p = model.predictOnBatch(x) as tf.Tensor;
    const probs = p.dataSync();
    tf.dispose([x, p]);
    for (let k = 0; k < rows.length; k++) {
      const y = ds.labels[rows[k]];
      const row = probs.subarray(k * NUM_CLASSES, (k + 1) * NUM_CLASSES);
      const py = Math.min(Math.max(row[y], 1e-7), 1 - 1e-7);
      loss -= Math.log(py);
      let arg = 0;
      for (let c = 1; c < NUM_CLASSES; c++) if (row[c] > row[arg]) arg = c;
      if (arg === y) correct++;
    }
  }
  return { loss: loss / indices.length, accuracy: correct / indices.length };
}

type AdamInternals = { learningRate: number; accBeta1: tf.Variable; accBeta2: tf.Variable };

function setLr(opt: tf.Optimizer, lr: number): void {
  (opt as unknown as AdamInternals).learningRate = lr;
}

/** The train/val rows of this config. The split's test rows are deliberately not returned. */
export function trainValRows(
  ds: FerDataset,
  cfg: TrainConfig,
): { train: Int32Array; val: Int32Array } {
  const split = makeSplit(ds, cfg.split, { seed: cfg.splitSeed, valFraction: cfg.valFraction });
  // Subsets get their own seeds, derived from splitSeed, so seeds share the same subset.
  const train =
    cfg.limitTrain > 0 && cfg.limitTrain < split.train.length
      ? stratifiedSubset(ds.labels, split.train, cfg.limitTrain, cfg.splitSeed + 1)
      : split.train;
  const val =
    cfg.limitVal > 0 && cfg.limitVal < split.val.length
      ? stratifiedSubset(ds.labels, split.val, cfg.limitVal, cfg.splitSeed + 2)
      : split.val;
  if (train.length === 0 || val.length === 0)
    throw new FerError(
      `split '${cfg.split}' leaves ${train.length} training and ${val.length} validation rows`,
    );
  return { train, val };
}

function checkResumable(saved: TrainConfig, cfg: TrainConfig, file: string): void {
  // Unset augmentNoise (and checkpoints from before it existed) means 0: no augmentation.
  saved = { ...saved, augmentNoise: saved.augmentNoise ?? 0 };
  cfg = { ...cfg, augmentNoise: cfg.augmentNoise ?? 0 };
  const diff = RESUME_KEYS.filter((k) => saved[k] !== cfg[k]);
  if (diff.length > 0)
    throw new FerError(
      `cannot resume: the checkpoint was made with different settings (${diff
        .map((k) => `${k}: ${String(saved[k])} there, ${String(cfg[k])} now`)
        .join('; ')})`,
      file,
    );
}

/** Trains `cfg.model` per `cfg`, checkpointing every epoch, and saves the study model to cfg.out. */
export async function train(cfg: TrainConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const t0 = Date.now();
  const backend: ConcreteBackend = await setupBackend(cfg.backend, { log });
  log(`determinism on ${backend}: ${DETERMINISM[backend]}`);
  const ds = opts.dataset ?? (await loadFer2013({ csv: cfg.csv, cacheDir: cfg.cacheDir, log }));
  const rows = trainValRows(ds, cfg);

  const model = modelFor(cfg);
  registerUnpackGradient(); // again: a data-frame import since may have replaced it
  const optimizer = tf.train.adam(cfg.learningRate);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

  let state: TrainState;
  let best: tf.Tensor[] | null = null;
  let resumedFrom: number | null = null;
  if (cfg.resume) {
    recoverCheckpointDir(cfg.checkpointDir);
    if (!fs.existsSync(cfg.checkpointDir) && fs.existsSync(path.join(cfg.out, 'meta.json')))
      throw new FerError(
        `nothing to resume: ${cfg.out} is a finished model (its checkpoint is removed on success)`,
        cfg.checkpointDir,
      );
    const ck = loadCheckpoint(cfg.checkpointDir);
    const stateFile = path.join(cfg.checkpointDir, 'state.json');
    checkResumable(ck.state.config, cfg, stateFile);
    if (ck.state.datasetSha256 !== ds.sha256)
      throw new FerError(
        `cannot resume: the checkpoint was trained on dataset ${ck.state.datasetSha256.slice(0, 12)}…, this is ${ds.sha256.slice(0, 12)}…`,
        stateFile,
      );
    if (
      ck.weights.length !== model.weights.length ||
      ck.weights.some((w, i) => w.shape.join() !== model.weights[i].shape.join())
    )
      throw new FerError(
        'checkpoint weights do not fit this model',
        path.join(cfg.checkpointDir, 'weights.bin'),
      );
    model.setWeights(ck.weights);
    tf.dispose(ck.weights);
    await optimizer.setWeights(ck.optimizer);
    const adam = optimizer as unknown as AdamInternals;
    adam.accBeta1.assign(tf.scalar(ck.state.adamAccBeta[0]));
    adam.accBeta2.assign(tf.scalar(ck.state.adamAccBeta[1]));
    best = ck.best;
    state = { ...ck.state, config: { ...ck.state.config, epochs: cfg.epochs } };
    resumedFrom = state.epoch;
    if (ck.state.backend !== backend)
      log(
        `warning: checkpoint was trained on ${ck.state.backend}, resuming on ${backend}; results may differ in the last bits`,
      );
    log(`resuming from ${cfg.checkpointDir} after epoch ${state.epoch}`);
  } else {
    recoverCheckpointDir(cfg.checkpointDir);
    if (fs.existsSync(cfg.checkpointDir))
      log(
        `note: starting afresh; the checkpoint in ${cfg.checkpointDir} will be replaced (use --resume to continue it)`,
      );
    state = {
      version: CHECKPOINT_VERSION,
      config: cfg,
      epoch: 0,
      // Derived from the seed but distinct from the model builder's stream.
      rng: new Rng(cfg.seed ^ 0x5eed5eed).getState(),
      lr: cfg.learningRate,
      best: null,
      wait: 0,
      lrWait: 0,
      stopped: false,
      adamAccBeta: [0.9, 0.999],
      history: [],
      wallSeconds: 0,
      datasetSha256: ds.sha256,
      backend,
    };
  }
  const rng = Rng.fromState(state.rng);
  setLr(optimizer, state.lr);
  const counts = paramCounts(model);
  log(
    `${cfg.model} (${counts.total.toLocaleString('en-US')} params, width ${cfg.widthMultiplier}) on ${backend}: ` +
      `${rows.train.length} train / ${rows.val.length} val images, batch ${cfg.batchSize}, up to ${cfg.epochs} epochs`,
  );

  const nBatches = Math.ceil(rows.train.length / cfg.batchSize);
  const trainEntropy = priorEntropy(labelsOf(ds, rows.train), NUM_CLASSES);
  const augment = cfg.augmentNoise ?? 0;
  if (augment > 0) log(`noise augmentation: each training image gets sigma ~ U(0, ${augment})`);
  const progressOpts = typeof opts.progress === 'object' ? opts.progress : {};
  const everyMs = (cfg.checkpointMinutes ?? DEFAULT_CHECKPOINT_MINUTES) * 60_000;
  let lastSave = Date.now();
  const adam = optimizer as unknown as AdamInternals;
  const adamAccBeta = (): [number, number] => [
    adam.accBeta1.dataSync()[0],
    adam.accBeta2.dataSync()[0],
  ];
  const save = async (s: TrainState): Promise<void> => {
    const optWeights = await optimizer.getWeights();
    await saveCheckpoint(cfg.checkpointDir, s, model.getWeights(), optWeights, best);
    optWeights[0].tensor.dispose(); // the iteration count is a fresh scalar; the rest are live
    lastSave = Date.now();
  };
  if (state.partial && state.partial.epoch === state.epoch + 1)
    log(`continuing epoch ${state.partial.epoch} at batch ${state.partial.batch + 1}/${nBatches}`);
  while (state.epoch < cfg.epochs && !state.stopped) {
    const epoch = state.epoch + 1;
    const te = Date.now();
    // A mid-epoch checkpoint: redraw the same order from the epoch's starting RNG state; the
    // live RNG (restored from state.rng) is already past the finished batches' dropout seeds.
    const partial = state.partial?.epoch === epoch ? state.partial : null;
    const epochRng = partial ? partial.epochRng : rng.getState();
    const order = (partial ? Rng.fromState(partial.epochRng) : rng).shuffle(
      Int32Array.from(rows.train),
    );
    const bar =
      opts.progress === false
        ? null
        : new EpochProgress(epoch, cfg.epochs, order.length, nBatches, {
            ...progressOpts,
            startImages: partial?.seen ?? 0,
          });
    let lossSum = partial?.lossSum ?? 0;
    let accSum = partial?.accSum ?? 0;
    let seen = partial?.seen ?? 0;
    const priorSeconds = partial?.seconds ?? 0;
    for (let b = partial?.batch ?? 0; b < nBatches; b++) {
      const idx = order.subarray(
        b * cfg.batchSize,
        Math.min((b + 1) * cfg.batchSize, order.length),
      );
      // With augmentation off, no random numbers are drawn here: training stays bit-identical.
      const x = augment > 0 ? noiseAugmentedImages(ds, idx, augment, rng) : imagesToTensor(ds, idx);
      const y = oneHot(labelsOf(ds, idx));
      reseedDropout(model, rng);
      const [loss, acc] = (await model.trainOnBatch(x, y)) as number[];
      tf.dispose([x, y]);
      if (!Number.isFinite(loss))
        throw new FerError(
          `loss is ${loss} at epoch ${epoch}, batch ${b + 1}: training diverged (lower --lr?). ` +
            (state.epoch > 0 || state.partial
              ? `The last checkpoint (${describeSaved(state, nBatches)}) is intact.`
              : 'Nothing was saved.'),
          cfg.checkpointDir,
        );
      lossSum += loss * idx.length;
      accSum += acc * idx.length;
      seen += idx.length;
      bar?.update(b + 1, seen, lossSum / seen, accSum / seen);
      // trainOnBatch resolves without returning to the event loop, so a signal's handler
      // (and with it the abort) would only run after training; give it a turn per batch.
      if (opts.signal) await new Promise((r) => setImmediate(r));
      const stop = opts.signal?.aborted === true;
      if (b + 1 < nBatches && (stop || (everyMs > 0 && Date.now() - lastSave >= everyMs))) {
        state = {
          ...state,
          rng: rng.getState(),
          adamAccBeta: adamAccBeta(),
          partial: {
            epoch,
            batch: b + 1,
            batches: nBatches,
            epochRng,
            lossSum,
            accSum,
            seen,
            seconds: priorSeconds + (Date.now() - te) / 1000,
          },
        };
        await save(state);
        if (stop) {
          bar?.done();
          throw new TrainingInterrupted(
            `interrupted: saved ${describeSaved(state, nBatches)}; continue with --resume`,
            cfg.checkpointDir,
            epoch,
            b + 1,
          );
        }
      }
    }
    bar?.done();
    const val = evaluateLoss(model, ds, rows.val);
    // The training loss is clipped by the loss function, so divergence often shows only here.
    if (!Number.isFinite(val.loss))
      throw new FerError(
        `val_loss is ${val.loss} after epoch ${epoch}: training diverged (lower --lr?). ` +
          (state.epoch > 0 || state.partial
            ? `The last checkpoint (${describeSaved(state, nBatches)}) is intact.`
            : 'Nothing was saved.'),
        cfg.checkpointDir,
      );
    const seconds = priorSeconds + (Date.now() - te) / 1000;
    const entry: EpochLog = {
      epoch,
      loss: lossSum / seen,
      accuracy: accSum / seen,
      val_loss: val.loss,
      val_accuracy: val.accuracy,
      lr: state.lr,
      seconds,
      backend,
      ...(backendThreads(backend) !== undefined ? { threads: backendThreads(backend) } : {}),
    };
    log(epochLine(epoch, cfg.epochs, seconds, entry));
    const stuck = priorWarning(epoch, entry.loss, trainEntropy);
    if (stuck) log(stuck);

    // Early stopping + ReduceLROnPlateau on val_loss, sharing one "best" (min_delta 0).
    if (state.best === null || val.loss < state.best.valLoss) {
      state.best = { epoch, valLoss: val.loss, valAccuracy: val.accuracy };
      state.wait = 0;
      state.lrWait = 0;
      tf.dispose(best ?? []);
      best = model.getWeights().map((w) => w.clone());
    } else {
      state.wait++;
      state.lrWait++;
      if (state.lrWait >= cfg.reduceLrPatience && state.lr > cfg.minLr) {
        state.lr = Math.max(state.lr * cfg.reduceLrFactor, cfg.minLr);
        state.lrWait = 0;
        setLr(optimizer, state.lr);
        log(`reducing learning rate to ${state.lr.toExponential(2)}`);
      }
      if (state.wait >= cfg.earlyStoppingPatience) {
        state.stopped = true;
        log(
          `early stopping: val_loss has not improved for ${state.wait} epochs (best: epoch ${state.best.epoch})`,
        );
      }
    }
    state = {
      ...state,
      epoch,
      rng: rng.getState(),
      partial: null,
      history: [...state.history, entry],
      wallSeconds: state.wallSeconds + seconds,
      adamAccBeta: adamAccBeta(),
    };
    await save(state);
    if (opts.signal?.aborted && state.epoch < cfg.epochs && !state.stopped)
      throw new TrainingInterrupted(
        `interrupted: saved ${describeSaved(state, nBatches)}; continue with --resume`,
        cfg.checkpointDir,
        state.epoch,
        0,
      );
  }

  if (best) model.setWeights(best);
  tf.dispose(best ?? []);
  const meta = studyMeta(model, cfg, state, backend, (Date.now() - t0) / 1000, rows);
  await saveStudyModel(cfg.out, model, meta, { 'train-log.jsonl': historyJsonl(state.history) });
  log(
    `saved ${cfg.out} (best epoch ${meta.bestEpoch}: val_loss ${meta.best.valLoss.toFixed(4)}, val_accuracy ${meta.best.valAccuracy.toFixed(4)})`,
  );
  if (!opts.keepCheckpoint) fs.rmSync(cfg.checkpointDir, { recursive: true, force: true });
  return {
    model,
    meta,
    history: state.history,
    stoppedEarly: state.stopped && state.epoch < cfg.epochs,
    resumedFrom,
  };
}

/** "the checkpoint of epoch 4" or "epoch 5 at batch 212/404" for messages. */
function describeSaved(state: TrainState, nBatches: number): string {
  return state.partial
    ? `epoch ${state.partial.epoch} at batch ${state.partial.batch}/${nBatches}`
    : `the checkpoint of epoch ${state.epoch}`;
}

/** meta.json of a model trained to `state` (also used for a checkpoint's interim model). */
export function studyMeta(
  model: tf.LayersModel,
  cfg: TrainConfig,
  state: TrainState,
  backend: string,
  sessionSeconds: number,
  rows: { train: ArrayLike<number>; val: ArrayLike<number> } | null,
): StudyModelMeta {
  const c = paramCounts(model);
  const b = state.best ?? { epoch: 0, valLoss: NaN, valAccuracy: NaN };
  const { model: architecture, profile, seed, split, widthMultiplier, ...rest } = cfg;
  return {
    architecture,
    params: c.total,
    trainableParams: c.trainable,
    flopsPerImage: flopsPerImage(model),
    widthMultiplier,
    profile,
    seed,
    split,
    epochsRun: state.epoch,
    bestEpoch: b.epoch,
    best: { valLoss: b.valLoss, valAccuracy: b.valAccuracy },
    backend,
    ...(backendThreads(backend) !== undefined ? { threads: backendThreads(backend) } : {}),
    gitCommit: gitCommit(),
    datasetSha256: state.datasetSha256,
    // Training time summed over sessions (a resumed run counts the epochs it inherited).
    wallSeconds: Math.round(state.wallSeconds * 10) / 10,
    tfjsVersion: tf.version.tfjs,
    createdAt: new Date().toISOString(),
    config: {
      ...rest,
      // Relative to the repository when inside it: meta.json travels with committed models.
      out: portablePath(rest.out),
      checkpointDir: portablePath(rest.checkpointDir),
      ...(rows && { trainImages: rows.train.length, valImages: rows.val.length }),
      stoppedEarly: state.stopped,
      finalLr: state.lr,
      regularization:
        cfg.l2 > 0
          ? `dropout ${cfg.dropout} + batch norm + L2 ${cfg.l2}`
          : `dropout ${cfg.dropout} + batch norm (no L2)`,
      restoredBestWeights: true,
      lastSessionSeconds: Math.round(sessionSeconds * 10) / 10,
    },
  };
}
