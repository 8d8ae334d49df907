/**
 * Training on the onednn backend: a step of each paper model gives wasm's loss, the same seed
 * and thread count give bit-identical weights, and a killed run resumed with --resume ends
 * bit-identical to an uninterrupted one. Skips without the addon, except in CI (CI=true).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../lib/backend';
import { loadOnednnAddon, onednnKernelCalls, setOnednnThreads } from '../../lib/backend/onednn';
import { buildCnn, buildCnnLstm } from '../../lib/models';
import { resolveTrainConfig, train } from '../../lib/train';
import { syntheticFer, writeFerCsv } from '../../lib/train/synthetic';
import { Rng } from '../../lib/util/rng';
import { ferChild } from '../fixtures/cli';
import { requireOnednn } from '../fixtures/onednn';

describe('training on onednn', function () {
  this.timeout(600_000);
  let tmp: string;
  before(async function () {
    requireOnednn(this);
    await setupBackend('onednn');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-onednn-'));
  });
  after(async () => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    await tf.setBackend('cpu');
  });

  describe('a training step of each paper model matches wasm', () => {
    const rng = new Rng(64);
    const n = 8;
    const xs = new Float32Array(n * 48 * 48).map(() => rng.next());
    const labels = Array.from({ length: n }, (_, i) => i % 7);

    /** The losses of two Adam steps (the second shows the first step's gradients). */
    async function twoSteps(backend: string, build: () => tf.LayersModel): Promise<number[]> {
      await tf.setBackend(backend);
      const model = build();
      model.compile({ optimizer: tf.train.adam(5e-4), loss: 'categoricalCrossentropy' });
      const x = tf.tensor4d(xs, [n, 48, 48, 1]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 7);
      const losses: number[] = [];
      for (let i = 0; i < 2; i++) losses.push((await model.trainOnBatch(x, y)) as number);
      tf.dispose([x, y]);
      model.dispose();
      return losses;
    }

    for (const [name, build] of [
      ['cnn', () => buildCnn({ seed: 5 })],
      ['cnn-lstm', () => buildCnnLstm({ seed: 5 })],
    ] as const)
      it(`${name}: the same loss as wasm to 1e-4, before and after one update`, async () => {
        const before = { ...onednnKernelCalls() };
        const got = await twoSteps('onednn', build);
        const ran = (k: string): number => (onednnKernelCalls()[k] ?? 0) - (before[k] ?? 0);
        for (const k of ['FusedConv2D', 'Conv2DBackpropFilter', 'MaxPoolGrad', 'FusedBatchNorm'])
          assert.ok(ran(k) > 0, `${k} did not run natively`);
        const want = await twoSteps('wasm', build);
        for (let i = 0; i < 2; i++) {
          const rel = Math.abs(got[i] - want[i]) / Math.abs(want[i]);
          assert.ok(rel <= 1e-4, `step ${i + 1}: onednn ${got[i]} vs wasm ${want[i]} (rel ${rel})`);
        }
      });
  });

  describe('determinism', () => {
    const ds = syntheticFer({ n: 300, noise: 60 });
    const run = async (out: string): Promise<Buffer> => {
      const cfg = resolveTrainConfig('cnn-lstm', 'quick', {
        epochs: 1,
        widthMultiplier: 0.25,
        batchSize: 32,
        limitTrain: 0,
        limitVal: 0,
        seed: 11,
        backend: 'onednn',
        out: path.join(tmp, out),
      });
      const r = await train(cfg, { dataset: ds, log: () => {}, progress: false });
      assert.equal(r.history[0].backend, 'onednn');
      r.model.dispose();
      return fs.readFileSync(path.join(cfg.out, 'weights.bin'));
    };

    for (const threads of [1, 2])
      it(`the same seed on ${threads} oneDNN thread(s) gives bit-identical weights`, async () => {
        const { addon } = loadOnednnAddon();
        setOnednnThreads(addon!, threads);
        try {
          const a = await run(`det-${threads}-a`);
          const b = await run(`det-${threads}-b`);
          assert.ok(a.equals(b), `weights differ between two runs on ${threads} thread(s)`);
        } finally {
          setOnednnThreads(addon!, Number(process.env.FER_THREADS) || os.availableParallelism());
        }
      });
  });

  describe('kill and --resume (fer train child processes)', () => {
    let csv: string;
    const common = (out: string): string[] => [
      'train',
      '--model',
      'cnn-lstm',
      '--profile',
      'quick',
      '--epochs',
      '3',
      '--width',
      '0.125',
      '--seed',
      '3',
      '--limit-train',
      '0',
      '--limit-val',
      '0',
      '--backend',
      'onednn',
      '--log-every',
      '1',
      '--csv',
      csv,
      '--cache-dir',
      path.join(tmp, 'cache'),
      '--out',
      out,
    ];
    // One thread each: the two children run side by side.
    const fer = (
      args: string[],
      onStderr?: (all: string, kill: (sig?: NodeJS.Signals) => void) => void,
    ) => ferChild(args, { env: { FER_BACKEND: '', FER_THREADS: '1' }, onStderr });

    before(() => {
      csv = path.join(tmp, 'synthetic.csv');
      writeFerCsv(csv, syntheticFer({ n: 400, noise: 60 }));
    });

    it('SIGKILL mid-epoch 2, --resume: ends with the uninterrupted run`s weights and log', async () => {
      const full = path.join(tmp, 'full');
      const killed = path.join(tmp, 'killed');
      const [a, b] = await Promise.all([
        fer(common(full)),
        fer([...common(killed), '--checkpoint-minutes', '0'], (err, kill) => {
          if (/epoch 2\/3 batch 2\//.test(err)) kill();
        }),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stderr, /backend: onednn \(oneDNN .*1 thread \(FER_THREADS\)/);
      assert.equal(b.signal, 'SIGKILL', b.stderr);
      const state = JSON.parse(fs.readFileSync(`${killed}.checkpoint/state.json`, 'utf8'));
      assert.equal(state.epoch, 1, 'the checkpoint of epoch 1 survived the kill');

      const c = await fer([...common(killed), '--resume']);
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stderr, /resuming from .* after epoch 1/);
      assert.ok(
        fs
          .readFileSync(path.join(full, 'weights.bin'))
          .equals(fs.readFileSync(path.join(killed, 'weights.bin'))),
        'final weights differ',
      );
      const strip = (f: string): unknown[] =>
        fs
          .readFileSync(f, 'utf8')
          .trim()
          .split('\n')
          .map((l) => ({ ...JSON.parse(l), seconds: 0 }));
      const log = strip(path.join(killed, 'train-log.jsonl'));
      assert.deepEqual(log, strip(path.join(full, 'train-log.jsonl')));
      assert.deepEqual(
        (log[0] as { backend: string; threads: number }).threads,
        1,
        'train-log records the thread count',
      );
      const meta = JSON.parse(fs.readFileSync(path.join(killed, 'meta.json'), 'utf8'));
      assert.equal(meta.backend, 'onednn');
      assert.equal(meta.threads, 1);
    });
  });
});
