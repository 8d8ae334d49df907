/** `fer compare <dirA> <dirB>`: paired McNemar tests of two saved models, clean and noisy. */
import { FerError } from '../../util/errors';
import { checkOutputFile } from '../../util/output-path';
import { assertModelDir, MAX_BATCH, MAX_IMAGES, MAX_NOISE_SEEDS } from '../limits';
import { flagChoice, flagInt, flagString, parseArgs, type Command } from '../registry';

const USAGE = `usage:
  fer compare <dirA> <dirB> [--noise paper|none] [--noise-seeds K] [--limit N] [--batch-size N]
              [--drop-leaked-test] [--backend NAME] [--csv FILE] [--cache-dir DIR] [--out FILE]
              [--json]
      McNemar's exact test of model A vs model B on the same test images (both models must
      share the dataset and split), clean and at each of the paper's noise levels with the
      same noise for both (one test per noise seed, K default 3). Writes
      results/compare-<a>-<b>.json (or --out; <a>, <b> and a suffix for --limit, --noise and
      --noise-seeds name the run as fer eval does) and prints a table (the JSON with --json).
      --drop-leaked-test compares on the de-leaked test set (as fer eval).`;

export const compareCommand: Command = {
  name: 'compare',
  summary: 'paired McNemar tests of two models, clean and per noise level',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, {
      values: ['noise', 'noise-seeds', 'limit', 'batch-size', 'backend', 'csv', 'cache-dir', 'out'],
      booleans: ['json', 'drop-leaked-test'],
      maxPositional: 2,
    });
    if (args.positional.length !== 2)
      throw new FerError('expected two model folders (see fer compare --help)');
    const [dirA, dirB] = args.positional;
    const noise = flagChoice(args, 'noise', ['paper', 'none'] as const) ?? 'paper';
    const opts = {
      noise,
      noiseSeeds: flagInt(args, 'noise-seeds', 1, MAX_NOISE_SEEDS),
      limit: flagInt(args, 'limit', 0, MAX_IMAGES),
      batchSize: flagInt(args, 'batch-size', 1, MAX_BATCH),
      dropLeakedTest: args.flags.has('drop-leaked-test') || undefined,
    };
    const { backendOption, setupBackend } = await import('../../backend');
    const backend = backendOption(flagString(args, 'backend'));
    assertModelDir(dirA);
    assertModelDir(dirB);
    const { runCompare, defaultComparePath, producedBy } = await import('../../eval/run');
    const explicit = flagString(args, 'out');
    const out = explicit ?? defaultComparePath(dirA, dirB, opts);
    checkOutputFile(
      out,
      'fer-compare/1',
      explicit === undefined ? producedBy(dirA, dirB) : undefined,
    );
    const { formatCompare } = await import('../../eval/format');
    const log = (s: string): void => console.error(s);
    await setupBackend(backend, { log });
    const r = await runCompare(dirA, dirB, {
      ...opts,
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
