/** `fer train`: train one model design (the paper's CNN, its hybrid, or another), resumably. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FerError } from '../../util/errors';
import { acquireLock } from '../../util/lock';
import { checkOutputDir } from '../../util/output-path';
import { MAX_BATCH, MAX_EPOCHS, MAX_IMAGES, MAX_SEED } from '../limits';
import {
  flagInt,
  flagNumber,
  flagString,
  parseArgs,
  type Command,
  type NumberRange,
} from '../registry';

const USAGE = `usage:
  fer train --model DESIGN [--profile quick|paper | --config NAME|FILE] [options]

  Trains one model with a seeded, checkpointed epoch loop and saves it in tfjs format
  (model.json + weights.bin + meta.json + train-log.jsonl). Never reads the test split.

  --model DESIGN           cnn, cnn-lstm (the paper's pair), or another design of
                           lib/models/designs.ts: cnn-lstm-spatial, cnn-lstm-seq1,
                           cnn-bilstm, cnn-dense-control (required)
  --config NAME|FILE       the training settings of a study config (configs/<name>.ts);
                           the options below override them
  --profile quick|paper    quick (default): width 0.25, 4,000/1,000 stratified train/val images,
                           4 epochs, lr 0.002, batch 32, dropout 0.1; paper: full width, all
                           training rows, up to 60 epochs, the paper's lr 0.0005
  --epochs N               maximum epochs (early stopping may end sooner)
  --seed S                 weights, shuffling and dropout seed (default 1)
  --split official|paper-random|public-private   (default official)
  --split-seed S           seed of the validation hold-out (default 0)
  --val-fraction F         share of training rows held out for validation (default 0.1)
  --limit-train N          stratified subset of the training rows (0 = all)
  --limit-val N            stratified subset of the validation rows (0 = all)
  --batch-size N           (default 64)
  --lr X                   Adam learning rate (default 0.0005)
  --width X                width multiplier (quick 0.25, paper 1)
  --dropout X              dropout rate (default 0.25)
  --l2 X                   L2 kernel penalty (default 0: off)
  --bn-momentum X          BatchNorm moving-average momentum (default 0.99, as Keras)
  --augment-noise X        Gaussian-noise augmentation: each training image gets noise of
                           sigma ~ U(0, X) on the [0, 1] scale (default 0: off; not in the paper)
  --patience N             early-stopping patience in epochs
  --lr-patience N          epochs without improvement before the LR is multiplied by
  --lr-factor X            this factor (default 0.5)
  --backend NAME           auto|tfjs-node-gpu|tfjs-node|webgpu|wasm|cpu (default $FER_BACKEND or auto)
  --out DIR                model folder (default models/<model> for paper, runs/<model>-quick);
                           must be new, empty or a model folder (model.json + meta.json and
                           nothing else): fer never replaces a folder it did not write.
                           A running training holds a lock (.<name>.lock beside --out and
                           the checkpoint) so a second one on the same folders is refused
  --checkpoint-dir DIR     checkpoint folder (default <out>.checkpoint; removed on success)
  --checkpoint-minutes M   also checkpoint inside an epoch every M minutes (default 10;
                           0 = at epoch ends only). SIGINT/SIGTERM (Ctrl-C) saves one after
                           the batch in progress and exits 130; a second signal exits at once
  --resume                 continue from the checkpoint (same settings; --epochs may grow),
                           mid-epoch if it was saved there: the result is bit-identical
  --overwrite              start afresh over an existing checkpoint and replace an existing
                           model in --out (without it or --resume, either is an error)
  --csv FILE               FER2013 CSV (default $FER2013_CSV)
  --cache-dir DIR          binary cache folder (default data/cache)
  --log-every N            without a terminal: one progress line every N batches
  --quiet                  no progress bar or lines (epoch lines are still printed)
  --summary                print the model's Keras-style summary (params, FLOPs) and exit
  --status                 print how far the run in --out has got (its checkpoint or the
                           finished model: epochs, best epoch, time per epoch) and exit`;

/** Numeric flags, the config field each sets, and its range (upper bounds: lib/cli/limits). */
const VALUES: Record<string, [key: string, range: NumberRange]> = {
  epochs: ['epochs', { int: true, min: 1, max: MAX_EPOCHS }],
  seed: ['seed', { int: true, min: 0, max: MAX_SEED }],
  'split-seed': ['splitSeed', { int: true, min: 0, max: MAX_SEED }],
  'val-fraction': ['valFraction', { min: 0, max: 1, minExclusive: true }],
  'limit-train': ['limitTrain', { int: true, min: 0, max: MAX_IMAGES }],
  'limit-val': ['limitVal', { int: true, min: 0, max: MAX_IMAGES }],
  'batch-size': ['batchSize', { int: true, min: 1, max: MAX_BATCH }],
  lr: ['learningRate', { min: 0, max: 10, minExclusive: true }],
  width: ['widthMultiplier', { min: 0, max: 8, minExclusive: true }],
  dropout: ['dropout', { min: 0, max: 0.99 }],
  l2: ['l2', { min: 0, max: 1 }],
  'bn-momentum': ['bnMomentum', { min: 0, max: 0.9999, minExclusive: true }],
  'augment-noise': ['augmentNoise', { min: 0, max: 1 }],
  patience: ['earlyStoppingPatience', { int: true, min: 1, max: MAX_EPOCHS }],
  'lr-patience': ['reduceLrPatience', { int: true, min: 1, max: MAX_EPOCHS }],
  'lr-factor': ['reduceLrFactor', { min: 0, max: 1, minExclusive: true }],
};

export const trainCommand: Command = {
  name: 'train',
  summary: 'train the CNN or the CNN+LSTM (seeded, checkpointed, resumable)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, {
      values: [
        'model',
        'profile',
        'config',
        'split',
        'backend',
        'out',
        'checkpoint-dir',
        'csv',
        'cache-dir',
        'log-every',
        'checkpoint-minutes',
        ...Object.keys(VALUES),
      ],
      booleans: ['resume', 'overwrite', 'quiet', 'summary', 'status'],
    });
    const model = flagString(args, 'model');
    if (model === undefined) throw new FerError('--model is required (e.g. cnn or cnn-lstm)');
    const configName = flagString(args, 'config');
    if (configName !== undefined && flagString(args, 'profile') !== undefined)
      throw new FerError('--profile and --config contradict each other: give one');
    // Loaded lazily: tfjs start-up is not needed for `fer help`.
    const { resolveTrainConfig, train, parseSplitName } = await import('../../train');
    const { backendOption } = await import('../../backend');
    const overrides: Record<string, unknown> = {};
    for (const [flag, [key, range]] of Object.entries(VALUES))
      overrides[key] = flagNumber(args, flag, range);
    const split = flagString(args, 'split');
    const { loadConfig } = await import('../../config');
    const base =
      configName !== undefined ? loadConfig(configName) : (flagString(args, 'profile') ?? 'quick');
    const cfg = resolveTrainConfig(model, base, {
      ...overrides,
      split: split === undefined ? undefined : parseSplitName(split),
      backend: backendOption(flagString(args, 'backend')),
      out: flagString(args, 'out'),
      checkpointDir: flagString(args, 'checkpoint-dir'),
      csv: flagString(args, 'csv'),
      cacheDir: flagString(args, 'cache-dir'),
      resume: args.flags.has('resume'),
      checkpointMinutes: flagNumber(args, 'checkpoint-minutes', { min: 0, max: 10_080 }),
    });
    const every = flagInt(args, 'log-every', 1, 1e9);
    if (args.flags.has('resume') && args.flags.has('overwrite'))
      throw new FerError('--resume and --overwrite contradict each other');
    if (args.flags.has('status')) {
      const { runStatus, describeRunStatus, formatHistory } = await import('../../train/status');
      const st = runStatus(cfg.out, cfg.checkpointDir);
      console.log(describeRunStatus(st));
      if (st.history.length) console.log(formatHistory(st.history));
      return 0;
    }
    if (args.flags.has('summary')) {
      const { buildModel, modelSummary } = await import('../../models');
      // Building only initialises weights; the plain cpu backend is enough.
      await (await import('../../backend')).setupBackend('cpu');
      const m = buildModel(cfg.model, {
        widthMultiplier: cfg.widthMultiplier,
        dropout: cfg.dropout,
        seed: cfg.seed,
      });
      console.log(modelSummary(m));
      return 0;
    }
    const release = claimOutputs(cfg.out, cfg.checkpointDir, {
      resume: args.flags.has('resume'),
      overwrite: args.flags.has('overwrite'),
    });
    const { TrainingInterrupted } = await import('../../train');
    // First signal: finish the batch, save a mid-epoch checkpoint, exit 130. Second: exit now
    // (the last saved checkpoint is still intact: saves are atomic).
    const stop = new AbortController();
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stop.signal.aborted) process.exit(130);
      process.stderr.write(`\n${sig}: stopping after this batch to save a checkpoint\n`);
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await train(cfg, {
        progress: args.flags.has('quiet') ? false : { every },
        signal: stop.signal,
      });
    } catch (e) {
      if (!(e instanceof TrainingInterrupted)) throw e;
      console.error(e.format());
      return 130;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      release();
    }
    return 0;
  },
};

/**
 * Before any data is loaded: --out and the checkpoint folder must be new, empty or of their
 * kind; both are locked for this process; an existing checkpoint or model is replaced only
 * with --overwrite (or continued with --resume). Returns the locks' release.
 */
function claimOutputs(
  out: string,
  checkpointDir: string,
  flags: { resume: boolean; overwrite: boolean },
): () => void {
  const a = path.resolve(out);
  const b = path.resolve(checkpointDir);
  const inside = (x: string, y: string): boolean => x === y || x.startsWith(y + path.sep);
  if (inside(a, b) || inside(b, a))
    throw new FerError(`--out and the checkpoint folder (${checkpointDir}) must be apart`, out);
  const outState = checkOutputDir(out, 'model');
  const ckState = checkOutputDir(checkpointDir, 'checkpoint');
  const locks: Array<() => void> = [];
  const release = (): void => locks.splice(0).forEach((f) => f());
  try {
    locks.push(acquireLock(out, 'model folder'));
    locks.push(acquireLock(checkpointDir, 'checkpoint'));
    if (ckState === 'same-kind' && !flags.resume && !flags.overwrite)
      throw new FerError(
        `holds a checkpoint${epochsOf(checkpointDir)}; pass --resume to continue it or --overwrite to start afresh and replace it`,
        checkpointDir,
      );
    if (outState === 'same-kind' && !flags.resume && !flags.overwrite)
      throw new FerError(
        'holds a trained model; pass --overwrite to replace it when this run finishes, or choose another --out',
        out,
      );
  } catch (e) {
    release();
    throw e;
  }
  return release;
}

/** ' (3 epochs done)' from a checkpoint's state.json, or '' when it cannot be read. */
function epochsOf(dir: string): string {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as {
      epoch?: unknown;
    };
    return typeof s.epoch === 'number' ? ` (${s.epoch} epochs done)` : '';
  } catch {
    return '';
  }
}
