/**
 * Interim models: the best weights of an unfinished run, read from its checkpoint, so that
 * `fer eval` / `fer compare` can give test numbers while a long training still goes on.
 * Nothing here writes to the checkpoint, and meta.interim marks every result made this way.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { portablePath } from '../env';
import { FerError } from '../util/errors';
import { loadCheckpoint, STATE, type Checkpoint } from './checkpoint';
import { loadStudyModel, MODEL_JSON } from '../models/io';
import { MODEL_NAMES, type StudyModelMeta } from '../models/meta';
import { modelFor, studyMeta } from './train';

/** A training checkpoint folder (state.json) rather than a saved model (model.json). */
export function isCheckpointDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, STATE)) && !fs.existsSync(path.join(dir, MODEL_JSON));
}

/**
 * The checkpoint's best weights (lowest val_loss so far) in a fresh model, with the meta.json
 * the finished run would get plus `interim`. Safe while a training is saving into `dir`.
 */
export function loadCheckpointModel(dir: string): {
  model: tf.LayersModel;
  meta: StudyModelMeta;
} {
  const ck = readConsistent(dir);
  const { state } = ck;
  tf.dispose([...ck.weights, ...ck.optimizer.map((o) => o.tensor)]);
  if (!ck.best || !state.best) {
    tf.dispose(ck.best ?? []);
    throw new FerError('the run has not finished an epoch yet: no best weights to evaluate', dir);
  }
  if (!(MODEL_NAMES as readonly string[]).includes(String(state.config.model))) {
    tf.dispose(ck.best);
    throw new FerError(
      `unknown architecture '${String(state.config.model)}'`,
      path.join(dir, STATE),
    );
  }
  const model = modelFor(state.config);
  // Compare shapes first: tfjs's own mismatch error prints whole tensors.
  const want = model.weights.map((w) => w.shape.join('x'));
  const have = ck.best.map((t) => t.shape.join('x'));
  const bad = want.findIndex((s, i) => s !== have[i]);
  if (want.length !== have.length || bad >= 0) {
    model.dispose();
    tf.dispose(ck.best);
    throw new FerError(
      `the weights do not fit the '${state.config.model}' model state.json names (` +
        (want.length !== have.length
          ? `${have.length} tensors, the model has ${want.length}`
          : `tensor ${bad} is ${have[bad]}, the model needs ${want[bad]}`) +
        '): state.json and best.bin belong to different runs',
      path.join(dir, STATE),
    );
  }
  model.setWeights(ck.best);
  tf.dispose(ck.best);
  const meta = studyMeta(model, state.config, state, state.backend, 0, null);
  meta.interim = {
    checkpoint: portablePath(dir),
    epochsDone: state.epoch,
    partial: state.partial
      ? { epoch: state.partial.epoch, batch: state.partial.batch, batches: state.partial.batches }
      : null,
  };
  return { model, meta };
}

/**
 * A running training replaces the whole folder (every 10 minutes, by rename); a swap while we
 * read could pair one save's state with another's weights. Every save rewrites state.json
 * (batch count, RNG state, time), so an unchanged state.json around the read means one
 * checkpoint was read.
 */
function readConsistent(dir: string): Checkpoint {
  const stateText = (): string | null => {
    try {
      return fs.readFileSync(path.join(dir, STATE), 'utf8');
    } catch {
      return null; // mid-swap: the folder is briefly absent
    }
  };
  for (let attempt = 1; ; attempt++) {
    const before = stateText();
    const ck = loadCheckpoint(dir, { recover: false });
    if (before !== null && stateText() === before) return ck;
    tf.dispose([...ck.weights, ...ck.optimizer.map((o) => o.tensor), ...(ck.best ?? [])]);
    if (attempt === 3)
      throw new FerError('the checkpoint kept changing while it was read; try again', dir);
  }
}

/** A saved model, or the interim model of a checkpoint folder. */
export async function loadStudyModelOrCheckpoint(
  dir: string,
): Promise<{ model: tf.LayersModel; meta: StudyModelMeta }> {
  return isCheckpointDir(dir) ? loadCheckpointModel(dir) : loadStudyModel(dir);
}
