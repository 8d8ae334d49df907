import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadConfig, type StudyConfig } from '../../lib/config';
import { parseFer2013Csv, type FerDataset } from '../../lib/data';
import type { CompareResult, EvalResult } from '../../lib/eval/types';
import { loadResults } from '../../lib/report/report';
import { publishedTrainings } from '../../lib/study';
import { evaluateTrainings } from '../../lib/study/evaluate-trainings';
import { saveStudyModel } from '../../lib/train';
import { syntheticFer, writeFerCsv } from '../../lib/train/synthetic';
import { tinyMeta, tinyModel } from '../fixtures/tiny-model';

describe('study: evaluateTrainings evaluates every published training once', function () {
  this.timeout(120000);
  let root = '';
  let ds: FerDataset;
  const config: StudyConfig = {
    ...loadConfig('paper'),
    eval: { limit: 0, noiseSeeds: 1, bootstrapResamples: 20, timingRounds: 0 },
    trainings: [
      { model: 'cnn', seed: 1 },
      { model: 'cnn-lstm', seed: 1 },
      { model: 'cnn', seed: 2 },
      { model: 'cnn-lstm', seed: 2 },
      { model: 'cnn', seed: 3 },
      { model: 'cnn-dense-control', seed: 1 },
      { model: 'cnn-bilstm', seed: 1 },
    ],
  };

  before(async () => {
    await tf.setBackend('cpu');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-eval-trainings-'));
    const csv = path.join(root, 'fer.csv');
    writeFerCsv(csv, syntheticFer({ n: 120, seed: 5 }));
    ds = await parseFer2013Csv(csv);
    // Every training but cnn-bilstm-s1 is published; the headline pair too.
    for (const t of publishedTrainings(config, root).filter(
      (x) => x.entry.model !== 'cnn-bilstm',
    )) {
      const model = tinyModel(10 * t.entry.seed + t.name.length);
      await saveStudyModel(t.dir, model, tinyMeta(ds, t.entry.model as 'cnn', t.entry.seed));
      model.dispose();
    }
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('pairs further seeds, evaluates other designs alone, says what is missing, reuses results', async () => {
    const resultsDir = path.join(root, 'results');
    const first = await evaluateTrainings(config, { resultsDir, root, ds });
    assert.deepEqual(
      first.evaluated.map((e) => [e.training.name, e.pairedWith, e.reused]),
      [
        ['cnn-s2', 'cnn-lstm-s2', false],
        ['cnn-lstm-s2', 'cnn-s2', false],
        ['cnn-s3', null, false],
        ['cnn-dense-control-s1', null, false],
      ],
    );
    assert.deepEqual(
      first.missing.map((t) => t.name),
      ['cnn-bilstm-s1'],
    );
    // The headline pair is notebook 04's: not evaluated here.
    assert.ok(!fs.existsSync(path.join(resultsDir, 'cnn', 'eval.json')));
    const ctrl = JSON.parse(
      fs.readFileSync(path.join(resultsDir, 'cnn-dense-control-s1', 'eval.json'), 'utf8'),
    ) as EvalResult;
    assert.equal(ctrl.model.meta.architecture, 'cnn-dense-control');
    assert.equal(ctrl.table2, null);
    assert.equal(ctrl.data.nTest, first.evaluated[0].result.data.nTest);
    assert.ok(ctrl.data.nTest > 0 && !ctrl.data.limited);
    assert.equal(ctrl.table34.levels.length, 11);
    assert.ok(ctrl.table34.levels.every((l) => l.seeds.length === 1)); // clean + 1 noise draw
    assert.equal(ctrl.config?.name, config.name);
    const cmp = JSON.parse(
      fs.readFileSync(path.join(resultsDir, 'compare-cnn-s2-cnn-lstm-s2.json'), 'utf8'),
    ) as CompareResult;
    assert.equal(cmp.a.meta.seed, 2);
    assert.deepEqual(first.compares, [path.join(resultsDir, 'compare-cnn-s2-cnn-lstm-s2.json')]);
    // Same folder, weights and budget: nothing is evaluated again, the files stay as they are.
    const before = fs.readFileSync(first.evaluated[3].file, 'utf8');
    const again = await evaluateTrainings(config, { resultsDir, root, ds });
    assert.ok(again.evaluated.every((e) => e.reused));
    assert.equal(fs.readFileSync(first.evaluated[3].file, 'utf8'), before);
    // Another budget is a new evaluation.
    const more = await evaluateTrainings(
      { ...config, eval: { ...config.eval, noiseSeeds: 2 } },
      { resultsDir, root, ds },
    );
    assert.ok(more.evaluated.every((e) => !e.reused));
    assert.ok(
      more.evaluated[3].result.table34.levels.every((l) => l.level === 0 || l.seeds.length === 2),
    );
    // The report collects the other design apart from the paper pair's tables.
    const loaded = loadResults(resultsDir, { profile: 'test' });
    assert.deepEqual(
      loaded.designEvals?.map((e) => e.model.name),
      ['cnn-dense-control-s1'],
    );
    assert.ok(
      loaded.evals.every((e) => e.model.meta.seed === 2),
      'lowest seed evaluated here',
    );
    assert.equal(loaded.seedEvals?.length, 3);
  });
});
