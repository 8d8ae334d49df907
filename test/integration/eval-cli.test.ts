import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseFer2013Csv, type FerDataset } from '../../lib/data';
import { makeSplit } from '../../lib/data/split';
import { calibrationRowsFor } from '../../lib/eval/evaluate';
import { formatEval } from '../../lib/eval/format';
import { runCompare, runEval, variantSuffix } from '../../lib/eval/run';
import type { CompareResult, EvalResult } from '../../lib/eval/types';
import { saveStudyModel } from '../../lib/train';
import { syntheticFer, writeFerCsv } from '../../lib/train/synthetic';
import { FerError } from '../../lib/util/errors';
import { ferSync } from '../fixtures/cli';
import { tinyModel, tinyMeta as metaFor } from '../fixtures/tiny-model';

const fer = (...args: string[]) => ferSync(args, { FER_BACKEND: 'cpu' });

describe('fer eval / fer compare on saved tiny models', function () {
  let dir: string;
  let csv: string;
  let ds: FerDataset;
  let dirA: string, dirB: string;

  before(async () => {
    await tf.setBackend('cpu');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-eval-cli-'));
    csv = path.join(dir, 'fer.csv');
    writeFerCsv(csv, syntheticFer({ n: 100, seed: 3 }));
    ds = await parseFer2013Csv(csv); // its sha256 is the CSV's, as the CLI will see it
    dirA = path.join(dir, 'models', 'cnn-a');
    dirB = path.join(dir, 'models', 'lstm-b');
    const a = tinyModel(1),
      b = tinyModel(2);
    await saveStudyModel(dirA, a, metaFor(ds, 'cnn', 1));
    await saveStudyModel(dirB, b, metaFor(ds, 'cnn-lstm', 2));
    a.dispose();
    b.dispose();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runEval writes eval.json with meta.json embedded', async () => {
    const out = path.join(dir, 'results', 'cnn-a', 'eval.json');
    const r = await runEval(dirA, {
      ds,
      noise: 'none',
      bootstrapResamples: 20,
      timing: false,
      out,
    });
    const saved = JSON.parse(fs.readFileSync(out, 'utf8')) as EvalResult;
    assert.deepEqual(saved, JSON.parse(JSON.stringify(r)));
    assert.deepEqual(saved.model.meta, metaFor(ds, 'cnn', 1));
    assert.equal(saved.data.nTest, 20); // 10 % PublicTest + 10 % PrivateTest of 100
    assert.equal(saved.table34.levels.length, 1);
    assert.equal(saved.table2, null);
  });

  it('runCompare pairs both models on the same images at every level', async () => {
    const out = path.join(dir, 'results', 'compare.json');
    const r = await runCompare(dirA, dirB, { ds, noiseSeeds: 2, out });
    const saved = JSON.parse(fs.readFileSync(out, 'utf8')) as CompareResult;
    assert.equal(saved.levels.length, 11);
    assert.equal(saved.levels[0].tests.length, 1);
    assert.equal(saved.levels[5].tests.length, 2);
    for (const l of r.levels)
      for (const t of l.tests) {
        assert.equal(t.n, 20);
        assert.ok(t.pValue > 0 && t.pValue <= 1);
      }
    assert.equal(r.a.meta.architecture, 'cnn');
    assert.equal(r.b.meta.architecture, 'cnn-lstm');
  });

  it('runCompare refuses models tested on different splits', async () => {
    const dirC = path.join(dir, 'models', 'other-split');
    const c = tinyModel(3);
    await saveStudyModel(dirC, c, { ...metaFor(ds, 'cnn', 3), config: { splitSeed: 5 } });
    c.dispose();
    await assert.rejects(runCompare(dirA, dirC, { ds, noise: 'none' }), FerError);
  });

  describe('--recalibrate-bn', () => {
    let dirBn: string;
    before(async () => {
      // A tiny model with one BatchNorm layer whose moving statistics are far off.
      const m = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [48, 48, 1], filters: 2, kernelSize: 3, strides: 4 }),
          tf.layers.batchNormalization({ name: 'bn' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 7, activation: 'softmax' }),
        ],
      });
      const [g, b, mean, v] = m.getLayer('bn').getWeights();
      m.getLayer('bn').setWeights([g, b, tf.fill(mean.shape, 3), tf.fill(v.shape, 40)]);
      dirBn = path.join(dir, 'models', 'bn');
      await saveStudyModel(dirBn, m, metaFor(ds, 'cnn', 4));
      m.dispose();
    });

    it('re-estimates the statistics from training rows only, and says so in the result', async () => {
      const meta = metaFor(ds, 'cnn', 4);
      const rows = calibrationRowsFor(ds, meta, 30);
      assert.equal(rows.length, 30);
      const split = makeSplit(ds, 'official', { seed: 0, valFraction: 0.1 }); // as meta.config says
      const train = new Set(split.train);
      assert.ok(rows.every((i) => train.has(i)));
      assert.throws(() => calibrationRowsFor(ds, meta, 0), /--recalibrate-bn must be a positive/);

      const opts = { ds, noise: 'none' as const, bootstrapResamples: 0, timing: false as const };
      const plain = await runEval(dirBn, opts);
      const recal = await runEval(dirBn, { ...opts, recalibrateBn: 30 });
      assert.equal(plain.bnRecalibration, undefined);
      assert.deepEqual(recal.bnRecalibration, { layers: ['bn'], images: 30 });
      assert.match(formatEval(recal), /BatchNorm statistics re-estimated on 30 training images/);
    });

    it('the CLI writes eval-bn-recalibrated*.json beside eval*.json, not over it', () => {
      const results = path.join(dir, 'results-bn');
      const r = ferSync(
        ['eval', '--model', dirBn, '--csv', csv, '--cache-dir', path.join(dir, 'cache'),
         '--noise', 'none', '--bootstrap', '0', '--no-timing', '--recalibrate-bn', '30'],
        { FER_BACKEND: 'cpu', FER_RESULTS_DIR: results },
      ); // prettier-ignore
      assert.equal(r.code, 0, r.err);
      // The settings that differ from the full evaluation are in the name.
      assert.deepEqual(fs.readdirSync(path.join(results, 'bn')), [
        'eval-bn-recalibrated-n30-clean-boot0-notiming.json',
      ]);
    });
  });

  it('the CLI prints tables, writes the JSON, and reports bad usage in one line', () => {
    const out = path.join(dir, 'cli', 'eval.json');
    const cacheDir = path.join(dir, 'cache');
    const ok = fer(
      'eval', '--model', dirA, '--csv', csv, '--cache-dir', cacheDir, '--noise', 'paper',
      '--noise-seeds', '1', '--bootstrap', '10', '--no-timing', '--out', out,
    ); // prettier-ignore
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /Table 1: clean test set/);
    assert.match(ok.out, /30 %/);
    assert.equal(
      (JSON.parse(fs.readFileSync(out, 'utf8')) as EvalResult).table34.levels.length,
      11,
    );
    const bad = fer('eval', '--noise', 'loud', '--model', dirA);
    assert.equal(bad.code, 1);
    assert.equal(bad.err.trim(), "option --noise must be one of paper, none; got 'loud'");
    const missing = fer(
      'eval',
      '--model',
      path.join(dir, 'nope'),
      '--csv',
      csv,
      '--cache-dir',
      cacheDir,
    );
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nope: no such model folder/);
  });
});

describe('fer eval: result names say how a run differs from the full evaluation', () => {
  it('names the de-leaked test set, BatchNorm re-estimation, subsets and seeds', () => {
    assert.equal(variantSuffix({}), '');
    assert.equal(variantSuffix({ dropLeakedTest: true }), '-deleaked');
    assert.equal(variantSuffix({ dropLeakedTest: true, noiseSeeds: 2 }), '-deleaked-seeds2');
    assert.equal(variantSuffix({ limit: 2000, noise: 'none' }), '-limit2000-clean');
    assert.equal(variantSuffix({ recalibrateBn: 4000 }), '');
    assert.equal(variantSuffix({ recalibrateBn: 1000 }), '-n1000');
  });
});
