import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  MAX_WASM_THREADS,
  threadSetting,
  wasmStartTimeoutMs,
  wasmThreadSetting,
} from '../../lib/backend/wasm-threads';
import { syntheticFer, writeFerCsv } from '../../lib/train/synthetic';
import { FerError } from '../../lib/util/errors';
import { ferChild } from '../fixtures/cli';

/** `fer train …` as a child with FER_WASM_THREADS set; resolves with its exit code and stderr. */
const ferTrain = (args: string[], threads: string, startTimeout = '') =>
  ferChild(['train', ...args], {
    env: { FER_BACKEND: '', FER_WASM_THREADS: threads, FER_WASM_START_TIMEOUT_S: startTimeout },
  });

describe('wasm threads', function () {
  it('FER_WASM_THREADS: 1-8 or auto (= the cores, at most 8); anything else is a FerError', () => {
    assert.deepEqual(wasmThreadSetting({ FER_WASM_THREADS: '3' }, 2), {
      threads: 3,
      source: 'FER_WASM_THREADS',
    });
    assert.equal(wasmThreadSetting({}, 2).threads, 2);
    assert.equal(wasmThreadSetting({ FER_WASM_THREADS: 'auto' }, 64).threads, MAX_WASM_THREADS);
    assert.equal(wasmThreadSetting({ FER_WASM_THREADS: ' ' }, 1).threads, 1);
    for (const bad of ['0', '9', '1.5', 'two', '-1'])
      assert.throws(
        () => wasmThreadSetting({ FER_WASM_THREADS: bad }, 2),
        (e: unknown) => e instanceof FerError && /FER_WASM_THREADS must be/.test(e.message),
        bad,
      );
  });

  it('FER_THREADS sets every engine; FER_WASM_THREADS keeps precedence on wasm', () => {
    assert.deepEqual(threadSetting({ FER_THREADS: '3' }, 2), { threads: 3, source: 'FER_THREADS' });
    assert.deepEqual(threadSetting({}, 2), { threads: 2, source: 'auto: 2 cores' });
    assert.equal(threadSetting({ FER_THREADS: 'auto' }, 16).threads, 16);
    // Without FER_THREADS, the wasm setting is the one setting (existing scripts use it).
    assert.deepEqual(threadSetting({ FER_WASM_THREADS: '1' }, 2), {
      threads: 1,
      source: 'FER_WASM_THREADS',
    });
    assert.deepEqual(wasmThreadSetting({ FER_THREADS: '2' }, 4), {
      threads: 2,
      source: 'FER_THREADS',
    });
    assert.equal(wasmThreadSetting({ FER_THREADS: '64' }, 4).threads, MAX_WASM_THREADS);
    assert.equal(wasmThreadSetting({ FER_THREADS: '2', FER_WASM_THREADS: '1' }, 4).threads, 1);
    assert.equal(threadSetting({ FER_THREADS: '2', FER_WASM_THREADS: '1' }, 4).threads, 2);
    for (const bad of ['0', '1.5', 'two', '-1', '1000'])
      assert.throws(
        () => threadSetting({ FER_THREADS: bad }, 2),
        (e: unknown) => e instanceof FerError && /FER_THREADS must be/.test(e.message),
        bad,
      );
  });

  it('FER_WASM_START_TIMEOUT_S: positive seconds, 30 by default; anything else is a FerError', () => {
    assert.equal(wasmStartTimeoutMs({}), 30_000);
    assert.equal(wasmStartTimeoutMs({ FER_WASM_START_TIMEOUT_S: ' 2.5 ' }), 2500);
    for (const bad of ['0', '-1', 'soon', 'Infinity'])
      assert.throws(
        () => wasmStartTimeoutMs({ FER_WASM_START_TIMEOUT_S: bad }),
        (e: unknown) => e instanceof FerError && /FER_WASM_START_TIMEOUT_S must be/.test(e.message),
        bad,
      );
  });

  for (const model of ['cnn', 'cnn-lstm'] as const)
    describe(`training the ${model} with 1 and with 2 threads (fer train children)`, function () {
      let tmp: string;
      let runs: { code: number | null; stderr: string }[];
      const out = (t: number): string => path.join(tmp, `t${t}`);
      const args = (t: number): string[] => [
        '--model',
        model,
        '--profile',
        'quick',
        '--epochs',
        '2',
        '--width',
        '0.125',
        '--batch-size',
        '16',
        '--limit-train',
        '0',
        '--limit-val',
        '0',
        '--backend',
        'wasm',
        '--quiet',
        '--csv',
        path.join(tmp, 'synthetic.csv'),
        '--cache-dir',
        path.join(tmp, 'cache'),
        '--out',
        out(t),
      ];

      before(async function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-threads-'));
        writeFerCsv(path.join(tmp, 'synthetic.csv'), syntheticFer({ n: 500, noise: 60 }));
        // One after the other: side by side they would share the cores and prove nothing more.
        runs = [await ferTrain(args(1), '1'), await ferTrain(args(2), '2')];
        // A threaded start that cannot finish in time (1 ms) is abandoned twice, then falls back.
        runs.push(await ferTrain(args(3), '2', '0.001'));
      });
      after(() => fs.rmSync(tmp, { recursive: true, force: true }));

      it('both finish; the second really ran 2 XNNPACK threads and says so in its log', () => {
        for (const r of runs) assert.equal(r.code, 0, r.stderr);
        assert.match(runs[0].stderr, /backend: wasm \(XNNPACK, 1 thread \(FER_WASM_THREADS\)/);
        assert.match(runs[1].stderr, /backend: wasm \(XNNPACK, 2 threads \(FER_WASM_THREADS\)/);
        assert.doesNotMatch(runs[1].stderr, /abandoned/);
        const log = (t: number) =>
          fs
            .readFileSync(path.join(out(t), 'train-log.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { threads?: number });
        assert.deepEqual(
          log(2).map((e) => e.threads),
          [2, 2],
        );
        assert.deepEqual(
          log(1).map((e) => e.threads),
          [1, 1],
        );
      });

      it('a threaded start that does not finish in time is abandoned, retried, then run on 1 thread', () => {
        // The child exited by itself (code 0 above): the terminated workers hold nothing open.
        assert.match(
          runs[2].stderr,
          /backend: wasm \(XNNPACK, 1 thread \(FER_WASM_THREADS; 2 threads failed: .*the threaded start \(try 2 of 2\) did not finish within 0\.001 s \(\d of 8 workers loaded\)\); abandoned: the threaded start \(try 1 of 2\)/,
        );
        const w1 = fs.readFileSync(path.join(out(1), 'weights.bin'));
        assert.ok(
          w1.equals(fs.readFileSync(path.join(out(3), 'weights.bin'))),
          'fallback weights differ',
        );
      });

      it('give bit-identical weights and the same metrics epoch by epoch', () => {
        const w1 = fs.readFileSync(path.join(out(1), 'weights.bin'));
        const w2 = fs.readFileSync(path.join(out(2), 'weights.bin'));
        assert.ok(w1.length > 10_000);
        assert.ok(w1.equals(w2), 'weights differ between 1 and 2 threads');
        const strip = (t: number): unknown[] =>
          fs
            .readFileSync(path.join(out(t), 'train-log.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map((l) => ({ ...JSON.parse(l), seconds: 0, threads: 0 }));
        assert.deepEqual(strip(2), strip(1));
      });
    });

  it('a bad FER_WASM_THREADS stops fer train with one clear line, exit 1', async () => {
    const r = await ferTrain(['--model', 'cnn', '--backend', 'wasm', '--csv', 'x.csv'], 'many');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FER_WASM_THREADS must be an integer from 1 to 8 or 'auto', got 'many'/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  });
});
