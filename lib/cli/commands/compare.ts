/** `fer compare <dirA> <dirB>`: paired McNemar tests of two saved models, clean and noisy. */
import { FerError } from '../../util/errors';
import { flagNumber, flagString, parseArgs, type Command } from '../registry';

const USAGE = `usage:
  fer compare <dirA> <dirB> [--noise paper|none] [--noise-seeds K] [--limit N] [--batch-size N]
              [--backend NAME] [--csv FILE] [--cache-dir DIR] [--out FILE] [--json]
      McNemar's exact test of model A vs model B on the same test images (both models must
      share the dataset and split), clean and at each of the paper's noise levels with the
      same noise for both (one test per noise seed, K default 3). Writes
      results/compare-<a>-<b>.json (or --out) and prints a table (the JSON with --json).`;

export const compareCommand: Command = {
  name: 'compare',
  summary: 'paired McNemar tests of two models, clean and per noise level',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, {
      values: ['noise', 'noise-seeds', 'limit', 'batch-size', 'backend', 'csv', 'cache-dir', 'out'],
      booleans: ['json'],
    });
    if (args.positional.length !== 2) throw new FerError(`expected two model folders\n${USAGE}`);
    const [dirA, dirB] = args.positional;
    const noise = flagString(args, 'noise') ?? 'paper';
    if (noise !== 'paper' && noise !== 'none')
      throw new FerError(`--noise must be 'paper' or 'none', got '${noise}'`);
    const { setupBackend, backendOption } = await import('../../backend');
    const { runCompare, defaultComparePath } = await import('../../eval/run');
    const { formatCompare } = await import('../../eval/format');
    const log = (s: string): void => console.error(s);
    await setupBackend(backendOption(flagString(args, 'backend')), {
      log,
    });
    const out = flagString(args, 'out') ?? defaultComparePath(dirA, dirB);
    const r = await runCompare(dirA, dirB, {
      noise,
      noiseSeeds: flagNumber(args, 'noise-seeds'),
      limit: flagNumber(args, 'limit'),
      batchSize: flagNumber(args, 'batch-size'),
      csv: flagString(args, 'csv'),
      cacheDir: flagString(args, 'cache-dir'),
      out,
      log,
    });
    if (args.flags.has('json')) console.log(JSON.stringify(r, null, 2));
    else console.log(`${formatCompare(r)}\n\nwrote ${out}`);
    return 0;
  },
};
