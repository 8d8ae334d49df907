import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseFer2013Csv, type FerDataset } from '../../lib/data';
import { formatEval } from '../../lib/eval/format';
import { runEval } from '../../lib/eval/run';
import type { EvalResult } from '../../lib/eval/types';
import { isCheckpointDir, loadCheckpointModel, resolveTrainConfig, train } from '../../lib/train';
import { loadCheckpoint } from '../../lib/train/checkpoint';
import { syntheticFer, writeFerCsv } from '../../lib/train/synthetic';
import { ferSync } from '../fixtures/cli';

describe('interim models: an unfinished run evaluated from its checkpoint', function () {
  let tmp: string;
  let csv: string;
  let ds: FerDataset;
  let out: string;
  let ckpt: string;
  const quiet = { log: () => {}, progress: false as const };
  const settings = { epochs: 2, widthMultiplier: 0.125, limitTrain: 64, limitVal: 16 };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-interim-'));
    csv = path.join(tmp, 'fer.csv');
    writeFerCsv(csv, syntheticFer({ n: 200, seed: 5 }));
    ds = await parseFer2013Csv(csv); // the CLI below sees the same SHA-256
    out = path.join(tmp, 'models', 'cnn');
    const cfg = resolveTrainConfig('cnn', 'quick', { ...settings, backend: 'wasm', out });
    // The finished model keeps the best weights; the kept checkpoint holds them as best.bin.
    await train(cfg, { ...quiet, dataset: ds, keepCheckpoint: true });
    ckpt = cfg.checkpointDir;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads the best weights and says where the run stood', async () => {
    assert.ok(isCheckpointDir(ckpt));
    assert.ok(!isCheckpointDir(out));
    const { model, meta } = loadCheckpointModel(ckpt);
    const finished = JSON.parse(fs.readFileSync(path.join(out, 'meta.json'), 'utf8'));
    for (const k of ['architecture', 'params', 'profile', 'seed', 'split', 'bestEpoch', 'best'])
      assert.deepEqual(meta[k as keyof typeof meta], finished[k], k);
    assert.deepEqual(meta.interim, {
      checkpoint: ckpt, // outside the repository: kept absolute
      epochsDone: 2,
      partial: null,
    });
    assert.ok(meta.wallSeconds > 0); // training time so far, as the finished meta.json has it
    // Same weights as the finished model, which restored the best epoch's.
    const ck = loadCheckpoint(ckpt);
    assert.ok(ck.best);
    const w = model.getWeights();
    assert.equal(w.length, ck.best.length);
    w.forEach((t, i) => assert.deepEqual(t.dataSync(), ck.best![i].dataSync()));
    tf.dispose([...ck.weights, ...ck.optimizer.map((o) => o.tensor), ...ck.best]);
    model.dispose();
  });

  it('fer eval gives the finished model’s numbers, marked interim', async () => {
    const opts = { ds, noise: 'none' as const, bootstrapResamples: 50, timing: false as const };
    const fromCkpt = await runEval(ckpt, opts);
    const fromModel = await runEval(out, opts);
    assert.deepEqual(fromCkpt.table1, fromModel.table1);
    assert.deepEqual(fromCkpt.table34, fromModel.table34);
    assert.ok(fromCkpt.model.meta.interim);
    assert.equal(fromModel.model.meta.interim, undefined);
    assert.match(
      formatEval(fromCkpt),
      /^INTERIM: the best weights \(epoch \d\) of an unfinished run/m,
    );
    assert.doesNotMatch(formatEval(fromModel), /INTERIM/);
  });

  it('leaves a save in progress alone (a running training owns it)', () => {
    const saving = path.join(path.dirname(ckpt), `.tmp-${path.basename(ckpt)}-1-2`);
    fs.mkdirSync(saving);
    loadCheckpointModel(ckpt).model.dispose();
    assert.ok(fs.existsSync(saving));
    fs.rmSync(saving, { recursive: true });
  });

  it('a run with no finished epoch is a clear error', async () => {
    const early = path.join(tmp, 'models', 'early');
    const cfg = resolveTrainConfig('cnn', 'quick', { ...settings, backend: 'wasm', out: early });
    const stop = new AbortController();
    stop.abort(); // stops after the first batch, with a mid-epoch checkpoint
    await assert.rejects(train(cfg, { ...quiet, dataset: ds, signal: stop.signal }));
    assert.equal(loadCheckpoint(cfg.checkpointDir).state.epoch, 0);
    assert.throws(() => loadCheckpointModel(cfg.checkpointDir), /has not finished an epoch yet/);
  });

  it('the CLI writes results/<folder>/eval.json and prints the interim label', () => {
    const results = path.join(tmp, 'results');
    const r = ferSync(
      ['eval', '--model', ckpt, '--csv', csv, '--cache-dir', path.join(tmp, 'cache'),
       '--noise', 'none', '--bootstrap', '0', '--no-timing'],
      { FER_BACKEND: 'cpu', FER_RESULTS_DIR: results },
    ); // prettier-ignore
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /INTERIM/);
    const saved = JSON.parse(
      fs.readFileSync(
        path.join(results, path.basename(ckpt), 'eval-clean-boot0-notiming.json'),
        'utf8',
      ),
    ) as EvalResult;
    assert.equal(saved.model.meta.interim?.epochsDone, 2);
  });
});
