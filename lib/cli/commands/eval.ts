/** `fer eval --model <dir>`: the paper's Tables 1–5 for one saved model. */
import { FerError } from '../../util/errors';
import { flagNumber, flagString, parseArgs, type Command } from '../registry';

const USAGE = `usage:
  fer eval --model <dir> [--noise paper|none] [--noise-seeds K] [--limit N] [--bootstrap N]
           [--no-timing] [--recalibrate-bn N] [--batch-size N] [--backend NAME] [--csv FILE]
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
      statistics from training) and writes eval-bn-recalibrated.json instead, beside eval.json.
      Writes results/<model-folder>/eval.json (or --out) with meta.json embedded, and prints
      readable tables (the JSON instead with --json).
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
      booleans: ['json', 'no-timing'],
    });
    const modelDir = flagString(args, 'model') ?? args.positional[0];
    if (!modelDir) throw new FerError(`--model <dir> is required\n${USAGE}`);
    const noise = flagString(args, 'noise') ?? 'paper';
    if (noise !== 'paper' && noise !== 'none')
      throw new FerError(`--noise must be 'paper' or 'none', got '${noise}'`);
    // Loaded lazily so `fer help` does not pay for tfjs start-up.
    const { setupBackend, backendOption } = await import('../../backend');
    const { runEval, defaultEvalPath } = await import('../../eval/run');
    const { formatEval } = await import('../../eval/format');
    const log = (s: string): void => console.error(s);
    await setupBackend(backendOption(flagString(args, 'backend')), {
      log,
    });
    const recalibrateBn = flagNumber(args, 'recalibrate-bn');
    const out =
      flagString(args, 'out') ??
      (recalibrateBn === undefined
        ? defaultEvalPath(modelDir)
        : defaultEvalPath(modelDir).replace(/eval\.json$/, 'eval-bn-recalibrated.json'));
    const r = await runEval(modelDir, {
      noise,
      noiseSeeds: flagNumber(args, 'noise-seeds'),
      limit: flagNumber(args, 'limit'),
      bootstrapResamples: flagNumber(args, 'bootstrap'),
      batchSize: flagNumber(args, 'batch-size'),
      timing: args.flags.has('no-timing') ? false : {},
      csv: flagString(args, 'csv'),
      cacheDir: flagString(args, 'cache-dir'),
      recalibrateBn,
      out,
      log,
    });
    if (args.flags.has('json')) console.log(JSON.stringify(r, null, 2));
    else console.log(`${formatEval(r)}\n\nwrote ${out}`);
    return 0;
  },
};
