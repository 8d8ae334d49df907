/**
 * `fer robustness --ref-out`: the reference's result under a name of its own (the paper-scale
 * CNN's robust-paper-cnn.json), written when computed and reused from there, with the backend
 * and its threads recorded; and the option refused without --ref.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseFer2013Csv, type FerDataset } from '../../lib/data';
import { runRobustnessEval, type RobustnessResult } from '../../lib/robustness/run';
import { robustnessCommand } from '../../lib/cli/commands/robustness';
import { saveStudyModel } from '../../lib/train';
import { syntheticFer, writeFerCsv } from '../../lib/train/synthetic';
import { tinyModel, tinyMeta } from '../fixtures/tiny-model';

describe('fer robustness --ref-out', function () {
  let dir: string;
  let ds: FerDataset;
  const dirs: Record<'cnn' | 'cnn-lstm', string> = { cnn: '', 'cnn-lstm': '' };

  before(async () => {
    await tf.setBackend('cpu');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-robust-ref-out-'));
    const csv = path.join(dir, 'fer2013.csv');
    writeFerCsv(csv, syntheticFer({ n: 100, seed: 4 }));
    ds = await parseFer2013Csv(csv);
    for (const [name, seed] of [
      ['cnn', 1],
      ['cnn-lstm', 2],
    ] as const) {
      dirs[name] = path.join(dir, 'models', name);
      const m = tinyModel(seed);
      await saveStudyModel(dirs[name], m, tinyMeta(ds, name, seed));
      m.dispose();
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the reference to --ref-out, reuses it from there, and records the backend', async () => {
    const rd = path.join(dir, 'results', 'robustness');
    const refOut = path.join(rd, 'robust-paper-cnn.json');
    const opts = {
      ds,
      families: ['jpeg', 'contrast'] as const,
      severities: [1, 3] as const,
      ferplus: null,
      ref: dirs.cnn,
      refOut,
      out: path.join(rd, 'robust-paper-cnn-lstm.json'),
    };
    const first = await runRobustnessEval(dirs['cnn-lstm'], opts);
    assert.equal(first.reference!.reused, false);
    assert.ok(fs.existsSync(refOut));
    assert.ok(!fs.existsSync(path.join(rd, 'cnn.json')), 'nothing beside --out by folder name');
    const saved = JSON.parse(fs.readFileSync(refOut, 'utf8')) as RobustnessResult;
    assert.equal(saved.model.name, 'cnn');
    assert.deepEqual(saved.run.cells, first.reference!.cells);
    assert.equal(first.backend, 'cpu');
    assert.equal(first.threads, 1);
    assert.equal(saved.threads, 1);

    const again = await runRobustnessEval(dirs['cnn-lstm'], opts);
    assert.equal(again.reference!.reused, true);
    assert.equal(again.reused, true);
    assert.equal(again.reference!.mCE, first.reference!.mCE);
    // A reused run keeps the backend that computed it.
    assert.equal(again.backend, first.backend);
    assert.equal(again.computed.at, first.computed.at);
  });

  it('refuses --ref-out without --ref', async () => {
    await assert.rejects(
      robustnessCommand.run([
        '--model',
        dirs['cnn-lstm'],
        '--ref-out',
        path.join(dir, 'x.json'),
        '--out',
        path.join(dir, 'y.json'),
      ]),
      /--ref-out needs --ref/,
    );
  });
});
