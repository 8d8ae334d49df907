import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EpochLog } from '../../lib/train/checkpoint';
import { describeRunStatus, formatHistory, formatLr, runStatus } from '../../lib/train/status';
import { FerError } from '../../lib/util/errors';

const epoch = (n: number, seconds: number): EpochLog => ({
  epoch: n,
  loss: 1.8 - n / 10,
  accuracy: 0.3 + n / 100,
  val_loss: 1.9 - n / 10,
  val_accuracy: 0.25 + n / 100,
  lr: 5e-4,
  seconds,
  backend: 'wasm',
});

describe('train status: how far a resumable run has got', () => {
  let dir = '';
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-status-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('formats learning rates without rounding away a plateau halving', () => {
    assert.deepEqual([5e-4, 2.5e-4, 1.25e-4, 6.25e-5, 1e-3].map(formatLr), [
      '5.0e-4',
      '2.5e-4',
      '1.25e-4',
      '6.25e-5',
      '1.0e-3',
    ]);
  });

  it('reports a run that has not started', () => {
    const s = runStatus(path.join(dir, 'cnn'));
    assert.equal(s.state, 'not started');
    assert.match(describeRunStatus(s), /no run in/);
  });

  it('reads an in-progress checkpoint: epochs, best epoch, time per epoch and at most how long is left', () => {
    fs.mkdirSync(path.join(dir, 'cnn.checkpoint'));
    const state = {
      version: 1,
      config: { model: 'cnn', profile: 'paper', epochs: 60 },
      epoch: 2,
      lr: 5e-4,
      best: { epoch: 2, valLoss: 1.7, valAccuracy: 0.27 },
      stopped: false,
      history: [epoch(1, 1800), epoch(2, 2400)],
      wallSeconds: 4200,
      backend: 'wasm',
    };
    fs.writeFileSync(path.join(dir, 'cnn.checkpoint', 'state.json'), JSON.stringify(state));
    const s = runStatus(path.join(dir, 'cnn'));
    assert.equal(s.state, 'in progress');
    assert.equal(s.epochsDone, 2);
    const text = describeRunStatus(s);
    assert.match(text, /2 of at most 60 epochs/);
    assert.match(text, /35 min per epoch/);
    assert.match(text, /at most 58 epochs \(33\.8 h\) left/);
    assert.match(text, /best val_accuracy 0\.2700 .* at epoch 2/);
    assert.equal(formatHistory(s.history).split('\n').length, 3);
  });

  it('prefers the finished model and says when early stopping ended it', () => {
    const out = path.join(dir, 'cnn');
    fs.mkdirSync(out);
    const meta = {
      architecture: 'cnn',
      profile: 'paper',
      epochsRun: 3,
      bestEpoch: 2,
      best: { valLoss: 1.6, valAccuracy: 0.6 },
      wallSeconds: 7200,
      backend: 'webgpu',
      config: { epochs: 60 },
    };
    fs.writeFileSync(path.join(out, 'meta.json'), JSON.stringify(meta));
    fs.writeFileSync(
      path.join(out, 'train-log.jsonl'),
      [1, 2, 3].map((n) => JSON.stringify(epoch(n, 2400))).join('\n') + '\n',
    );
    const s = runStatus(out);
    assert.equal(s.state, 'finished');
    assert.equal(s.history.length, 3);
    assert.match(describeRunStatus(s), /finished after 3 epochs \(early stopping\) in 2\.0 h/);
  });

  it('names the file of a broken state.json', () => {
    fs.mkdirSync(path.join(dir, 'cnn.checkpoint'));
    const f = path.join(dir, 'cnn.checkpoint', 'state.json');
    fs.writeFileSync(f, '{"epoch": 1,');
    assert.throws(
      () => runStatus(path.join(dir, 'cnn')),
      (e: unknown) => e instanceof FerError && e.file === f && e.format().startsWith(f),
    );
  });
});
