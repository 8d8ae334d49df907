/** `fer robustness`: the corruption suite, FER+ labels, and the noise-augmentation experiment. */
import { FerError } from '../../util/errors';
import { flagNumber, flagString, parseArgs, type Command } from '../registry';

const USAGE = `usage:
  fer robustness --model <dir> [--ref <cnn dir>] [--families a,b|all] [--severities 1-5]
                 [--limit N] [--seed S] [--ferplus FILE | --no-ferplus] [--no-reuse]
                 [--batch-size N] [--backend NAME] [--csv FILE] [--cache-dir DIR] [--out FILE] [--json]
      Evaluate the model saved in <dir> on its own test split (recreated from meta.json) under
      8 corruption families x 5 severities (ImageNet-C protocol; lib/data/corruptions):
      accuracy, weighted F1 and relative robustness per cell. With --ref (the paper's CNN), also
      CE, relative CE and mCE against it, McNemar per severity and a sign test per family; the
      reference's run is written beside this one. A saved run of the same model on the same
      rows, seed and cells (this model's --out, the reference's file) is reused, not recomputed
      (--no-reuse recomputes), so suites run in parallel can be combined. Also scores the
      clean predictions against FER+ majority labels (--ferplus FILE, else fer2013new.csv(.gz)
      beside $FER2013_CSV/--csv; skipped if absent). --limit N takes a stratified subset of N
      test images. Writes results/robustness/<model-folder>.json (or --out) atomically.

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
      ],
      booleans: ['json', 'no-ferplus', 'no-reuse'],
    });
    const mode = args.positional[0];
    if (mode !== undefined && mode !== 'augmentation')
      throw new FerError(`unexpected argument '${mode}' (see fer robustness --help)`);
    // Loaded lazily so `fer help` does not pay for tfjs start-up.
    const { setupBackend, backendOption } = await import('../../backend');
    const run = await import('../../eval/robustness-run');
    const fmt = await import('../../eval/robustness-format');
    const { resolveFerPlusPath } = await import('../../eval/ferplus-eval');
    const log = (s: string): void => console.error(s);
    const common = {
      limit: flagNumber(args, 'limit'),
      batchSize: flagNumber(args, 'batch-size'),
      csv: flagString(args, 'csv'),
      cacheDir: flagString(args, 'cache-dir'),
      log,
    };

    if (mode === 'augmentation') {
      const list = (flagString(args, 'models') ?? '').split(',').filter((s) => s !== '');
      if (list.length !== 4)
        throw new FerError(
          '--models needs four folders: <cnn>,<cnn-lstm>,<cnn augmented>,<cnn-lstm augmented>',
        );
      await setupBackend(backendOption(flagString(args, 'backend')), { log });
      const out = flagString(args, 'out') ?? run.defaultAugmentationPath();
      const r = await run.runAugmentationExperiment(
        { cnn: list[0], cnnLstm: list[1], cnnAug: list[2], cnnLstmAug: list[3] },
        { ...common, noiseSeeds: flagNumber(args, 'noise-seeds'), out },
      );
      if (args.flags.has('json')) console.log(JSON.stringify(r, null, 2));
      else console.log(`${fmt.formatAugmentation(r)}\n\nwrote ${out}`);
      return 0;
    }

    const modelDir = flagString(args, 'model');
    if (!modelDir) throw new FerError(`--model <dir> is required\n${USAGE}`);
    if (args.flags.has('no-ferplus') && flagString(args, 'ferplus') !== undefined)
      throw new FerError('--ferplus and --no-ferplus contradict each other');
    const families = run.parseFamilyList(flagString(args, 'families'));
    const severities = run.parseSeverityList(flagString(args, 'severities'));
    const seed = flagNumber(args, 'seed');
    if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0))
      throw new FerError(`--seed must be a non-negative integer, got ${seed}`);
    const ferplus = args.flags.has('no-ferplus') ? null : flagString(args, 'ferplus');
    if (typeof ferplus === 'string') resolveFerPlusPath(ferplus); // fail before any work
    await setupBackend(backendOption(flagString(args, 'backend')), { log });
    const out = flagString(args, 'out') ?? run.defaultRobustnessPath(modelDir);
    const r = await run.runRobustnessEval(modelDir, {
      ...common,
      families,
      severities,
      seed,
      ref: flagString(args, 'ref'),
      reuse: !args.flags.has('no-reuse'),
      ferplus,
      out,
    });
    if (args.flags.has('json')) console.log(JSON.stringify(r, null, 2));
    else console.log(`${fmt.formatRobustness(r)}\n\nwrote ${out}`);
    return 0;
  },
};
