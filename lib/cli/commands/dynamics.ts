/** `fer dynamics`: the emotion-dynamics experiment (Table 6). */
import { FerError } from '../../util/errors';
import { flagNumber, flagString, parseArgs, type Command } from '../registry';

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
                       is loaded, not retrained (default models/quick/dynamics-frame-cnn)
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

/** Numeric flags and the config field each sets. */
const NUMBERS: Record<string, string> = {
  sequences: 'sequences',
  'val-sequences': 'valSequences',
  'test-sequences': 'testSequences',
  T: 'T',
  epochs: 'epochs',
  units: 'units',
  noise: 'noise',
  seed: 'seed',
  'split-seed': 'splitSeed',
  width: 'width',
  'frame-images': 'frameImages',
  'frame-epochs': 'frameEpochs',
  'frame-lr': 'frameLr',
  'frame-dropout': 'frameDropout',
  bootstrap: 'bootstrap',
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
    if (args.positional.length > 0)
      throw new FerError(`unexpected argument '${args.positional[0]}' (see fer dynamics --help)`);
    // Loaded lazily: tfjs start-up is not needed for `fer help`.
    const { DYNAMICS_QUICK, runDynamics, formatTable6 } = await import('../../dynamics');
    const { backendOption } = await import('../../backend');
    const cfg = { ...DYNAMICS_QUICK };
    for (const [flag, key] of Object.entries(NUMBERS)) {
      const v = flagNumber(args, flag);
      if (v !== undefined) (cfg as unknown as Record<string, number>)[key] = v;
    }
    cfg.backend = backendOption(flagString(args, 'backend'));
    cfg.frameModel = flagString(args, 'frame-model');
    cfg.frameOut = flagString(args, 'frame-out') ?? cfg.frameOut;
    cfg.out = flagString(args, 'out') ?? cfg.out;
    cfg.csv = flagString(args, 'csv');
    cfg.cacheDir = flagString(args, 'cache-dir');
    const every = flagNumber(args, 'log-every');
    const r = await runDynamics(cfg, {
      retrain: args.flags.has('retrain'),
      log: (s) => console.error(s),
      progress: every === undefined ? { every: 50 } : { every },
    });
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
