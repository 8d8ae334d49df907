/** `fer dynamics`: the emotion-dynamics experiment (Table 6). */
import { acquireLock } from '../../util/lock';
import { checkOutputDir, checkOutputFile } from '../../util/output-path';
import {
  assertModelDir,
  MAX_BOOTSTRAP,
  MAX_EPOCHS,
  MAX_IMAGES,
  MAX_SEED,
  MAX_SEQUENCES,
} from '../limits';
import {
  flagInt,
  flagNumber,
  flagString,
  parseArgs,
  type Command,
  type NumberRange,
} from '../registry';

const USAGE = `usage:
  fer dynamics [--sequences N] [--T 8] [--epochs N] [--width X] [--noise σ] [--seed S]
               [--frame-model DIR] [--backend NAME] [--json] [options]

  Sequences of FER2013 faces whose emotion follows a documented Markov chain (training
  sequences from the official split's training faces, validation from its validation faces,
  test from its test faces with exact copies of training faces dropped). Task (a): classify
  the last frame; task (b): predict the state after it. Models: a per-frame CNN (alone; for
  (b) persistence), an HMM filter on its softmax with the known chain, a CNN+LSTM sequence
  model (the CNN's frozen encoder, TimeDistributed, then an LSTM with two heads) and, for (b),
  the Markov oracle that knows the true current state. Prints Table 6 (accuracy and weighted
  F1 with bootstrap 95 % CIs, clean and noisy, McNemar tests) and writes it atomically to
  results/dynamics/table6.json (or --out). The defaults are the quick configuration
  (about ten minutes on a 2-core CPU).

  --sequences N        training sequences (default 6000)
  --val-sequences N    validation sequences (default 1000)
  --test-sequences N   test sequences (default 2000)
  --T N                frames per sequence (default 8)
  --epochs N           sequence model: maximum epochs, early stopping on val loss (default 20)
  --units N            LSTM units (default 64)
  --noise σ            Gaussian noise σ of every frame in the noisy condition (default 0.1; 0 = clean only)
  --seed S             seeds the sequences, the models and the bootstrap (default 1)
  --split-seed S       seed of the official split's validation hold-out (default 0)
  --frame-model DIR    use this saved study model (official split) as the per-frame CNN
  --frame-out DIR      where the per-frame CNN is saved; one saved there with the same settings
                       is loaded, not retrained (default models/quick/dynamics-frame-cnn); must
                       be new, empty or a model folder
  --retrain            train the per-frame CNN even if --frame-out holds a matching one
  --width X            per-frame CNN width multiplier (default 0.125)
  --frame-images N     its training faces (default 8000; 0 = all)
  --frame-epochs N     its epochs (default 3)
  --frame-lr X         its Adam learning rate (default 0.002)
  --frame-dropout X    its dropout (default 0.05)
  --bootstrap N        bootstrap resamples (default 1000)
  --backend NAME       auto|tfjs-node-gpu|tfjs-node|webgpu|wasm|cpu (default $FER_BACKEND or auto)
  --csv FILE           FER2013 CSV (default $FER2013_CSV)
  --cache-dir DIR      binary cache folder (default data/cache)
  --out FILE           result JSON (default results/dynamics/table6.json)
  --log-every N        progress line every N batches while the per-frame CNN trains
  --json               print the result JSON instead of the table`;

/** Numeric flags, the config field each sets, and its range (upper bounds: lib/cli/limits). */
const NUMBERS: Record<string, [key: string, range: NumberRange]> = {
  sequences: ['sequences', { int: true, min: 1, max: MAX_SEQUENCES }],
  'val-sequences': ['valSequences', { int: true, min: 1, max: MAX_SEQUENCES }],
  'test-sequences': ['testSequences', { int: true, min: 1, max: MAX_SEQUENCES }],
  T: ['T', { int: true, min: 1, max: 256 }],
  epochs: ['epochs', { int: true, min: 1, max: MAX_EPOCHS }],
  units: ['units', { int: true, min: 1, max: 4096 }],
  noise: ['noise', { min: 0, max: 1 }],
  seed: ['seed', { int: true, min: 0, max: MAX_SEED }],
  'split-seed': ['splitSeed', { int: true, min: 0, max: MAX_SEED }],
  width: ['width', { min: 0, max: 8, minExclusive: true }],
  'frame-images': ['frameImages', { int: true, min: 0, max: MAX_IMAGES }],
  'frame-epochs': ['frameEpochs', { int: true, min: 1, max: MAX_EPOCHS }],
  'frame-lr': ['frameLr', { min: 0, max: 10, minExclusive: true }],
  'frame-dropout': ['frameDropout', { min: 0, max: 0.99 }],
  bootstrap: ['bootstrap', { int: true, min: 1, max: MAX_BOOTSTRAP }],
};

export const dynamicsCommand: Command = {
  name: 'dynamics',
  summary: 'emotion dynamics on face sequences: per-frame CNN vs HMM vs CNN+LSTM (Table 6)',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, {
      values: [
        ...Object.keys(NUMBERS),
        'frame-model',
        'frame-out',
        'backend',
        'csv',
        'cache-dir',
        'out',
        'log-every',
      ],
      booleans: ['json', 'retrain'],
    });
    const numbers: Record<string, number> = {};
    for (const [flag, [key, range]] of Object.entries(NUMBERS)) {
      const v = flagNumber(args, flag, range);
      if (v !== undefined) numbers[key] = v;
    }
    const every = flagInt(args, 'log-every', 1, 1e9);
    const frameModel = flagString(args, 'frame-model');
    if (frameModel !== undefined) assertModelDir(frameModel);
    // Loaded lazily: tfjs start-up is not needed for `fer help`.
    const { DYNAMICS_QUICK, runDynamics, formatTable6, validateDynamicsConfig } =
      await import('../../dynamics');
    const { backendOption } = await import('../../backend');
    const cfg = { ...DYNAMICS_QUICK, ...numbers };
    cfg.backend = backendOption(flagString(args, 'backend'));
    cfg.frameModel = frameModel;
    cfg.frameOut = flagString(args, 'frame-out') ?? cfg.frameOut;
    cfg.out = flagString(args, 'out') ?? cfg.out;
    cfg.csv = flagString(args, 'csv');
    cfg.cacheDir = flagString(args, 'cache-dir');
    validateDynamicsConfig(cfg);
    // Outputs before any work: the result file, and (when a per-frame CNN may be trained) its
    // model folder and checkpoint, locked like fer train's.
    checkOutputFile(cfg.out, 'emotion-dynamics');
    const locks: Array<() => void> = [];
    let r: Awaited<ReturnType<typeof runDynamics>>;
    try {
      if (frameModel === undefined) {
        const ck = `${cfg.frameOut.replace(/[/\\]+$/, '')}.checkpoint`;
        checkOutputDir(cfg.frameOut, 'model');
        checkOutputDir(ck, 'checkpoint');
        locks.push(acquireLock(cfg.frameOut, 'model folder'));
        locks.push(acquireLock(ck, 'checkpoint'));
      }
      r = await runDynamics(cfg, {
        retrain: args.flags.has('retrain'),
        log: (s) => console.error(s),
        progress: every === undefined ? { every: 50 } : { every },
      });
    } finally {
      locks.forEach((f) => f());
    }
    if (args.flags.has('json')) console.log(JSON.stringify(r, null, 2));
    else
      console.log(
        `Table 6: emotion dynamics (${r.rows[0]?.n ?? 0} test sequences, T = ${cfg.T})\n\n` +
          `${formatTable6(r.rows, r.comparisons)}\n\n${r.verdict.join('\n')}\n\n` +
          `${r.seconds.total.toFixed(0)} s on ${r.backend}; wrote ${cfg.out}`,
      );
    return 0;
  },
};
