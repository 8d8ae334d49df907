import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseFer2013Csv, type FerDataset } from '../../lib/data';
import { modelFiles, predictionCacheKey } from '../../lib/eval/prediction-cache';
import { runCompare, runEval } from '../../lib/eval/run';
import type { EvalResult } from '../../lib/eval/types';
import { REPO_ROOT } from '../../lib/env';
import { loadConfig } from '../../lib/config';
import { PROFILES, saveStudyModel } from '../../lib/train';
import type { EpochLog } from '../../lib/train/checkpoint';
import type { ModelName, StudyModelMeta } from '../../lib/models/meta';
import { syntheticFer, writeFerCsv } from '../../lib/train/synthetic';
import { FerError } from '../../lib/util/errors';
import { syncTree } from '../../tools/notebooks/bridge';
import { docComment } from '../../lib/notebook/doc-comment';
import {
  collapse,
  groupFindings,
  noiseFindings,
  table1Findings,
  table2Findings,
  trainingFindings,
} from '../../lib/report/findings';
import {
  auditRows,
  mcnemarRows,
  noiseRows,
  perClassRows,
  table1Rows,
  table2Rows,
  table5Rows,
} from '../../lib/report/notebook-tables';
import { byModel } from '../../lib/report/paper-figures';
import { claimVerdicts } from '../../lib/report/report';
import {
  describeBudget,
  evalBudget,
  evaluateStudy,
  planStudyModel,
  readTrainLog,
  settingsDiff,
} from '../../lib/study';
import { learningCurvesFigure, majorityShare } from '../../lib/report/training-figures';
import { mergeTimes, readTimes } from '../../scripts/reproduce';
import { syntheticStudy } from '../fixtures/report-fixtures';
import { tinyModel } from '../fixtures/tiny-model';

/** meta.json of a model trained with `profile`'s exact settings. */
function profileMeta(
  architecture: ModelName,
  profile: 'quick' | 'paper',
  sha = 'x',
): StudyModelMeta {
  const { seed, split, widthMultiplier, ...rest } = PROFILES[profile];
  return {
    architecture,
    params: 259,
    trainableParams: 259,
    flopsPerImage: 504,
    widthMultiplier,
    profile,
    seed,
    split,
    epochsRun: rest.epochs,
    bestEpoch: 2,
    best: { valLoss: 1.5, valAccuracy: 0.4 },
    backend: 'cpu',
    gitCommit: null,
    datasetSha256: sha,
    wallSeconds: 100,
    tfjsVersion: tf.version.tfjs,
    createdAt: '2026-01-01T00:00:00.000Z',
    config: { ...rest, trainImages: 3000, valImages: 600, stoppedEarly: false },
  };
}

function writeMeta(dir: string, meta: StudyModelMeta): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
}

describe('report/study: which model a notebook uses', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-study-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
  const quick = { profile: 'quick' as const, modelsDir: null, retrain: false };

  it('trains when nothing is saved, loads a model of the same settings, retrains on request', () => {
    const p0 = planStudyModel('cnn', quick, root);
    assert.equal(p0.action, 'train');
    assert.equal(p0.dir, path.join(root, 'runs', 'cnn-quick'));
    assert.match(p0.why, /no finished quick-profile model is saved in runs\/cnn-quick/);
    writeMeta(p0.dir, profileMeta('cnn', 'quick'));
    const p1 = planStudyModel('cnn', quick, root);
    assert.equal(p1.action, 'load');
    assert.match(p1.why, /loaded, not retrained/);
    const p2 = planStudyModel('cnn', { ...quick, retrain: true }, root);
    assert.equal(p2.action, 'train');
    assert.match(p2.why, /FER_RETRAIN=1/);
  });

  it('retrains a saved model whose settings differ, and names the difference', () => {
    const meta = profileMeta('cnn-lstm', 'quick');
    const dir = path.join(root, 'runs', 'cnn-lstm-quick');
    writeMeta(dir, { ...meta, config: { ...meta.config, epochs: 99 } });
    const p = planStudyModel('cnn-lstm', quick, root);
    assert.equal(p.action, 'train');
    assert.match(p.why, new RegExp(`epochs: 99 → ${PROFILES.quick.epochs}`));
    assert.deepEqual(settingsDiff(meta, PROFILES.quick), []);
    assert.deepEqual(settingsDiff(meta, PROFILES.paper).length > 0, true);
  });

  it('paper profile: models/<model>, resuming a checkpoint when one exists', () => {
    const paper = { profile: 'paper' as const, modelsDir: null, retrain: false };
    const ck = path.join(root, 'models', 'cnn.checkpoint');
    fs.mkdirSync(ck, { recursive: true });
    fs.writeFileSync(path.join(ck, 'state.json'), '{}');
    const p = planStudyModel('cnn', paper, root);
    assert.equal(p.dir, path.join(root, 'models', 'cnn'));
    assert.equal(p.action, 'train');
    assert.equal(p.resume, true);
    writeMeta(p.dir, profileMeta('cnn', 'paper'));
    assert.equal(planStudyModel('cnn', paper, root).action, 'load');
  });

  it('FER_MODELS: loads what is there and refuses a missing model', () => {
    const models = path.join(root, 'fixtures');
    writeMeta(path.join(models, 'cnn'), profileMeta('cnn', 'quick'));
    const env = { ...quick, modelsDir: models, retrain: true };
    assert.equal(planStudyModel('cnn', env, root).action, 'load');
    assert.throws(() => planStudyModel('cnn-lstm', env, root), FerError);
  });

  it('reads train-log.jsonl and names a bad line', () => {
    const dir = path.join(root, 'm');
    fs.mkdirSync(dir);
    assert.deepEqual(readTrainLog(dir), []);
    const e: EpochLog = {
      epoch: 1,
      loss: 2,
      accuracy: 0.2,
      val_loss: 1.9,
      val_accuracy: 0.25,
      lr: 5e-4,
      seconds: 3,
      backend: 'cpu',
    };
    fs.writeFileSync(path.join(dir, 'train-log.jsonl'), `${JSON.stringify(e)}\n\n`);
    assert.deepEqual(readTrainLog(dir), [e]);
    fs.writeFileSync(path.join(dir, 'train-log.jsonl'), `${JSON.stringify(e)}\n{oops\n`);
    assert.throws(
      () => readTrainLog(dir),
      (err: unknown) => err instanceof FerError && err.line === 2,
    );
  });
});

describe('report/study: evaluation budget', () => {
  it("is the config's eval section: quick 2,000 images and 2 seeds; paper every image", () => {
    assert.deepEqual(evalBudget({ config: loadConfig('quick') }), {
      limit: 2000,
      noiseSeeds: 2,
      bootstrapResamples: 1000,
    });
    assert.equal(evalBudget({ config: loadConfig('paper') }).limit, null);
    const b = evalBudget({ config: loadConfig('quick') });
    assert.match(describeBudget(b, 2000, 7178), /stratified subset of 2,000 of the 7,178/);
    assert.match(describeBudget(b, 7178, 7178), /all 7,178 test images/);
  });
});

describe('report/study: one evaluation pass for both models', function () {
  this.timeout(120000);
  let dir: string;
  let ds: FerDataset;
  const dirs = {} as Record<ModelName, string>;

  before(async () => {
    await tf.setBackend('cpu');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-study-eval-'));
    const csv = path.join(dir, 'fer.csv');
    writeFerCsv(csv, syntheticFer({ n: 120, seed: 5 }));
    ds = await parseFer2013Csv(csv);
    for (const [k, m] of (['cnn', 'cnn-lstm'] as const).entries()) {
      dirs[m] = path.join(dir, 'models', m);
      const model = tinyModel(k + 1);
      await saveStudyModel(dirs[m], model, {
        ...profileMeta(m, 'quick', ds.sha256),
        config: { splitSeed: 0, valFraction: 0.1 },
      });
      model.dispose();
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives exactly the tables of runEval and the tests of runCompare', async () => {
    const budget = { limit: null, noiseSeeds: 2, bootstrapResamples: 30 };
    const resultsDir = path.join(dir, 'results');
    const s = await evaluateStudy(dirs, { budget, resultsDir, ds, timing: false });
    for (const m of ['cnn', 'cnn-lstm'] as const) {
      const ref = await runEval(dirs[m], {
        ds,
        noiseSeeds: 2,
        bootstrapResamples: 30,
        timing: false,
      });
      const got = s.evals[m];
      for (const k of [
        'table1',
        'table2',
        'table34',
        'table5',
        'audit',
        'paperComparison',
        'calibration',
        'constantBaselines',
      ] as const)
        assert.deepEqual(got[k], ref[k], `${m} ${k}`);
      assert.deepEqual(got.data, ref.data);
      const saved = JSON.parse(
        fs.readFileSync(path.join(resultsDir, m, 'eval.json'), 'utf8'),
      ) as EvalResult;
      assert.deepEqual(saved, JSON.parse(JSON.stringify(got)));
    }
    const refC = await runCompare(dirs.cnn, dirs['cnn-lstm'], {
      ds,
      noiseSeeds: 2,
      bootstrapResamples: 30,
    });
    assert.deepEqual(s.compare.levels, refC.levels);
    assert.deepEqual(s.compare.band, refC.band);
    assert.deepEqual(s.compare.correctness, refC.correctness);
    assert.ok(s.compare.band && s.compare.correctness);
    assert.ok(fs.existsSync(path.join(resultsDir, 'compare-cnn-cnn-lstm.json')));
    assert.equal(s.files.length, 3);
  });

  it('saves every prediction run; an interrupted evaluation resumes from them with the same tables', async () => {
    const budget = { limit: null, noiseSeeds: 2, bootstrapResamples: 30 };
    const resultsDir = path.join(dir, 'results-cached');
    const run = async () => {
      const seen: { model: ModelName; level: number; seed: number; cached: boolean }[] = [];
      const s = await evaluateStudy(dirs, {
        budget,
        resultsDir,
        ds,
        timing: false,
        progress: (model, r) =>
          seen.push({ model, level: r.level, seed: r.seed, cached: r.cached }),
      });
      const tables = (['cnn', 'cnn-lstm'] as const).map((m) => {
        const { table1, table34, table5, audit } = s.evals[m];
        return { table1, table34, table5, audit };
      });
      return { tables, levels: s.compare.levels, seen };
    };
    const first = await run();
    // clean + 10 levels x 2 seeds, per model, none of them cached
    assert.equal(first.seen.length, 2 * 21);
    assert.ok(first.seen.every((r) => !r.cached));
    const cacheRoot = path.join(resultsDir, '.pred-cache');
    const folders = fs.readdirSync(cacheRoot).sort();
    assert.deepEqual(
      folders.map((f) => f.replace(/-[0-9a-f]{16}$/, '')),
      ['cnn', 'cnn-lstm'],
    );
    const cnnDir = path.join(cacheRoot, folders[0]);
    assert.equal(fs.readdirSync(cnnDir).length, 21);

    const again = await run();
    assert.ok(again.seen.every((r) => r.cached));
    assert.deepEqual(again.tables, first.tables);
    assert.deepEqual(again.levels, first.levels);

    // What a kill leaves: some runs missing, a temporary file never renamed into place.
    const gone = ['clean.f32', '0.05-0.u8', '0.3-1.u8'];
    for (const f of gone) fs.rmSync(path.join(cnnDir, f));
    fs.writeFileSync(path.join(cnnDir, '.tmp-0.1-0.u8-1-2'), 'half');
    const resumed = await run();
    const recomputed = resumed.seen.filter((r) => !r.cached);
    assert.deepEqual(
      recomputed.map((r) => `${r.model} ${r.level}-${r.seed}`),
      ['cnn 0-0', 'cnn 0.05-0', 'cnn 0.3-1'],
    );
    assert.deepEqual(resumed.tables, first.tables);
    assert.deepEqual(resumed.levels, first.levels);

    // A damaged file is named, never reused.
    fs.writeFileSync(path.join(cnnDir, '0.01-1.u8'), 'short');
    await assert.rejects(
      evaluateStudy(dirs, { budget, resultsDir, ds, timing: false }),
      (e: unknown) =>
        e instanceof FerError &&
        /has 5 bytes, expected \d+; delete it to recompute/.test(e.message) &&
        e.file !== undefined &&
        e.file.endsWith('0.01-1.u8'),
    );
  });

  it('keys the saved predictions on the weights, the images and the backend', () => {
    const indices = Int32Array.from([3, 1, 4, 1, 5]);
    const key = (m: ModelName, ix = indices, backend = 'wasm') =>
      predictionCacheKey({ files: modelFiles(dirs[m]), indices: ix, backend });
    assert.match(key('cnn'), /^[0-9a-f]{16}$/);
    assert.equal(key('cnn'), key('cnn'));
    assert.notEqual(key('cnn'), key('cnn-lstm'));
    assert.notEqual(key('cnn'), key('cnn', Int32Array.from([3, 1, 4, 1, 6])));
    assert.notEqual(key('cnn'), key('cnn', indices, 'cpu'));
    assert.throws(() => modelFiles(dir), FerError);
  });

  it('applies the image limit and refuses models tested on different splits', async () => {
    const budget = { limit: 10, noiseSeeds: 1, bootstrapResamples: 0 };
    const resultsDir = path.join(dir, 'results-limited');
    const s = await evaluateStudy(dirs, { budget, resultsDir, ds, timing: false });
    assert.equal(s.evals.cnn.data.nTest, 10);
    assert.equal(s.evals.cnn.data.limited, true);
    assert.equal(s.compare.levels[3].tests[0].n, 10);
    const other = path.join(dir, 'models', 'other');
    const model = tinyModel(9);
    await saveStudyModel(other, model, {
      ...profileMeta('cnn-lstm', 'quick', ds.sha256),
      config: { splitSeed: 7 },
    });
    model.dispose();
    await assert.rejects(
      evaluateStudy({ cnn: dirs.cnn, 'cnn-lstm': other }, { budget, resultsDir, ds }),
      /different splits/,
    );
  });
});

describe('report: learning curves, doc comments, notebook tables and findings', () => {
  const history: EpochLog[] = [1, 2, 3].map((epoch) => ({
    epoch,
    loss: 2 - epoch / 10,
    accuracy: 0.2 + epoch / 20,
    val_loss: 1.9 - epoch / 20,
    val_accuracy: 0.25 + epoch / 30,
    lr: 5e-4,
    seconds: 10,
    backend: 'cpu',
  }));

  it('draws loss and accuracy panels with the baseline and the kept epoch', () => {
    const f = learningCurvesFigure(history, { title: 't', bestEpoch: 3, baseline: 0.25 });
    assert.equal(f.data.length, 5);
    assert.deepEqual(
      f.data[1].y,
      history.map((h) => h.val_loss),
    );
    assert.deepEqual(
      f.data.map((t) => t.yaxis),
      ['y', 'y', 'y2', 'y2', 'y2'],
    );
    assert.equal((f.layout.shapes as unknown[]).length, 2);
    assert.throws(() => learningCurvesFigure([], { title: 't' }), FerError);
  });

  it('majority share is the accuracy of always guessing the most common class', () => {
    const ds = syntheticFer({ n: 50, seed: 1 });
    const rows = Int32Array.from({ length: 50 }, (_, i) => i);
    const counts = new Array<number>(7).fill(0);
    for (const l of ds.labels) counts[l]++;
    assert.equal(majorityShare(ds, rows), Math.max(...counts) / 50);
  });

  it('quotes the hybrid design rationale from its doc comment', () => {
    const md = docComment(path.join(REPO_ROOT, 'lib', 'models', 'cnn-lstm.ts'), 'buildCnnLstm');
    assert.match(md, /^The CNN\+LSTM hybrid/);
    assert.match(md, /```text\n/);
    assert.match(md, /3,121,287/);
    assert.doesNotMatch(md, /^\s*\*/m);
    assert.throws(
      () => docComment(path.join(REPO_ROOT, 'lib', 'models', 'cnn-lstm.ts'), 'noSuchThing'),
      FerError,
    );
  });

  it('builds the notebook tables from results', () => {
    const s = syntheticStudy(300);
    const r = byModel(s.evals);
    assert.equal(table1Rows(r).length, 2 * 5);
    assert.equal(table1Rows(r)[0].source, 'paper');
    assert.equal(table1Rows(r)[1].accuracy, s.evals[0].table1.rows[0].accuracy);
    assert.equal(auditRows(r).length, s.evals[0].audit.length + s.evals[1].audit.length);
    assert.equal(table2Rows(r)[0].params, 4_478_727);
    const t3 = noiseRows(r, 'accuracy');
    assert.equal(t3.length, 11);
    assert.equal(t3[0]['noise σ'], 'clean');
    assert.equal(t3[10]['CNN ours'], s.evals[0].table34.levels[10].accuracy.mean);
    assert.equal(t3[10]['CNN paper'], 0.18);
    assert.equal(
      noiseRows(r, 'f1', 'macro')[10]['CNN ours'],
      s.evals[0].table34.levels[10].f1.macro.mean,
    );
    assert.equal(mcnemarRows(s.compare).length, 11);
    assert.equal(table5Rows(r).length, 4);
    assert.equal(perClassRows(r).length, 7);
  });

  it('writes findings from the numbers, and flags a model that answers one class', () => {
    const s = syntheticStudy(300);
    const r = byModel(s.evals);
    const acc = s.evals[0].table1.rows[0].accuracy.toFixed(3);
    assert.ok(table1Findings(r, s.compare, 'keras').includes(`accuracy ${acc}`));
    assert.match(table2Findings(r), /CNN\/hybrid ratio is 0\.80×/);
    assert.match(noiseFindings(r, s.compare, 'weighted'), /At 30 % the paper's hybrid/);
    assert.match(groupFindings(r, 'macro'), /Simple emotions/);
    assert.equal(collapse(s.evals[0]), null);
    const meta = profileMeta('cnn', 'quick');
    assert.match(trainingFindings(meta, history, 0.25), /validation accuracy 0\.317/);
    assert.match(trainingFindings(meta, history, 0.32), /not above it/);

    // Every clean prediction set to one class: the comparison claims are not tested.
    const flat = JSON.parse(JSON.stringify(s.evals[0])) as EvalResult;
    flat.table34.levels[0].topClassShare.mean = 0.97;
    flat.table34.levels[0].topClass = 3;
    assert.deepEqual(collapse(flat), { cls: 'happy', share: 0.97 });
    const rr = byModel([flat, s.evals[1]]);
    assert.match(table1Findings(rr, s.compare, 'keras'), /Caution: the CNN answers "happy"/);
    const v = claimVerdicts(rr, s.compare, 'weighted');
    assert.deepEqual(
      v.map((x) => x.verdict === 'not tested'),
      [true, false, false, true, true, true],
    );
  });
});

describe('report/bridge: syncTree rewrites only what changed', () => {
  it('keeps unchanged files untouched, replaces changed ones and removes stale ones', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-sync-'));
    try {
      const src = path.join(root, 'src');
      const dst = path.join(root, 'dst');
      const put = (dir: string, f: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.writeFileSync(path.join(dir, f), text);
      };
      put(src, 'a.d.ts', 'A');
      put(src, 'sub/b.d.ts', 'B');
      assert.equal(syncTree(src, dst), 2);
      const inode = fs.statSync(path.join(dst, 'a.d.ts')).ino;
      put(src, 'sub/b.d.ts', 'B2');
      put(dst, 'stale.d.ts', 'old');
      assert.equal(syncTree(src, dst), 1);
      assert.equal(fs.statSync(path.join(dst, 'a.d.ts')).ino, inode, 'a.d.ts untouched');
      assert.equal(fs.readFileSync(path.join(dst, 'sub/b.d.ts'), 'utf8'), 'B2');
      assert.ok(!fs.existsSync(path.join(dst, 'stale.d.ts')));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('reproduce: notebook times of a partial run', () => {
  it('reuses an earlier run of the same profile and backend only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-times-'));
    try {
      const f = path.join(dir, 'notebook-times.json');
      assert.equal(readTimes(f, 'quick', 'auto'), null);
      const nb = [{ notebook: '00-environment.ipynb', seconds: 20, ok: true }];
      fs.writeFileSync(
        f,
        JSON.stringify({ profile: 'quick', backend: 'auto', startedAt: 't0', notebooks: nb }),
      );
      assert.deepEqual(readTimes(f, 'quick', 'auto'), { startedAt: 't0', notebooks: nb });
      assert.equal(readTimes(f, 'paper', 'auto'), null);
      assert.equal(readTimes(f, 'quick', 'wasm'), null);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('replaces re-run entries and drops notebooks that no longer exist', () => {
    const t = (notebook: string, seconds: number) => ({ notebook, seconds, ok: true });
    const previous = [t('00-env.ipynb', 10), t('07-old-name.ipynb', 30), t('09-report.ipynb', 5)];
    const merged = mergeTimes(
      previous,
      [t('09-report.ipynb', 7)],
      ['00-env.ipynb', '08-new-name.ipynb', '09-report.ipynb'],
    );
    assert.deepEqual(merged, [t('00-env.ipynb', 10), t('09-report.ipynb', 7)]);
  });
});
