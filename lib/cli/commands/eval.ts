/** `fer eval --model <dir>`: the paper's Tables 1–5 for one saved model. */
import { FerError } from '../../util/errors';
import { checkOutputFile } from '../../util/output-path';
import { assertModelDir, MAX_BATCH, MAX_BOOTSTRAP, MAX_IMAGES, MAX_NOISE_SEEDS } from '../limits';
import { flagChoice, flagInt, flagString, parseArgs, type Command } from '../registry';

const USAGE = `usage:
  fer eval --model <dir> [--noise paper|none] [--noise-seeds K] [--limit N] [--bootstrap N]
           [--no-timing] [--recalibrate-bn N] [--drop-leaked-test] [--batch-size N]
           [--backend NAME] [--csv FILE]
           [--cache-dir DIR] [--out FILE] [--json]
      Evaluate the model saved in <dir> (model.json + meta.json) on the test split it was
      trained with (recreated from meta.json): Table 1 under macro, weighted, micro and Keras
      averaging with 95 % bootstrap CIs (--bootstrap resamples, default 1000, 0 = none);
      Table 2 (params, FLOPs, size, batch-1 latency and batch-256 throughput; --no-timing skips
      it); Tables 3/4 at the paper's 10 noise levels and clean, averaged over K noise seeds
      (default 3; --noise none = clean only); Table 5; the metric-definition audit; and ours
      beside the paper's numbers. --limit evaluates a stratified subset of N test images.
      --recalibrate-bn N first re-estimates every BatchNorm layer's moving mean and variance
      on N of the model's training images (dropout off; not the paper's recipe, which keeps the
      statistics from training) and writes eval-bn-recalibrated.json instead, beside eval.json
      (for N = 4000, the README's recipe; eval-bn-recalibrated-n<N>.json for another N).
      --drop-leaked-test evaluates on the de-leaked test set: the test rows whose exact pixels
      also occur in the model's train or val rows are dropped (eval-deleaked.json).
      Writes results/<model>/eval.json (or --out) with meta.json embedded, and prints
      readable tables (the JSON instead with --json). <model> names the folder: models/<x> and
      runs/<x> give <x>, models/quick/cnn gives quick-cnn. A run that differs from the full
      evaluation says how in the file name (eval-limit2000.json, eval-clean.json,
      eval-seeds1-boot200-notiming.json), so it never replaces the full result; a default
      file holding another model's result is never replaced (pass --out).
      <dir> may also be an unfinished run's checkpoint folder (models/cnn.checkpoint): its best
      weights so far are evaluated, safely beside the running training, and the result is
      marked interim (meta.interim); the report shows it only as an interim number.`;

export const evalCommand: Command = {
  name: 'eval',
  summary: "Tables 1-5 for one saved model, ours beside the paper's",
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, {
      values: [
        'model',
        'noise',
        'noise-seeds',
        'limit',
        'bootstrap',
        'batch-size',
        'backend',
        'csv',
        'cache-dir',
        'out',
        'recalibrate-bn',
      ],
      booleans: ['json', 'no-timing', 'drop-leaked-test'],
      maxPositional: 1,
    });
    const flagged = flagString(args, 'model');
    if (flagged !== undefined && args.positional.length > 0)
      throw new FerError(
        `unexpected argument '${args.positional[0]}': the model is already given by --model`,
      );
    const modelDir = flagged ?? args.positional[0];
    if (!modelDir) throw new FerError('--model <dir> is required (see fer eval --help)');
    // Every option is checked here, before tfjs starts or any data is read.
    const noise = flagChoice(args, 'noise', ['paper', 'none'] as const) ?? 'paper';
    const opts = {
      noise,
      noiseSeeds: flagInt(args, 'noise-seeds', 1, MAX_NOISE_SEEDS),
      limit: flagInt(args, 'limit', 0, MAX_IMAGES),
      bootstrapResamples: flagInt(args, 'bootstrap', 0, MAX_BOOTSTRAP),
      batchSize: flagInt(args, 'batch-size', 1, MAX_BATCH),
      recalibrateBn: flagInt(args, 'recalibrate-bn', 1, MAX_IMAGES),
      dropLeakedTest: args.flags.has('drop-leaked-test') || undefined,
    };
    const timing = !args.flags.has('no-timing');
    const { backendOption } = await import('../../backend');
    const backend = backendOption(flagString(args, 'backend'));
    assertModelDir(modelDir);
    const { runEval, defaultEvalPath, producedBy } = await import('../../eval/run');
    const explicit = flagString(args, 'out');
    const out = explicit ?? defaultEvalPath(modelDir, { ...opts, timing });
    // A default name is this model's own: another model's result there is never replaced.
    checkOutputFile(out, 'fer-eval/1', explicit === undefined ? producedBy(modelDir) : undefined);
    const { setupBackend } = await import('../../backend');
    const { formatEval } = await import('../../eval/format');
    const log = (s: string): void => console.error(s);
    await setupBackend(backend, { log });
    const r = await runEval(modelDir, {
      ...opts,
      timing: timing ? {} : false,
      csv: flagString(args, 'csv'),
      cacheDir: flagString(args, 'cache-dir'),
      out,
      log,
    });
    if (args.flags.has('json')) console.log(JSON.stringify(r, null, 2));
    else console.log(`${formatEval(r)}\n\nwrote ${out}`);
    return 0;
  },
};
