/** `fer robustness`: the corruption suite, FER+ labels, and the noise-augmentation experiment. */
import * as path from 'node:path';
import { FerError } from '../../util/errors';
import { checkOutputFile } from '../../util/output-path';
import { assertModelDir, MAX_BATCH, MAX_IMAGES, MAX_NOISE_SEEDS, MAX_SEED } from '../limits';
import { flagInt, flagString, parseArgs, type Command } from '../registry';

const USAGE = `usage:
  fer robustness --model <dir> [--ref <cnn dir>] [--families a,b|all] [--severities 1-5]
                 [--limit N] [--seed S] [--ferplus FILE | --no-ferplus] [--no-reuse]
                 [--batch-size N] [--backend NAME] [--csv FILE] [--cache-dir DIR] [--out FILE]
                 [--ref-out FILE] [--json]
      Evaluate the model saved in <dir> on its own test split (recreated from meta.json) under
      8 corruption families x 5 severities (ImageNet-C protocol; lib/robustness/corruptions):
      accuracy, weighted F1 and relative robustness per cell. With --ref (the paper's CNN), also
      CE, relative CE and mCE against it, McNemar per severity and a sign test per family; the
      reference's run is written beside this one, or to --ref-out FILE. A saved run of the same
      model on the same rows, seed and cells (this model's --out, the reference's file) is
      reused, not recomputed (--no-reuse recomputes), so suites run in parallel can be
      combined. Also scores the clean predictions against FER+ majority labels (--ferplus FILE,
      else fer2013new.csv(.gz) beside $FER2013_CSV/--csv; skipped if absent). --limit N takes a
      stratified subset of N test images. Writes results/robustness/<model-folder>.json (or
      --out) atomically; a run with --limit or --seed goes to
      results/robustness/limit<N>-seed<S>/ instead, so it never replaces the full suite's file,
      and a default file holding another model's run is never replaced (pass --out).

  fer robustness augmentation --models <cnn>,<cnn-lstm>,<cnn aug>,<cnn-lstm aug>
                 [--limit N] [--noise-seeds K] [--batch-size N] [--backend NAME] [--csv FILE]
                 [--cache-dir DIR] [--out FILE] [--json]
      Plain vs noise-augmented models (fer train --augment-noise) at the paper's 10 noise levels
      on one stratified test subset (default 2000 images, 1 noise seed): accuracy and weighted
      F1 (Tables 3/4), hybrid-minus-CNN gaps, McNemar per level, and whether augmentation
      closes the gap. Writes results/robustness/augmentation.json (or --out).

  families: gaussian-noise, salt-pepper, gaussian-blur, occlusion, brightness, contrast, jpeg,
  downscale`;

const COMMON_VALUES = ['limit', 'batch-size', 'backend', 'csv', 'cache-dir', 'out'];

export const robustnessCommand: Command = {
  name: 'robustness',
  summary: 'corruption suite (mCE vs the CNN), FER+ labels, noise-augmentation experiment',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, {
      values: [
        ...COMMON_VALUES,
        'model',
        'ref',
        'families',
        'severities',
        'seed',
        'ferplus',
        'models',
        'noise-seeds',
        'ref-out',
      ],
      booleans: ['json', 'no-ferplus', 'no-reuse'],
      maxPositional: 1,
    });
    const mode = args.positional[0];
    if (mode !== undefined && mode !== 'augmentation')
      throw new FerError(`unexpected argument '${mode}' (see fer robustness --help)`);
    // Every option is checked before tfjs starts or any data is read.
    const common = {
      limit: flagInt(args, 'limit', 0, MAX_IMAGES),
      batchSize: flagInt(args, 'batch-size', 1, MAX_BATCH),
      csv: flagString(args, 'csv'),
      cacheDir: flagString(args, 'cache-dir'),
    };
    const only = (names: string[], where: string): void => {
      const bad = names.find((n) => args.flags.has(n));
      if (bad) throw new FerError(`option --${bad} does not apply to ${where}`);
    };
    const { backendOption } = await import('../../backend');
    const backend = backendOption(flagString(args, 'backend'));
    const run = await import('../../robustness/run');
    const { producedBy } = await import('../../eval/run');
    const log = (s: string): void => console.error(s);

    if (mode === 'augmentation') {
      only(
        [
          'model',
          'ref',
          'ref-out',
          'families',
          'severities',
          'seed',
          'ferplus',
          'no-ferplus',
          'no-reuse',
        ],
        'augmentation',
      );
      const list = (flagString(args, 'models') ?? '').split(',').filter((s) => s !== '');
      if (list.length !== 4)
        throw new FerError(
          '--models needs four folders: <cnn>,<cnn-lstm>,<cnn augmented>,<cnn-lstm augmented>',
        );
      list.forEach(assertModelDir);
      const noiseSeeds = flagInt(args, 'noise-seeds', 1, MAX_NOISE_SEEDS);
      const out = flagString(args, 'out') ?? run.defaultAugmentationPath();
      checkOutputFile(out, 'fer-augmentation/1');
      const { setupBackend } = await import('../../backend');
      const fmt = await import('../../robustness/format');
      await setupBackend(backend, { log });
      const r = await run.runAugmentationExperiment(
        { cnn: list[0], cnnLstm: list[1], cnnAug: list[2], cnnLstmAug: list[3] },
        { ...common, log, noiseSeeds, out },
      );
      if (args.flags.has('json')) console.log(JSON.stringify(r, null, 2));
      else console.log(`${fmt.formatAugmentation(r)}\n\nwrote ${out}`);
      return 0;
    }

    only(
      ['models', 'noise-seeds'],
      'the corruption suite (they belong to robustness augmentation)',
    );
    const modelDir = flagString(args, 'model');
    if (!modelDir) throw new FerError('--model <dir> is required (see fer robustness --help)');
    if (args.flags.has('no-ferplus') && flagString(args, 'ferplus') !== undefined)
      throw new FerError('--ferplus and --no-ferplus contradict each other');
    const families = run.parseFamilyList(flagString(args, 'families'));
    const severities = run.parseSeverityList(flagString(args, 'severities'));
    const seed = flagInt(args, 'seed', 0, MAX_SEED);
    const ref = flagString(args, 'ref');
    assertModelDir(modelDir);
    if (ref !== undefined) assertModelDir(ref);
    const ferplus = args.flags.has('no-ferplus') ? null : flagString(args, 'ferplus');
    const { resolveFerPlusPath } = await import('../../robustness/ferplus-eval');
    if (typeof ferplus === 'string') resolveFerPlusPath(ferplus); // fail before any work
    const explicit = flagString(args, 'out');
    // A subset or another noise seed never replaces the full suite's files: such runs (and
    // their reference's) go to a folder named after what differs.
    const variant = [common.limit ? `limit${common.limit}` : '', seed ? `seed${seed}` : '']
      .filter((x) => x !== '')
      .join('-');
    const out =
      explicit ??
      path.join(
        path.dirname(run.defaultRobustnessPath(modelDir)),
        variant,
        path.basename(run.defaultRobustnessPath(modelDir)),
      );
    checkOutputFile(
      out,
      'fer-robustness/1',
      explicit === undefined ? producedBy(modelDir) : undefined,
    );
    const refOut = flagString(args, 'ref-out');
    if (refOut !== undefined && ref === undefined)
      throw new FerError("--ref-out needs --ref (it names the reference's result file)");
    if (ref !== undefined) {
      // runRobustnessEval writes the reference's run to --ref-out, else beside --out, named
      // after its folder.
      const refFile =
        refOut ?? path.join(path.dirname(out), `${path.basename(path.resolve(ref))}.json`);
      if (path.resolve(refFile) === path.resolve(out))
        throw new FerError(
          `the reference's result would be written to --out itself (${refFile}); name --out differently`,
        );
      checkOutputFile(refFile, 'fer-robustness/1', producedBy(ref));
    }
    const { setupBackend } = await import('../../backend');
    const fmt = await import('../../robustness/format');
    await setupBackend(backend, { log });
    const r = await run.runRobustnessEval(modelDir, {
      ...common,
      log,
      families,
      severities,
      seed,
      ref,
      refOut,
      reuse: !args.flags.has('no-reuse'),
      ferplus,
      out,
    });
    if (args.flags.has('json')) console.log(JSON.stringify(r, null, 2));
    else console.log(`${fmt.formatRobustness(r)}\n\nwrote ${out}`);
    return 0;
  },
};
