/**
 * How far a (long, resumable) training run has got, read from its files without loading any
 * weights: `<out>/meta.json` + `train-log.jsonl` once it has finished, else the per-epoch
 * `<out>.checkpoint/state.json`. `fer train --status` prints it; the report and notebooks
 * 02/03 show it while the paper-scale run is still going.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonFile } from '../util/atomic';
import { FerError } from '../util/errors';
import type { BestSoFar, EpochLog, TrainState } from './checkpoint';
import type { StudyModelMeta } from '../models/meta';

export interface RunStatus {
  out: string;
  checkpointDir: string;
  state: 'finished' | 'in progress' | 'not started';
  model: string | null;
  profile: string | null;
  epochsDone: number;
  maxEpochs: number | null;
  best: BestSoFar | null;
  /** The learning rate the next epoch uses (in progress) or the last one used (finished). */
  lr: number | null;
  history: EpochLog[];
  wallSeconds: number;
  backend: string | null;
  /** Early stopping ended the run (finished, or in a checkpoint that was not yet saved out). */
  stoppedEarly: boolean;
  /** The epoch a mid-epoch checkpoint is inside, and how many of its batches are done. */
  partial: { epoch: number; batch: number; batches: number } | null;
}

/** Epoch lines of `train-log.jsonl` in a saved model's folder (empty if there is none). */
export function readTrainLog(dir: string): EpochLog[] {
  const f = path.join(dir, 'train-log.jsonl');
  if (!fs.existsSync(f)) return [];
  return fs
    .readFileSync(f, 'utf8')
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => {
      let e: EpochLog;
      try {
        e = JSON.parse(line) as EpochLog;
      } catch (err) {
        throw new FerError(`not JSON: ${(err as Error).message}`, f, n);
      }
      if (typeof e.epoch !== 'number' || typeof e.val_loss !== 'number')
        throw new FerError('not an epoch line (epoch, val_loss missing)', f, n);
      return e;
    });
}

/** The status of the run that writes `out` (checkpoint in `checkpointDir`, default `<out>.checkpoint`). */
export function runStatus(
  out: string,
  checkpointDir = `${out.replace(/[/\\]+$/, '')}.checkpoint`,
): RunStatus {
  const metaFile = path.join(out, 'meta.json');
  const stateFile = path.join(checkpointDir, 'state.json');
  const base = { out, checkpointDir };
  if (fs.existsSync(metaFile)) {
    const meta = readJsonFile<StudyModelMeta>(metaFile);
    const history = readTrainLog(out);
    const maxEpochs = typeof meta.config.epochs === 'number' ? meta.config.epochs : null;
    return {
      ...base,
      state: 'finished',
      model: meta.architecture,
      profile: meta.profile,
      epochsDone: meta.epochsRun,
      maxEpochs,
      best: { epoch: meta.bestEpoch, ...meta.best },
      lr: history.length ? history[history.length - 1].lr : null,
      history,
      wallSeconds: meta.wallSeconds,
      backend: meta.backend,
      stoppedEarly: maxEpochs !== null && meta.epochsRun < maxEpochs,
      partial: null,
    };
  }
  if (fs.existsSync(stateFile)) {
    const s = readJsonFile<TrainState>(stateFile);
    if (typeof s.epoch !== 'number' || !Array.isArray(s.history) || !s.config)
      throw new FerError('not a training checkpoint state (epoch, history, config)', stateFile);
    return {
      ...base,
      state: 'in progress',
      model: s.config.model,
      profile: s.config.profile,
      epochsDone: s.epoch,
      maxEpochs: s.config.epochs,
      best: s.best,
      lr: s.lr,
      history: s.history,
      wallSeconds: s.wallSeconds,
      backend: s.backend,
      stoppedEarly: s.stopped,
      partial: s.partial
        ? { epoch: s.partial.epoch, batch: s.partial.batch, batches: s.partial.batches }
        : null,
    };
  }
  return {
    ...base,
    state: 'not started',
    model: null,
    profile: null,
    epochsDone: 0,
    maxEpochs: null,
    best: null,
    lr: null,
    history: [],
    wallSeconds: 0,
    backend: null,
    stoppedEarly: false,
    partial: null,
  };
}

/** Mean wall seconds of the epochs run so far (null before the first). */
export function meanEpochSeconds(s: Pick<RunStatus, 'history'>): number | null {
  return s.history.length ? s.history.reduce((a, e) => a + e.seconds, 0) / s.history.length : null;
}

const hours = (sec: number) => `${(sec / 3600).toFixed(1)} h`;

/** One sentence: where the run is, its best epoch, and the time spent and (at most) left. */
export function describeRunStatus(s: RunStatus): string {
  if (s.state === 'not started')
    return `no run in ${s.out} and no checkpoint in ${s.checkpointDir}`;
  const mean = meanEpochSeconds(s);
  const best = s.best
    ? `best val_accuracy ${s.best.valAccuracy.toFixed(4)} (val_loss ${s.best.valLoss.toFixed(4)}) at epoch ${s.best.epoch}`
    : 'no best epoch yet';
  const head = `${s.model ?? '?'} (${s.profile ?? '?'} profile, ${s.backend ?? '?'})`;
  if (s.state === 'finished')
    return `${head}: finished after ${s.epochsDone} epochs${s.stoppedEarly ? ' (early stopping)' : ''} in ${hours(s.wallSeconds)}; ${best}.`;
  const left = s.maxEpochs !== null ? s.maxEpochs - s.epochsDone : null;
  return (
    `${head}: in progress, ${s.epochsDone} of at most ${s.maxEpochs ?? '?'} epochs done in ${hours(s.wallSeconds)}` +
    (mean !== null ? ` (${(mean / 60).toFixed(0)} min per epoch)` : '') +
    `; ${best}` +
    (left !== null && mean !== null && !s.stoppedEarly
      ? `; at most ${left} epochs (${hours(left * mean)}) left, fewer if early stopping ends it`
      : '') +
    (s.partial
      ? `; epoch ${s.partial.epoch} saved part-way (batch ${s.partial.batch} of ${s.partial.batches}), --resume continues there`
      : '') +
    (s.stoppedEarly ? '; early stopping has ended it: one more --resume saves the model' : '') +
    '.'
  );
}

/**
 * A learning rate for tables: two significant digits, three where two would round it
 * (the plateau halvings give 1.25e-4, which "1.3e-4" would misstate).
 */
export const formatLr = (lr: number): string =>
  lr.toExponential(Number(lr.toPrecision(2)) === lr ? 1 : 2);

/** The run's epochs as a Keras-History-like text table. */
export function formatHistory(history: EpochLog[]): string {
  const head = ['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr', 'minutes'];
  const rows = history.map((e) => [
    String(e.epoch),
    e.loss.toFixed(4),
    e.accuracy.toFixed(4),
    e.val_loss.toFixed(4),
    e.val_accuracy.toFixed(4),
    formatLr(e.lr),
    (e.seconds / 60).toFixed(1),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padStart(w[i])).join('  ')).join('\n');
}
