/**
 * Training checkpoints. One folder, replaced atomically (writeDirAtomic) after every epoch and
 * every few minutes inside one (and on SIGINT/SIGTERM), holds everything the next batch depends
 * on, so `--resume` after a kill at any moment repeats at most the batches since the last save
 * and then follows the uninterrupted run bit for bit:
 *
 *   state.json     epoch, config, RNG state, LR-schedule and early-stopping state, best-so-far,
 *                  Adam's bias-correction powers, the epoch log, weight specs
 *   weights.bin    current model weights (trainable + BN moving statistics)
 *   optimizer.bin  Adam's iteration count and first/second moments
 *   best.bin       the weights of the best epoch so far (restored at the end, like Keras's
 *                  restore_best_weights)
 *   train-log.jsonl  the same epoch log, one JSON object per line
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cleanStaleTemps, writeDirAtomic } from '../util/atomic';
import { FerError } from '../util/errors';
import { oneLine } from '../util/os-error';
import { checkOutputDir } from '../util/output-path';
import { regularFileSize } from '../models/io';
import type { RngState } from '../util/rng';
import type { TrainConfig } from './config';

/** A tensor with a name, as Optimizer.getWeights() returns them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export const CHECKPOINT_VERSION = 1;

/** One line of the training log (Keras History names). */
export interface EpochLog {
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss: number;
  val_accuracy: number;
  lr: number;
  seconds: number;
  backend: string;
  /** Compute threads (oneDNN's or XNNPACK's; absent before they were configurable: one). Speed only. */
  threads?: number;
}

export interface BestSoFar {
  epoch: number;
  valLoss: number;
  valAccuracy: number;
}

/**
 * An epoch saved part-way through. The batch order is not stored: it is redrawn from the RNG
 * state at the start of the epoch (`epochRng`), and `TrainState.rng` is the state after the
 * last finished batch, so the remaining batches get the same dropout masks as without a stop.
 */
export interface PartialEpoch {
  /** The epoch in progress (TrainState.epoch + 1). */
  epoch: number;
  /** Batches of it already trained, of `batches`. */
  batch: number;
  batches: number;
  epochRng: RngState;
  /** Running sums behind the epoch's loss/accuracy (image-weighted) and the images seen. */
  lossSum: number;
  accSum: number;
  seen: number;
  /** Wall seconds spent in this epoch so far. */
  seconds: number;
}

export interface TrainState {
  version: number;
  config: TrainConfig;
  /** Epochs completed. */
  epoch: number;
  /** RNG state after the last completed epoch, or after `partial.batch` batches of the next. */
  rng: RngState;
  /** Set when the checkpoint was taken inside an epoch (absent in checkpoints before it existed). */
  partial?: PartialEpoch | null;
  lr: number;
  best: BestSoFar | null;
  /** Epochs since val_loss last improved (early stopping / LR plateau). */
  wait: number;
  lrWait: number;
  stopped: boolean;
  /** Adam's running beta1^t and beta2^t: tfjs's setWeights recomputes them with pow(), which
   * can differ in the last bit from the running product, so we restore them exactly. */
  adamAccBeta: [number, number];
  history: EpochLog[];
  wallSeconds: number;
  datasetSha256: string;
  backend: string;
}

export interface Checkpoint {
  state: TrainState;
  weights: tf.Tensor[];
  optimizer: NamedTensor[];
  best: tf.Tensor[] | null;
}

/** The file every save rewrites; its presence marks a checkpoint folder. */
export const STATE = 'state.json';

async function encode(
  tensors: NamedTensor[],
): Promise<{ data: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  return { data: new Uint8Array(data), specs };
}

const named = (ts: tf.Tensor[], prefix: string): NamedTensor[] =>
  ts.map((tensor, i) => ({ name: `${prefix}${i}`, tensor }));

export async function saveCheckpoint(
  dir: string,
  state: TrainState,
  weights: tf.Tensor[],
  optimizer: NamedTensor[],
  best: tf.Tensor[] | null,
): Promise<void> {
  const w = await encode(named(weights, 'w'));
  // Adam's own names are registry names that differ between processes; order is what counts.
  const o = await encode(optimizer.map((t, i) => ({ name: `o${i}`, tensor: t.tensor })));
  const b = best ? await encode(named(best, 'b')) : null;
  const specs = { weights: w.specs, optimizer: o.specs, best: b?.specs ?? null };
  // Only a checkpoint (or nothing) is ever replaced, checked again at the swap.
  checkOutputDir(dir, 'checkpoint');
  await writeDirAtomic(
    dir,
    (tmp) => {
      fs.writeFileSync(path.join(tmp, 'weights.bin'), w.data);
      fs.writeFileSync(path.join(tmp, 'optimizer.bin'), o.data);
      if (b) fs.writeFileSync(path.join(tmp, 'best.bin'), b.data);
      fs.writeFileSync(path.join(tmp, 'train-log.jsonl'), historyJsonl(state.history));
      fs.writeFileSync(path.join(tmp, STATE), JSON.stringify({ ...state, specs }, null, 1) + '\n');
    },
    (target) => checkOutputDir(target, 'checkpoint'),
  );
}

export function historyJsonl(history: EpochLog[]): string {
  return history.map((h) => JSON.stringify(h) + '\n').join('');
}

/**
 * writeDirAtomic renames the old folder aside before moving the new one in; a kill between
 * the two renames leaves only `.tmp-<name>-<pid>-<ms>.old`. Put the newest such folder back,
 * and delete half-written temp folders of dead processes (a live writer's are left alone).
 */
export function recoverCheckpointDir(dir: string): void {
  cleanStaleTemps(dir);
}

function readBin(dir: string, name: string, specs: tf.io.WeightsManifestEntry[]): tf.Tensor[] {
  const file = path.join(dir, name);
  if (!Array.isArray(specs) || specs.some((s) => !Array.isArray(s?.shape)))
    throw new FerError(
      `state.json's weight specs for ${name} are malformed`,
      path.join(dir, STATE),
    );
  const need = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  // Size first: a FIFO or a link to /dev/zero is refused instead of read forever.
  const size = regularFileSize(file, 'checkpoint file');
  if (size !== need)
    throw new FerError(`checkpoint file is ${size} bytes, expected ${need} (damaged?)`, file);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new FerError(`checkpoint file unreadable: ${oneLine((e as Error).message, 200)}`, file);
  }
  const map = tf.io.decodeWeights(
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
    specs,
  );
  return specs.map((s) => map[s.name]);
}

/**
 * Reads a checkpoint folder; any damage is a FerError naming the file. `recover` (default) first
 * repairs an interrupted save; readers beside a running training pass false, since the
 * training's save in progress looks like a leftover and would be deleted.
 */
export function loadCheckpoint(dir: string, opts: { recover?: boolean } = {}): Checkpoint {
  if (opts.recover !== false) recoverCheckpointDir(dir);
  const file = path.join(dir, STATE);
  if (!fs.existsSync(file)) throw new FerError('no checkpoint to resume from', dir);
  let raw: TrainState & {
    specs: {
      weights: tf.io.WeightsManifestEntry[];
      optimizer: tf.io.WeightsManifestEntry[];
      best: tf.io.WeightsManifestEntry[] | null;
    };
  };
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FerError(`unreadable checkpoint state: ${oneLine((e as Error).message, 200)}`, file);
  }
  if (
    raw === null ||
    typeof raw !== 'object' ||
    raw.version !== CHECKPOINT_VERSION ||
    !raw.specs ||
    !Array.isArray(raw.history) ||
    typeof raw.config !== 'object' ||
    raw.config === null
  )
    throw new FerError(`not a version ${CHECKPOINT_VERSION} checkpoint`, file);
  const { specs, ...state } = raw;
  const weights = readBin(dir, 'weights.bin', specs.weights);
  const optimizer = readBin(dir, 'optimizer.bin', specs.optimizer).map((tensor, i) => ({
    name: specs.optimizer[i].name,
    tensor,
  }));
  const best = specs.best ? readBin(dir, 'best.bin', specs.best) : null;
  return { state, weights, optimizer, best };
}
