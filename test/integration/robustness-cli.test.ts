/**
 * `fer robustness` end to end on tiny saved models and synthetic data: the corruption suite
 * with a reference (CE / mCE / paired tests), reuse of the reference's run, FER+ scoring on a
 * synthetic FER+ file, the augmentation experiment, and bad input.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseFer2013Csv, USAGES, type FerDataset } from '../../lib/data';
import { loadFerPlus } from '../../lib/robustness/ferplus';
import { ferPlusEval, resolveFerPlusPath } from '../../lib/robustness/ferplus-eval';
import {
  augmentationVerdict,
  parseSeverityList,
  runAugmentationExperiment,
  runRobustnessEval,
  type AugmentationResult,
  type RobustnessResult,
} from '../../lib/robustness/run';
import { formatAugmentation, formatRobustness } from '../../lib/robustness/format';
import { robustnessCommand } from '../../lib/cli/commands/robustness';
import { renderMarkdown } from '../../lib/report/blocks';
import {
  loadRobustnessResults,
  robustnessBlocks,
  robustnessFigures,
} from '../../lib/report/robustness-report';
import { saveStudyModel } from '../../lib/train';
import type { StudyModelMeta } from '../../lib/models/meta';
import { syntheticFer, writeFerCsv } from '../../lib/train/synthetic';
import { FerError } from '../../lib/util/errors';
import { ferSync } from '../fixtures/cli';
import { tinyModel, tinyMeta as metaFor } from '../fixtures/tiny-model';

const fer = (...args: string[]) => ferSync(args, { FER_BACKEND: 'cpu', FER_RESULTS_DIR: '' });

const VOTE_COLUMNS = 10; // neutral..NF
/** FER+ column of each FER2013 label (angry..neutral). */
const FERPLUS_COLUMN_OF = [4, 5, 6, 1, 3, 2, 0];

/**
 * A FER+ file for `ds`: every 5th row "unknown" (dropped), every 3rd of the rest relabelled to
 * (label + 1) % 7, the others confirming the FER2013 label. Returns the expected FER+ labels.
 */
function writeFerPlus(file: string, ds: FerDataset): Int8Array {
  const expected = new Int8Array(ds.n);
  const lines = [
    'Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF',
  ];
  for (let i = 0; i < ds.n; i++) {
    const votes = new Array<number>(VOTE_COLUMNS).fill(0);
    if (i % 5 === 0) {
      votes[8] = 8; // unknown
      votes[0] = 2;
      expected[i] = -1;
    } else {
      const label = i % 3 === 0 ? (ds.labels[i] + 1) % 7 : ds.labels[i];
      votes[FERPLUS_COLUMN_OF[label]] = 7;
      votes[7] = 1; // a single contempt vote: an outlier the majority rule ignores
      votes[9] = 2;
      expected[i] = label;
    }
    lines.push(`${USAGES[ds.usage[i]]},fer${String(i).padStart(7, '0')}.png,${votes.join(',')}`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return expected;
}

describe('fer robustness', function () {
  let dir: string;
  let csv: string;
  let ds: FerDataset;
  let expectedPlus: Int8Array;
  const dirs: Record<string, string> = {};

  before(async () => {
    await tf.setBackend('cpu');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-robustness-'));
    csv = path.join(dir, 'fer2013.csv');
    writeFerCsv(csv, syntheticFer({ n: 100, seed: 3 }));
    ds = await parseFer2013Csv(csv); // its sha256 is the CSV's, as the CLI will see it
    expectedPlus = writeFerPlus(path.join(dir, 'fer2013new.csv'), ds);
    const specs: [string, StudyModelMeta['architecture'], number, number][] = [
      ['cnn', 'cnn', 1, 0],
      ['cnn-lstm', 'cnn-lstm', 2, 0],
      ['cnn-aug', 'cnn', 3, 0.3],
      ['cnn-lstm-aug', 'cnn-lstm', 4, 0.3],
    ];
    for (const [name, arch, seed, sigma] of specs) {
      dirs[name] = path.join(dir, 'models', name);
      const m = tinyModel(seed);
      await saveStudyModel(
        dirs[name],
        m,
        metaFor(ds, arch, seed, sigma > 0 ? { augmentNoise: sigma } : {}),
      );
      m.dispose();
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('scores FER+ against the same predictions on the same rows (hand-checked case)', () => {
    const fp = {
      labels: Int8Array.from([3, 4, -1, 0]),
      usage: new Uint8Array(4),
      dropped: { unknown: 1, 'not-a-face': 0, contempt: 0, 'no-majority': 0 },
      source: 'hand',
    };
    const r = ferPlusEval([3, 4, 6, 1], [0, 1, 2, 3], [3, 3, 6, 0], fp);
    assert.equal(r.nWithFerPlus, 3);
    assert.equal(r.nDropped, 1);
    assert.equal(r.ferplusRows.ferplus.accuracy, 2 / 3);
    assert.equal(r.ferplusRows.original.accuracy, 1 / 3);
    assert.equal(r.allRows.original.accuracy, 2 / 4);
    assert.equal(r.labelAgreement, 2 / 3);
    assert.equal(r.labelConfusion[3][4], 1); // FER2013 happy, FER+ sad
    assert.ok(r.published.length > 0 && /not comparable/.test(r.comparability));
    assert.throws(() => ferPlusEval([1], [0, 1], [0, 0], fp), FerError);
  });

  it('finds fer2013new.csv(.gz) beside the CSV, or takes --ferplus', () => {
    assert.equal(
      resolveFerPlusPath(undefined, { FER2013_CSV: csv }),
      path.join(dir, 'fer2013new.csv'),
    );
    assert.equal(resolveFerPlusPath(undefined, {}), null);
    assert.equal(
      resolveFerPlusPath(undefined, { FER2013_CSV: path.join(os.tmpdir(), 'x.csv') }),
      null,
    );
    assert.throws(() => resolveFerPlusPath(path.join(dir, 'nope.csv')), /FER\+ file not found/);
  });

  it('parses severity lists', () => {
    assert.deepEqual(parseSeverityList('1-5'), [1, 2, 3, 4, 5]);
    assert.deepEqual(parseSeverityList('5,1-2'), [1, 2, 5]);
    assert.throws(() => parseSeverityList('0-6'), FerError);
    assert.throws(() => parseSeverityList('4-2'), /reversed/);
  });

  let first: RobustnessResult;
  it('CLI: suite with --ref writes both results, CE/mCE, paired tests and FER+', () => {
    const out = path.join(dir, 'results', 'robustness', 'cnn-lstm.json');
    const r = fer(
      'robustness',
      '--model',
      dirs['cnn-lstm'],
      '--ref',
      dirs.cnn,
      '--families',
      'gaussian-noise,occlusion',
      '--severities',
      '1-2',
      '--csv',
      csv,
      '--cache-dir',
      path.join(dir, 'cache'),
      '--out',
      out,
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    first = JSON.parse(r.out) as RobustnessResult;
    assert.deepEqual(JSON.parse(fs.readFileSync(out, 'utf8')), first);
    assert.equal(first.schema, 'fer-robustness/1');
    assert.equal(first.data.nTest, 20); // PublicTest + PrivateTest of the synthetic file
    assert.equal(first.run.cells.length, 4);
    assert.equal(first.run.predictions['occlusion/2'].length, 20);
    const ref = first.reference!;
    assert.equal(ref.name, 'cnn');
    assert.equal(ref.reused, false);
    assert.equal(first.reused, false);
    assert.equal(ref.families.length, 2);
    // mCE is the mean of the per-family CEs, each a ratio of summed errors.
    const ce = ref.families.map((f) => {
      const err = (cells: typeof ref.cells): number =>
        cells.filter((c) => c.family === f.family).reduce((s, c) => s + 1 - c.accuracy, 0);
      return err(first.run.cells) / err(ref.cells);
    });
    ref.families.forEach((f, i) => assert.ok(Math.abs(f.ce - ce[i]) < 1e-12));
    assert.ok(Math.abs(ref.mCE - (ce[0] + ce[1]) / 2) < 1e-12);
    assert.equal(ref.pairedTests[0].perSeverity.length, 2);
    // The reference's own run went beside this one, with the same rows and cells.
    const refSaved = JSON.parse(
      fs.readFileSync(path.join(dir, 'results', 'robustness', 'cnn.json'), 'utf8'),
    ) as RobustnessResult;
    assert.equal(refSaved.reference, null);
    assert.deepEqual(refSaved.run.rows, first.run.rows);
    assert.deepEqual(refSaved.run.cells, ref.cells);
    // FER+ found beside --csv; counts against the labels the fixture was built with.
    const fp = first.ferplus!;
    const rows = first.run.rows;
    const withPlus = rows.filter((r) => expectedPlus[r] >= 0);
    assert.equal(fp.nWithFerPlus, withPlus.length);
    const pred = first.run.predictions.clean;
    const correct = rows.filter((r, k) => expectedPlus[r] >= 0 && pred[k] === expectedPlus[r]);
    assert.equal(fp.ferplusRows.ferplus.accuracy, correct.length / withPlus.length);
    const agree = withPlus.filter((r) => expectedPlus[r] === ds.labels[r]).length;
    assert.equal(fp.labelAgreement, agree / withPlus.length);
    assert.match(formatRobustness(first), /mCE .* relative mCE/);
  });

  it('reuses the reference run when it matches, and recomputes it when asked', async () => {
    const opts = {
      families: ['gaussian-noise', 'occlusion'] as const,
      severities: [1, 2] as const,
      ref: dirs.cnn,
      csv,
      cacheDir: path.join(dir, 'cache'),
      out: path.join(dir, 'results', 'robustness', 'cnn-lstm.json'),
    };
    const again = await runRobustnessEval(dirs['cnn-lstm'], opts);
    assert.equal(again.reused, true);
    assert.equal(again.reference!.reused, true);
    assert.equal(again.reference!.mCE, first.reference!.mCE);
    assert.deepEqual(again.run.predictions, first.run.predictions);
    // A subset of the cells can reuse it too; another corruption seed cannot.
    const sub = await runRobustnessEval(dirs['cnn-lstm'], {
      ...opts,
      severities: [2],
      ferplus: null,
    });
    assert.equal(sub.reference!.reused, true);
    assert.equal(sub.ferplus, null);
    const seeded = await runRobustnessEval(dirs['cnn-lstm'], { ...opts, seed: 5 });
    assert.equal(seeded.reused, false);
    assert.equal(seeded.reference!.reused, false);
    const forced = await runRobustnessEval(dirs['cnn-lstm'], { ...opts, seed: 5, reuse: false });
    assert.equal(forced.reused, false);
    assert.equal(forced.reference!.reused, false);
    assert.deepEqual(forced.run.predictions, seeded.run.predictions);
    // --limit shrinks the suite's rows, not FER+'s: that always covers the whole test split.
    const limited = await runRobustnessEval(dirs.cnn, {
      ...opts,
      ref: undefined,
      limit: 10,
      out: path.join(dir, 'limited.json'),
    });
    assert.equal(limited.data.nTest, 10);
    assert.equal(limited.ferplus!.nTest, 20);
    const full = JSON.parse(
      fs.readFileSync(path.join(dir, 'results', 'robustness', 'cnn.json'), 'utf8'),
    ) as RobustnessResult;
    assert.deepEqual(limited.ferplus, full.ferplus);
  });

  it('augmentation experiment: gaps, paired tests and a computed verdict', async () => {
    const r: AugmentationResult = await runAugmentationExperiment(
      {
        cnn: dirs.cnn,
        cnnLstm: dirs['cnn-lstm'],
        cnnAug: dirs['cnn-aug'],
        cnnLstmAug: dirs['cnn-lstm-aug'],
      },
      { ds, out: path.join(dir, 'results', 'robustness', 'augmentation.json') },
    );
    assert.equal(r.levels.length, 11);
    assert.equal(r.models.length, 4);
    assert.deepEqual(
      r.models.map((m) => m.augmentNoise),
      [0, 0, 0.3, 0.3],
    );
    const acc = (i: number, level: number): number =>
      r.models[i].table34.levels.find((l) => l.level === level)!.accuracy.mean;
    for (const g of r.gaps) {
      assert.ok(Math.abs(g.plain.accuracy - (acc(1, g.level) - acc(0, g.level))) < 1e-12);
      assert.ok(Math.abs(g.augmented.accuracy - (acc(3, g.level) - acc(2, g.level))) < 1e-12);
    }
    assert.equal(r.paired.plain.length, 11);
    assert.ok(fs.existsSync(path.join(dir, 'results', 'robustness', 'augmentation.json')));
    assert.match(formatAugmentation(r), /hybrid minus CNN/);
    // Models in the wrong slots are refused.
    await assert.rejects(
      runAugmentationExperiment(
        {
          cnn: dirs.cnn,
          cnnLstm: dirs['cnn-lstm'],
          cnnAug: dirs.cnn,
          cnnLstmAug: dirs['cnn-lstm-aug'],
        },
        { ds },
      ),
      /expected a noise-augmented model/,
    );
  });

  it('report: a robustness section and its numbered figures from results/robustness, none without it', () => {
    const inp = loadRobustnessResults(path.join(dir, 'results'))!;
    assert.deepEqual(
      inp.pair.map((r) => r.model.name),
      ['cnn', 'cnn-lstm'],
    );
    assert.ok(inp.augmentation);
    const md = renderMarkdown(robustnessBlocks(inp));
    assert.match(md, /## Robustness beyond the paper/);
    assert.ok(
      md.includes(`mCE of the hybrid vs the CNN: ${inp.pair[1].reference!.mCE.toFixed(3)}`),
    );
    assert.match(md, /### FER\+ labels/);
    assert.match(md, /### Noise-augmented training/);
    assert.ok(md.includes(inp.augmentation.summary.verdict));
    const figs = robustnessFigures(inp);
    assert.deepEqual(
      figs.map((f) => f.name),
      [
        'fig9-robustness-heatmap',
        'fig10-robustness-curves',
        'fig11-corruption-error',
        'fig12-ferplus',
        'fig13-noise-augmentation',
      ],
    );
    // Heat map: one panel per model plus hybrid - CNN, whose cells are the differences.
    const heat = figs[0].figure.data;
    assert.equal(heat.length, 3);
    const z = heat.map((t) => t.z as number[][]);
    assert.ok(Math.abs(z[2][1][2] - (z[1][1][2] - z[0][1][2])) < 1e-12);
    assert.equal(loadRobustnessResults(path.join(dir, 'nothing-here')), null);
  });

  it('the verdict follows the numbers', () => {
    const base = {
      highNoise: [0.2, 0.3],
      augmentedCnnVsPlainHybrid: { accuracy: 0.05, weightedF1: 0 },
    };
    const closes = augmentationVerdict({
      ...base,
      plainGap: { accuracy: 0.08, weightedF1: 0 },
      augmentedGap: { accuracy: 0.005, weightedF1: 0 },
    });
    assert.match(closes, /ahead of the CNN.*closes most/);
    const stays = augmentationVerdict({
      ...base,
      plainGap: { accuracy: 0.08, weightedF1: 0 },
      augmentedGap: { accuracy: 0.07, weightedF1: 0 },
    });
    assert.match(stays, /does not close it/);
    const none = augmentationVerdict({
      ...base,
      plainGap: { accuracy: -0.001, weightedF1: 0 },
      augmentedGap: { accuracy: 0, weightedF1: 0 },
    });
    assert.match(none, /no LSTM advantage/);
  });

  it('bad input: FerErrors before any work; the CLI prints one line and exits 1', async () => {
    const common = ['--csv', csv, '--cache-dir', path.join(dir, 'cache'), '--backend', 'cpu'];
    const out = ['--out', path.join(dir, 'bad', 'r.json')];
    const bad = [
      [['--model', dirs.cnn, '--families', 'rain'], /unknown corruption family 'rain'/],
      [['--model', dirs.cnn, '--severities', '0-9'], /--severities must be like/],
      [[], /--model <dir> is required/],
      [['--model', dirs.cnn, '--ferplus', path.join(dir, 'x.csv')], /FER\+ file not found/],
      [['--model', dirs.cnn, '--ferplus', csv, '--no-ferplus'], /contradict/],
      [['augmentation', '--models', `${dirs.cnn},${dirs.cnn}`], /--models needs four folders/],
      [['extra'], /unexpected argument 'extra'/],
    ] as const;
    for (const [args, re] of bad)
      await assert.rejects(robustnessCommand.run([...args, ...common, ...out]), (e: unknown) => {
        assert.ok(e instanceof FerError, String(e));
        assert.match(e.format(), re);
        return true;
      });
    assert.ok(!fs.existsSync(path.join(dir, 'bad')));
    const r = fer(
      'robustness',
      '--model',
      dirs.cnn,
      '--ferplus',
      path.join(dir, 'x.csv'),
      ...common,
      ...out,
    );
    assert.equal(r.code, 1, r.err);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, /x\.csv: FER\+ file not found/);
    fs.writeFileSync(path.join(dir, 'broken.csv'), 'Usage,nope\n');
    assert.throws(() => loadFerPlus(path.join(dir, 'broken.csv')), FerError);
  });
});
