/**
 * Hostile and careless input to every `fer` command and every output option: bad option values,
 * outputs that point at things fer did not write, locks, killed runs' leftovers, malformed
 * artefacts, OS errors and the teaching server's Host header. Commands run in this process
 * (lib/cli/commands/*) where the point is what they refuse before any work; a few run as the
 * CLI child process where the exit code and the one-line message are the point.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { backendsCommand } from '../../lib/cli/commands/backends';
import { compareCommand } from '../../lib/cli/commands/compare';
import { dataCommand } from '../../lib/cli/commands/data';
import { dynamicsCommand } from '../../lib/cli/commands/dynamics';
import { evalCommand } from '../../lib/cli/commands/eval';
import { robustnessCommand } from '../../lib/cli/commands/robustness';
import { serveCommand } from '../../lib/cli/commands/serve';
import { trainCommand } from '../../lib/cli/commands/train';
import type { Command } from '../../lib/cli/registry';
import { cachePathFor, loadFer2013, parseFer2013Csv, type FerDataset } from '../../lib/data';
import { defaultComparePath, defaultEvalPath, resultKey } from '../../lib/eval/run';
import { startServer, type RunningServer } from '../../lib/serve';
import { hostNames } from '../../lib/serve/server';
import { resolveTrainConfig, saveStudyModel } from '../../lib/train';
import { loadCheckpoint, saveCheckpoint, CHECKPOINT_VERSION } from '../../lib/train/checkpoint';
import { loadCheckpointModel } from '../../lib/train/interim';
import { loadStudyModel } from '../../lib/models/io';
import { syntheticFer, writeFerCsv } from '../../lib/train/synthetic';
import { modelFor } from '../../lib/train/train';
import { cleanStaleTemps } from '../../lib/util/atomic';
import { FerError } from '../../lib/util/errors';
import { acquireLock, lockPath } from '../../lib/util/lock';
import { checkOutputDir, checkOutputFile } from '../../lib/util/output-path';
import { osErrorToFerError } from '../../lib/util/os-error';
import { Rng } from '../../lib/util/rng';
import { ferChild, ferSync, nodeSync } from '../fixtures/cli';
import { tinyMeta, tinyModel } from '../fixtures/tiny-model';
import { saveTinyModels } from '../fixtures/web-fixtures';

/** A PID that belonged to a process which has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid;
}

/** Every file under `dir` with its content (folders as '/'), to prove nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        out[path.relative(dir, p) + '/'] = '';
        walk(p);
      } else out[path.relative(dir, p)] = fs.readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return out;
}

/** `p` must reject with a FerError whose one-line form (with its file) matches `re`. */
async function rejectsFer(p: Promise<unknown> | (() => unknown), re: RegExp): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(e instanceof FerError, String(e));
    assert.match(e.format(), re);
    assert.ok(e.format().length < 400, `short: ${e.format().length} chars`);
    assert.doesNotMatch(e.format(), /\n|Tensor/);
    return;
  }
  assert.fail(`not refused: expected ${re}`);
}

/** Runs a command in this process; it must be refused with a FerError matching `re`. */
async function refused(cmd: Command, argv: string[], re: RegExp): Promise<FerError> {
  const log = console.log;
  console.log = () => undefined;
  try {
    await cmd.run(argv);
  } catch (e) {
    if (!(e instanceof FerError)) throw e;
    assert.match(e.format(), re, `${cmd.name} ${argv.join(' ')}`);
    assert.doesNotMatch(e.format(), /\n/, 'one line');
    return e;
  } finally {
    console.log = log;
  }
  assert.fail(`${cmd.name} ${argv.join(' ')} was not refused`);
}

describe('cli: hostile and careless input to every command', function () {
  this.timeout(120_000);
  let tmp: string;
  let csv: string;
  let ds: FerDataset;
  let cnn: string; // a tiny model folder named like the paper's
  let other: string;
  const missingCsv = (): string => path.join(tmp, 'no-such.csv');
  const savedEnv = process.env.FER_RESULTS_DIR;

  before(async () => {
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-hostile-'));
    csv = path.join(tmp, 'fer.csv');
    writeFerCsv(csv, syntheticFer({ n: 100, seed: 3 }));
    ds = await parseFer2013Csv(csv);
    cnn = path.join(tmp, 'elsewhere', 'cnn');
    other = path.join(tmp, 'models', 'other');
    for (const [dir, seed] of [
      [cnn, 1],
      [other, 2],
    ] as const) {
      const m = tinyModel(seed);
      await saveStudyModel(dir, m, tinyMeta(ds, 'cnn', seed));
      m.dispose();
    }
    process.env.FER_RESULTS_DIR = path.join(tmp, 'results');
  });
  after(() => {
    if (savedEnv === undefined) delete process.env.FER_RESULTS_DIR;
    else process.env.FER_RESULTS_DIR = savedEnv;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('options are checked before any data is loaded', () => {
    // Each case would need data or the model if the option got through; the CSV does not exist,
    // so a message about the option proves the order.
    const m = (): string => cnn;
    const cases: Array<[Command, () => string[], RegExp]> = [
      [evalCommand, () => ['--model', m(), '--bootstrap', '2.5'], /--bootstrap must be an integer/],
      [evalCommand, () => ['--model', m(), '--bootstrap', '-1'], /--bootstrap must be >= 0/],
      [
        evalCommand,
        () => ['--model', m(), '--noise-seeds', '1e9'],
        /--noise-seeds must be .*<= 100/,
      ],
      [evalCommand, () => ['--model', m(), '--noise-seeds', '0'], /--noise-seeds must be >= 1/],
      [evalCommand, () => ['--model', m(), '--limit', 'abc'], /--limit must be a number/],
      [evalCommand, () => ['--model', m(), '--limit', '0x10'], /--limit must be a number/],
      [evalCommand, () => ['--model', m(), '--batch-size', '0'], /--batch-size must be >= 1/],
      [
        evalCommand,
        () => ['--model', m(), '--recalibrate-bn', '0'],
        /--recalibrate-bn must be >= 1/,
      ],
      [evalCommand, () => ['--model', m(), '--json=false'], /--json takes no value/],
      [
        evalCommand,
        () => ['--model', m(), '--limit', ''],
        /--limit needs a value, got an empty one/,
      ],
      [
        evalCommand,
        () => ['--model', m(), '--limit', '5', '--limit', '6'],
        /--limit is given more than once/,
      ],
      [evalCommand, () => [m(), other], /unexpected argument/],
      [
        evalCommand,
        () => ['--model', m(), other],
        /unexpected argument .*already given by --model/,
      ],
      [evalCommand, () => ['--model', m(), '--out'], /--out needs a value/],
      [
        evalCommand,
        () => ['--model', m(), '--out', '--json'],
        /--out needs a value, got the option --json/,
      ],
      [evalCommand, () => ['--model', path.join(tmp, 'nope')], /nope: no such model folder/],
      [evalCommand, () => ['--model', csv], /is not a folder/],
      [evalCommand, () => ['--model', m(), '--backend', 'quantum'], /backend/],
      [compareCommand, () => [m()], /expected two model folders/],
      [compareCommand, () => [m(), other, other], /unexpected argument/],
      [compareCommand, () => [m(), other, '--noise-seeds', '1e9'], /--noise-seeds must be/],
      [compareCommand, () => [m(), other, '--limit', '-5'], /--limit must be >= 0/],
      [compareCommand, () => [m(), other, '--json=1'], /--json takes no value/],
      [
        trainCommand,
        () => ['--model', 'cnn', '--seed', ''],
        /--seed needs a value, got an empty one/,
      ],
      [trainCommand, () => ['--model', 'cnn', '--seed', '1.5'], /--seed must be an integer/],
      [trainCommand, () => ['--model', 'cnn', '--epochs', '1e9'], /--epochs must be .*<= 10000/],
      [trainCommand, () => ['--model', 'cnn', '--epochs', '0'], /--epochs must be >= 1/],
      [trainCommand, () => ['--model', 'cnn', '--batch-size', '1e9'], /--batch-size must be/],
      [trainCommand, () => ['--model', 'cnn', '--width', '100'], /--width must be .*<= 8/],
      [trainCommand, () => ['--model', 'cnn', '--lr', '0'], /--lr must be > 0/],
      [trainCommand, () => ['--model', 'cnn', '--lr', 'Infinity'], /--lr must be a number/],
      [trainCommand, () => ['--model', 'cnn', '--dropout', '1'], /--dropout must be/],
      [trainCommand, () => ['--model', 'cnn', '--log-every', '0'], /--log-every must be >= 1/],
      [
        trainCommand,
        () => ['--model', 'cnn', '--checkpoint-minutes', '-1'],
        /--checkpoint-minutes must be >= 0/,
      ],
      [trainCommand, () => ['--model', 'cnn', '--resume', '--overwrite'], /contradict/],
      [trainCommand, () => ['--model', 'cnn', '--quiet=no'], /--quiet takes no value/],
      [trainCommand, () => ['--model', 'cnn', 'extra'], /unexpected argument 'extra'/],
      [trainCommand, () => ['--model', 'cnn', '--split', 'mine'], /unknown split/],
      [dynamicsCommand, () => ['--sequences', '1e9'], /--sequences must be/],
      [dynamicsCommand, () => ['--T', '0'], /--T must be >= 1/],
      [dynamicsCommand, () => ['--noise', '2'], /--noise must be/],
      [dynamicsCommand, () => ['--bootstrap', '0.5'], /--bootstrap must be an integer/],
      [dynamicsCommand, () => ['--frame-model', path.join(tmp, 'nope')], /no such model folder/],
      [dynamicsCommand, () => ['--json=false'], /--json takes no value/],
      [dynamicsCommand, () => ['x'], /unexpected argument 'x'/],
      [robustnessCommand, () => ['--model', m(), '--limit', '-1'], /--limit must be >= 0/],
      [robustnessCommand, () => ['--model', m(), '--seed', '1.5'], /--seed must be an integer/],
      [robustnessCommand, () => ['--model', m(), '--families', 'fog'], /fog/],
      [robustnessCommand, () => ['--model', m(), '--severities', '9'], /severit/],
      [robustnessCommand, () => ['--model', m(), '--noise-seeds', '2'], /does not apply/],
      [
        robustnessCommand,
        () => ['augmentation', '--models', `${m()},${m()},${m()}`],
        /four folders/,
      ],
      [
        robustnessCommand,
        () => ['augmentation', '--models', `${m()},${m()},${m()},${m()}`, '--noise-seeds', '1e9'],
        /--noise-seeds must be/,
      ],
      [robustnessCommand, () => ['augmentation', '--model', m()], /does not apply/],
      [robustnessCommand, () => ['sideways'], /unexpected argument 'sideways'/],
      [robustnessCommand, () => ['augmentation', 'twice'], /unexpected argument 'twice'/],
      [dataCommand, () => ['check'], /expected one file/],
      [dataCommand, () => ['check', csv, csv], /unexpected argument/],
      [dataCommand, () => ['check', csv, '--seed', '-1'], /--seed must be >= 0/],
      [dataCommand, () => ['check', csv, '--json=false'], /--json takes no value/],
      [dataCommand, () => ['prepare', 'extra', '--csv', csv], /unexpected argument 'extra'/],
      [dataCommand, () => ['prepare', '--csv', missingCsv()], /no such file/],
      [dataCommand, () => ['wipe'], /unknown subcommand 'data wipe'/],
      [serveCommand, () => ['--port', '70000'], /--port must be .*<= 65535/],
      [serveCommand, () => ['--port', '80.5'], /--port must be an integer/],
      [serveCommand, () => ['--per-class', '0'], /--per-class must be >= 1/],
      [serveCommand, () => ['--host', 'a b'], /--host must be a host name/],
      [serveCommand, () => ['x'], /unexpected argument 'x'/],
      [backendsCommand, () => ['--json=false'], /--json takes no value/],
      [backendsCommand, () => ['extra'], /unexpected argument 'extra'/],
    ];
    it(`refuses ${cases.length} bad option sets across all eight commands, one line each`, async () => {
      const before = snapshot(tmp);
      for (const [cmd, argv, re] of cases)
        await refused(
          cmd,
          [
            ...argv(),
            ...(cmd === dataCommand || cmd === backendsCommand || cmd === serveCommand
              ? []
              : ['--csv', missingCsv()]),
          ],
          re,
        );
      // Nothing was written: no cache, no results folder, no model folder.
      assert.deepEqual(snapshot(tmp), before);
    });
  });

  describe('outputs: only new, empty or same-kind paths are written', () => {
    let docs: string;
    beforeEach(() => {
      docs = path.join(tmp, 'docs');
      fs.rmSync(docs, { recursive: true, force: true });
      fs.mkdirSync(docs);
      fs.writeFileSync(path.join(docs, 'thesis.txt'), 'x');
    });
    const train = (out: string, ...more: string[]): string[] => [
      '--model',
      'cnn',
      '--epochs',
      '1',
      '--backend',
      'cpu',
      '--csv',
      missingCsv(),
      '--out',
      out,
      ...more,
    ];

    it('fer train --out / --checkpoint-dir never replace a folder or file that is not theirs', async () => {
      const before = snapshot(tmp);
      await refused(trainCommand, train(docs), /docs: holds thesis\.txt and is not a model folder/);
      await refused(trainCommand, train(tmp), /is not a model folder/); // like `--out .`
      await refused(
        trainCommand,
        train(path.join(docs, 'thesis.txt')),
        /thesis\.txt: is a file, not a model folder/,
      );
      await refused(
        trainCommand,
        train(path.join(tmp, 'new'), '--checkpoint-dir', docs),
        /docs: holds thesis\.txt and is not a training checkpoint/,
      );
      await refused(
        trainCommand,
        train(path.join(tmp, 'new'), '--checkpoint-dir', path.join(tmp, 'new', 'ck')),
        /must be apart/,
      );
      // A model folder with a file fer did not write is not replaced either.
      fs.cpSync(other, path.join(tmp, 'mixed'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'mixed', 'notes.md'), 'mine');
      await refused(
        trainCommand,
        train(path.join(tmp, 'mixed'), '--overwrite'),
        /mixed: is a model folder .* but also holds notes\.md/,
      );
      fs.rmSync(path.join(tmp, 'mixed'), { recursive: true });
      assert.deepEqual(snapshot(tmp), before);
    });

    it('fer train: an unwritable --out fails before any data is loaded', async () => {
      await refused(
        trainCommand,
        train(path.join(docs, 'thesis.txt', 'model')),
        /cannot write here: .*thesis\.txt is not a folder/,
      );
      if (fs.existsSync('/proc/self'))
        await refused(trainCommand, train('/proc/fer-model'), /cannot write here|not writable/);
    });

    it('fer train: an existing checkpoint needs --resume or --overwrite, an existing model --overwrite', async () => {
      const out = path.join(tmp, 'run');
      fs.cpSync(other, out, { recursive: true });
      await refused(trainCommand, train(out), /run: holds a trained model; pass --overwrite/);
      fs.mkdirSync(`${out}.checkpoint`);
      fs.writeFileSync(`${out}.checkpoint/state.json`, JSON.stringify({ epoch: 2 }));
      await refused(
        trainCommand,
        train(out),
        /run\.checkpoint: holds a checkpoint \(2 epochs done\); pass --resume to continue it or --overwrite/,
      );
      // With the flag the command gets past its outputs (and stops at the missing CSV).
      await refused(trainCommand, train(out, '--overwrite'), /no-such\.csv: no such file/);
      assert.equal(fs.readFileSync(`${out}.checkpoint/state.json`, 'utf8'), '{"epoch":2}');
      assert.ok(fs.existsSync(path.join(out, 'model.json')));
      assert.ok(!fs.existsSync(lockPath(out)), 'lock released'); // refused() ran it in-process
    });

    it('fer train: a running training holds a lock naming its PID; a dead one is taken over', async () => {
      const out = path.join(tmp, 'locked');
      const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
      try {
        fs.writeFileSync(
          lockPath(`${out}.checkpoint`),
          JSON.stringify({ pid: holder.pid, host: os.hostname() }),
        );
        await refused(
          trainCommand,
          train(out),
          new RegExp(`in use by a running training \\(PID ${holder.pid}`),
        );
        assert.throws(
          () => acquireLock(`${out}.checkpoint`, 'checkpoint'),
          new RegExp(`PID ${holder.pid}`),
        );
      } finally {
        holder.kill('SIGKILL');
      }
      const dead = deadPid();
      fs.writeFileSync(
        lockPath(`${out}.checkpoint`),
        JSON.stringify({ pid: dead, host: os.hostname() }),
      );
      const release = acquireLock(`${out}.checkpoint`, 'checkpoint');
      assert.equal(
        JSON.parse(fs.readFileSync(lockPath(`${out}.checkpoint`), 'utf8')).pid,
        process.pid,
      );
      release();
      assert.ok(!fs.existsSync(lockPath(`${out}.checkpoint`)));
    });

    it('the library itself refuses to swap a foreign folder in at save time', async () => {
      const m = tinyModel(1);
      try {
        await rejectsFer(
          saveStudyModel(docs, m, tinyMeta(ds, 'cnn', 1)),
          /docs: holds thesis\.txt/,
        );
      } finally {
        m.dispose();
      }
      await rejectsFer(
        saveCheckpoint(docs, {} as never, [], [], null),
        /docs: holds thesis\.txt and is not a training checkpoint/,
      );
      assert.equal(fs.readFileSync(path.join(docs, 'thesis.txt'), 'utf8'), 'x');
    });

    it('fer dynamics --frame-out and --out refuse what is not theirs', async () => {
      await refused(
        dynamicsCommand,
        ['--frame-out', docs, '--out', path.join(tmp, 'dyn.json'), '--csv', missingCsv()],
        /docs: holds thesis\.txt and is not a model folder/,
      );
      await refused(
        dynamicsCommand,
        ['--out', docs, '--csv', missingCsv()],
        /docs: is a folder; a emotion-dynamics result must be written to a file/,
      );
      await refused(
        dynamicsCommand,
        ['--out', path.join(docs, 'thesis.txt'), '--csv', missingCsv()],
        /thesis\.txt: holds something that is not JSON/,
      );
      assert.equal(fs.readFileSync(path.join(docs, 'thesis.txt'), 'utf8'), 'x');
    });

    it('fer eval / compare / robustness --out refuse folders, foreign files and other kinds of result', async () => {
      const evalJson = path.join(tmp, 'results', 'x', 'eval.json');
      fs.mkdirSync(path.dirname(evalJson), { recursive: true });
      fs.writeFileSync(
        evalJson,
        JSON.stringify({ schema: 'fer-eval/1', model: { dir: 'models/x' } }),
      );
      const before = snapshot(tmp);
      const c = ['--csv', missingCsv()];
      await refused(evalCommand, ['--model', cnn, '--out', docs, ...c], /docs: is a folder/);
      await refused(
        evalCommand,
        ['--model', cnn, '--out', path.join(docs, 'thesis.txt'), ...c],
        /not JSON; refusing/,
      );
      await refused(
        compareCommand,
        [cnn, other, '--out', evalJson, ...c],
        /holds a fer-eval\/1 result, not a fer-compare\/1 result/,
      );
      await refused(
        robustnessCommand,
        ['--model', cnn, '--out', evalJson, ...c],
        /not a fer-robustness\/1 result/,
      );
      await refused(
        robustnessCommand,
        ['augmentation', '--models', [cnn, cnn, other, other].join(','), '--out', evalJson, ...c],
        /not a fer-augmentation\/1 result/,
      );
      // The reference's run would land on --out itself.
      await refused(
        robustnessCommand,
        ['--model', other, '--ref', cnn, '--out', path.join(tmp, 'r', 'cnn.json'), ...c],
        /reference's result would be written to --out itself/,
      );
      assert.deepEqual(snapshot(tmp), before);
    });

    it("a default result file holding another model's result is never replaced", async () => {
      const paper = path.join(tmp, 'results', 'cnn', 'eval.json');
      fs.mkdirSync(path.dirname(paper), { recursive: true });
      const text = JSON.stringify({ schema: 'fer-eval/1', model: { dir: 'models/cnn' } });
      fs.writeFileSync(paper, text);
      await refused(
        evalCommand,
        ['--model', cnn, '--csv', missingCsv()],
        /cnn[/\\]eval\.json: holds the result of models\/cnn, not of .*elsewhere[/\\]cnn; refusing to replace it \(pass --out FILE\)/,
      );
      const rob = path.join(tmp, 'results', 'robustness', 'cnn.json');
      fs.mkdirSync(path.dirname(rob), { recursive: true });
      fs.writeFileSync(
        rob,
        JSON.stringify({ schema: 'fer-robustness/1', model: { dir: 'models/cnn' } }),
      );
      await refused(
        robustnessCommand,
        ['--model', cnn, '--csv', missingCsv()],
        /holds the result of models\/cnn/,
      );
      await refused(
        robustnessCommand,
        ['--model', other, '--ref', cnn, '--csv', missingCsv()],
        /robustness[/\\]cnn\.json: holds the result of models\/cnn/,
      );
      assert.equal(fs.readFileSync(paper, 'utf8'), text);
    });
  });

  describe('two real trainings on one --out (CLI child processes)', () => {
    it("the second is refused naming the first's PID; after a SIGKILL the lock is taken over", async () => {
      const data = path.join(tmp, 'train.csv');
      writeFerCsv(data, syntheticFer({ n: 200, seed: 5 }));
      const out = path.join(tmp, 'two');
      const args = (...more: string[]): string[] => [
        'train', '--model', 'cnn', '--width', '0.125', '--limit-train', '32', '--limit-val', '16',
        '--batch-size', '32', '--backend', 'wasm', '--csv', data, '--cache-dir', path.join(tmp, 'cache'),
        '--out', out, '--log-every', '1', ...more,
      ]; // prettier-ignore
      let second: ReturnType<typeof ferSync> | null = null;
      const first = await ferChild(args('--epochs', '500', '--seed', '1'), {
        onStderr: (all, kill) => {
          // Training has begun (the lock is held): start the other one, then kill this one.
          if (second === null && /up to 500 epochs/.test(all)) {
            second = ferSync(args('--epochs', '1', '--seed', '2'));
            kill('SIGKILL');
          }
        },
      });
      assert.equal(first.signal, 'SIGKILL');
      assert.ok(second !== null, first.stderr);
      const s = second as ReturnType<typeof ferSync>;
      assert.equal(s.code, 1, s.err);
      assert.match(s.err.trim(), /in use by a running training \(PID \d+/);
      assert.equal(s.err.trim().split('\n').length, 1, s.err);
      // The killed run's lock is stale: the next run takes it over, finishes and releases it.
      assert.ok(fs.existsSync(lockPath(out)));
      const third = ferSync(args('--epochs', '1', '--seed', '2', '--overwrite'));
      assert.equal(third.code, 0, third.err);
      assert.match(third.err, /saved /);
      assert.ok(!fs.existsSync(lockPath(out)) && !fs.existsSync(lockPath(`${out}.checkpoint`)));
      // A fresh run over the finished model without --overwrite is refused, the model kept.
      const weights = fs.readFileSync(path.join(out, 'weights.bin'));
      const fourth = ferSync(args('--epochs', '1'));
      assert.equal(fourth.code, 1);
      assert.match(fourth.err, /holds a trained model; pass --overwrite/);
      assert.ok(fs.readFileSync(path.join(out, 'weights.bin')).equals(weights));
    });
  });

  describe('result names say which model and which settings produced them', () => {
    it('keeps the committed paths of the default full evaluations', () => {
      const r = path.join(tmp, 'results');
      assert.equal(defaultEvalPath('models/cnn'), path.join(r, 'cnn', 'eval.json'));
      assert.equal(defaultEvalPath('models/cnn-lstm/'), path.join(r, 'cnn-lstm', 'eval.json'));
      assert.equal(defaultEvalPath('runs/cnn-quick'), path.join(r, 'cnn-quick', 'eval.json'));
      assert.equal(
        defaultEvalPath('runs/cnn-lstm-quick'),
        path.join(r, 'cnn-lstm-quick', 'eval.json'),
      );
      assert.equal(
        defaultEvalPath('models/cnn', { recalibrateBn: 4000 }),
        path.join(r, 'cnn', 'eval-bn-recalibrated.json'),
      );
      assert.equal(
        defaultComparePath('models/cnn', 'models/cnn-lstm'),
        path.join(r, 'compare-cnn-cnn-lstm.json'),
      );
      assert.equal(
        defaultComparePath('runs/cnn-quick', 'runs/cnn-lstm-quick'),
        path.join(r, 'compare-cnn-quick-cnn-lstm-quick.json'),
      );
    });

    it('models/quick/cnn and subsets or other settings get names of their own', () => {
      assert.equal(resultKey('models/quick/cnn'), 'quick-cnn');
      assert.notEqual(defaultEvalPath('models/quick/cnn'), defaultEvalPath('models/cnn'));
      const p = (v: Parameters<typeof defaultEvalPath>[1]): string =>
        path.basename(defaultEvalPath('models/cnn', v));
      assert.equal(p({ limit: 2000 }), 'eval-limit2000.json');
      assert.equal(p({ noise: 'none' }), 'eval-clean.json');
      assert.equal(
        path.basename(defaultEvalPath('models/cnn', { recalibrateBn: 500, limit: 100 })),
        'eval-bn-recalibrated-n500-limit100.json',
      );
      assert.equal(
        p({ noiseSeeds: 1, bootstrapResamples: 200, timing: false }),
        'eval-seeds1-boot200-notiming.json',
      );
      assert.equal(
        p({ noiseSeeds: 3, bootstrapResamples: 1000, timing: true, limit: 0 }),
        'eval.json',
      );
      assert.match(
        defaultComparePath('models/cnn', 'models/cnn-lstm', { limit: 500 }),
        /compare-cnn-cnn-lstm-limit500\.json$/,
      );
    });

    it('fer eval --limit writes beside the full result, not over it', async () => {
      const full = path.join(tmp, 'results', 'other', 'eval.json');
      fs.mkdirSync(path.dirname(full), { recursive: true });
      const text = JSON.stringify({ schema: 'fer-eval/1', model: { dir: other } });
      fs.writeFileSync(full, text);
      const log = console.log;
      const err = console.error;
      console.log = console.error = () => undefined;
      try {
        await evalCommand.run(['--model', other, '--limit', '14', '--noise', 'none', '--bootstrap', '0',
          '--no-timing', '--backend', 'cpu', '--csv', csv, '--cache-dir', path.join(tmp, 'cache')]); // prettier-ignore
      } finally {
        console.log = log;
        console.error = err;
      }
      assert.equal(fs.readFileSync(full, 'utf8'), text);
      const sub = JSON.parse(
        fs.readFileSync(
          path.join(path.dirname(full), 'eval-limit14-clean-boot0-notiming.json'),
          'utf8',
        ),
      );
      assert.equal(sub.data.nTest, 14);
    });
  });

  describe('malformed artefacts are one-line user errors naming the file', () => {
    let bad: string;
    beforeEach(() => {
      bad = path.join(tmp, 'bad');
      fs.rmSync(bad, { recursive: true, force: true });
      fs.cpSync(other, bad, { recursive: true });
    });
    const load = async (re: RegExp): Promise<void> => {
      await assert.rejects(loadStudyModel(bad), (e: unknown) => {
        assert.ok(e instanceof FerError, String(e));
        assert.match(e.format(), re);
        assert.ok(e.format().length < 400, `short: ${e.format().length} chars`);
        return true;
      });
    };

    it('meta.json of null, an array or broken JSON', async () => {
      for (const text of ['null', '[]', '{"architecture":']) {
        fs.writeFileSync(path.join(bad, 'meta.json'), text);
        await load(/meta\.json: (model metadata must be a JSON object|cannot read model metadata)/);
      }
    });

    it("meta.json's architecture against model.json's layers", async () => {
      const lstm = path.join(tmp, 'lstm');
      const cnnDir = path.join(tmp, 'conv');
      const { 'cnn-lstm': a, cnn: b } = await saveTinyModels(tmp, ds.sha256);
      a.dispose();
      b.dispose();
      fs.renameSync(path.join(tmp, 'cnn-lstm'), lstm);
      fs.renameSync(path.join(tmp, 'cnn'), cnnDir);
      const swap = (dir: string, arch: string): void => {
        const f = path.join(dir, 'meta.json');
        fs.writeFileSync(
          f,
          JSON.stringify({ ...JSON.parse(fs.readFileSync(f, 'utf8')), architecture: arch }),
        );
      };
      swap(lstm, 'cnn');
      swap(cnnDir, 'cnn-lstm');
      await rejectsFer(
        loadStudyModel(lstm),
        /lstm[/\\]meta\.json: meta\.json says architecture 'cnn' but model\.json has a recurrent/,
      );
      await rejectsFer(
        loadStudyModel(cnnDir),
        /conv[/\\]meta\.json: meta\.json says architecture 'cnn-lstm' but model\.json has no LSTM/,
      );
      const r = ferSync(
        ['eval', '--model', lstm, '--csv', csv, '--cache-dir', path.join(tmp, 'cache')],
        { FER_BACKEND: 'cpu', FER_RESULTS_DIR: path.join(tmp, 'results') },
      );
      // Exit 1 (not 2), no result written, and the error is one line after the progress lines.
      assert.equal(r.code, 1, r.err);
      assert.match(r.err.trim().split('\n').pop()!, /lstm[/\\]meta\.json: meta\.json says/);
      assert.doesNotMatch(r.err, /\n\s+at /);
      assert.ok(!fs.existsSync(path.join(tmp, 'results', 'lstm')));
    });

    it('a same-size shape swap in model.json', async () => {
      const f = path.join(bad, 'model.json');
      const j = JSON.parse(fs.readFileSync(f, 'utf8'));
      const w = j.weightsManifest[0].weights as { shape: number[] }[];
      const k = w.find((x) => x.shape.length === 2)!;
      k.shape = [...k.shape].reverse(); // [36, 7] -> [7, 36]: same bytes
      fs.writeFileSync(f, JSON.stringify(j));
      await load(/model\.json: model\.json does not fit its weights/);
    });

    it('weights.bin of the wrong size, a FIFO, a link to /dev/zero or a folder', async () => {
      const wb = path.join(bad, 'weights.bin');
      fs.truncateSync(wb, 100);
      await load(/weights\.bin: weights are 100 bytes, the manifest needs/);
      fs.rmSync(wb);
      fs.symlinkSync('/dev/zero', wb);
      await load(/weights\.bin: weight shard is not a regular file \(a device\)/);
      fs.rmSync(wb);
      if (spawnSync('mkfifo', [wb]).status === 0)
        await load(/weights\.bin: weight shard is not a regular file \(a FIFO\)/);
      fs.rmSync(wb, { force: true });
      fs.mkdirSync(wb);
      await load(/weight shard is not a regular file \(a folder\)/);
    });

    it('a checkpoint whose state.json names the other architecture: one short line, no tensors', async () => {
      const dir = path.join(tmp, 'ck-swap');
      const base = { widthMultiplier: 0.125, out: path.join(tmp, 'ck'), backend: 'cpu' as const };
      const cnnCfg = resolveTrainConfig('cnn', 'quick', base);
      const m = modelFor(cnnCfg);
      const state = {
        version: CHECKPOINT_VERSION,
        config: resolveTrainConfig('cnn-lstm', 'quick', base),
        epoch: 1,
        rng: new Rng(1).getState(),
        lr: 0.001,
        best: { epoch: 1, valLoss: 1, valAccuracy: 0.2 },
        wait: 0,
        lrWait: 0,
        stopped: false,
        adamAccBeta: [0.9, 0.999] as [number, number],
        history: [],
        wallSeconds: 0,
        datasetSha256: ds.sha256,
        backend: 'cpu',
      };
      await saveCheckpoint(dir, state, m.getWeights(), [], m.getWeights());
      m.dispose();
      assert.throws(
        () => loadCheckpointModel(dir),
        (e: unknown) =>
          e instanceof FerError &&
          /state\.json: the weights do not fit the 'cnn-lstm' model state\.json names/.test(
            e.format(),
          ) &&
          e.format().length < 400 &&
          !/Tensor/.test(e.format()),
      );
      // A best.bin that is a link to /dev/zero is refused by its type, not read.
      fs.rmSync(path.join(dir, 'best.bin'));
      fs.symlinkSync('/dev/zero', path.join(dir, 'best.bin'));
      await rejectsFer(
        () => loadCheckpoint(dir, { recover: false }),
        /best\.bin: checkpoint file is not a regular file/,
      );
    });
  });

  describe('OS errors are user errors (exit 1, one line with the path); bugs stay exit 2', () => {
    const runMainWith = (body: string): { code: number | null; err: string } =>
      nodeSync(['-e', `require('./lib/cli/run-main.ts').runMain(async () => { ${body} })`]);

    it('ENOENT, EISDIR, ENOTDIR, EACCES-like errors from node:fs', () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'os-'));
      const cases: Array<[string, RegExp]> = [
        [
          `require('fs').readFileSync(${JSON.stringify(path.join(dir, 'none'))})`,
          /none: no such file or folder \[ENOENT\] \(open\)/,
        ],
        [
          `require('fs').writeFileSync(${JSON.stringify(dir)}, '')`,
          /os-\w+: is a folder, a file was expected \[EISDIR\] \(open\)/,
        ],
        [
          `require('fs').writeFileSync(${JSON.stringify(path.join(csv, 'x'))}, '')`,
          /fer\.csv[/\\]x: a path component is not a folder \[ENOTDIR\]/,
        ],
      ];
      for (const [body, re] of cases) {
        const r = runMainWith(body);
        assert.equal(r.code, 1, r.err);
        assert.match(r.err, re);
        assert.equal(r.err.trim().split('\n').length, 1);
      }
      const bug = runMainWith("throw new TypeError('x is not a function')");
      assert.equal(bug.code, 2);
    });

    it('ENOSPC, EACCES and EADDRNOTAVAIL map to messages naming what they name', async () => {
      const e = (props: object): FerError | undefined =>
        osErrorToFerError(Object.assign(new Error('raw'), props));
      assert.equal(
        e({ code: 'ENOSPC', syscall: 'write', path: '/d/x' })?.format(),
        '/d/x: no space left on the device [ENOSPC] (write)',
      );
      assert.equal(
        e({ code: 'EACCES', syscall: 'open', path: '/d/y' })?.format(),
        '/d/y: permission denied [EACCES] (open)',
      );
      assert.equal(e({ code: 'ERR_ASSERTION' }), undefined);
      // A real one: binding an address this machine does not have.
      const models = path.join(tmp, 'serve-models');
      const ms = await saveTinyModels(models, ds.sha256);
      Object.values(ms).forEach((m) => m.dispose());
      await rejectsFer(
        startServer({ host: '192.0.2.1', port: 0, modelsDir: models, ds, perClass: 1 }),
        /cannot listen on 192\.0\.2\.1:0: address not available on this machine \[EADDRNOTAVAIL\] \(listen\)/,
      );
    });

    it('JSON errors are one line', () => {
      const f = path.join(tmp, 'multi.json');
      fs.writeFileSync(f, '{\n  "a": 1,\n  oops\n}\n');
      const r = runMainWith(`require('./lib/util/atomic.ts').readJsonFile(${JSON.stringify(f)})`);
      assert.equal(r.code, 1);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.match(r.err, /multi\.json: not valid JSON/);
    });
  });

  describe('fer data prepare', () => {
    it('fails (exit 1, one line) when the cache cannot be written, and never replaces a foreign file', () => {
      const blocker = path.join(tmp, 'blocker');
      fs.writeFileSync(blocker, 'a file where the cache folder should be');
      const r = ferSync([
        'data',
        'prepare',
        '--csv',
        csv,
        '--cache-dir',
        path.join(blocker, 'cache'),
      ]);
      assert.equal(r.code, 1, r.err);
      assert.equal(r.out, '');
      // Progress lines first; the error is the last line, and names the cache file once.
      const last = r.err.trim().split('\n').pop()!;
      assert.match(
        last,
        /fer2013-\w+\.bin: could not write the cache: cannot write here: .*blocker is not a folder$/,
      );
      const cacheDir = path.join(tmp, 'cache-foreign');
      fs.mkdirSync(cacheDir);
      const target = cachePathFor(csv, cacheDir);
      fs.writeFileSync(target, 'my notes');
      const f = ferSync(['data', 'prepare', '--csv', csv, '--cache-dir', cacheDir]);
      assert.equal(f.code, 1, f.err);
      assert.match(f.err, /is not a FER2013 cache file; refusing to replace it/);
      assert.equal(fs.readFileSync(target, 'utf8'), 'my notes');
    });
  });

  describe("killed runs' temp files are cleaned on the next run, and nothing else", () => {
    it('the data cache: dead-PID or old temp files go, a live one and foreign files stay', async () => {
      const cacheDir = path.join(tmp, 'cache-temps');
      fs.mkdirSync(cacheDir);
      const base = path.basename(cachePathFor(csv, cacheDir));
      const dead = `.tmp-${base}-${deadPid()}-${Date.now()}`;
      const old = `.tmp-${base}-${process.ppid}-1000`;
      const live = `.tmp-${base}-${process.ppid}-${Date.now()}`;
      const foreign = ['.tmp-notes.txt', `.tmp-${base}-mine`, 'fer2013-keep.bin'];
      for (const f of [dead, old, live, ...foreign]) fs.writeFileSync(path.join(cacheDir, f), 'x');
      await loadFer2013({ csv, cacheDir });
      assert.deepEqual(fs.readdirSync(cacheDir).sort(), [live, base, ...foreign].sort());
    });

    it("a model folder's: a half-written temp folder goes; a .old one comes back when the folder is gone", async () => {
      const parent = path.join(tmp, 'killed');
      fs.mkdirSync(parent);
      const pid = deadPid();
      const half = path.join(parent, `.tmp-m-${pid}-${Date.now()}`);
      const old = path.join(parent, `.tmp-m-${pid}-${Date.now()}.old`);
      fs.mkdirSync(half);
      fs.cpSync(other, old, { recursive: true });
      // The next `fer train --out killed/m` (stopped here by the missing CSV) tidies up first.
      await refused(
        trainCommand,
        [
          '--model',
          'cnn',
          '--out',
          path.join(parent, 'm'),
          '--overwrite',
          '--backend',
          'cpu',
          '--csv',
          missingCsv(),
        ],
        /no such file/,
      );
      assert.deepEqual(fs.readdirSync(parent), ['m']); // locks released too
      assert.ok(fs.existsSync(path.join(parent, 'm', 'model.json')));
      assert.deepEqual(cleanStaleTemps(path.join(parent, 'm')), []);
    });
  });

  describe('fer serve: streamed files, Host check, no absolute paths', () => {
    let srv: RunningServer;
    let models: string;
    before(async () => {
      models = path.join(tmp, 'served');
      const ms = await saveTinyModels(models, ds.sha256);
      Object.values(ms).forEach((m) => m.dispose());
      const metaFile = path.join(models, 'cnn', 'meta.json');
      const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
      meta.config = {
        ...meta.config,
        out: '/home/trainer/secret/runs/cnn',
        csv: '/home/trainer/fer2013.csv',
      };
      fs.writeFileSync(metaFile, JSON.stringify(meta));
      srv = await startServer({ port: 0, modelsDir: models, ds, perClass: 1 });
    });
    after(async () => srv?.close());

    const get = (p: string, host?: string): Promise<{ status: number; body: string }> => {
      const u = new URL(srv.url);
      return new Promise((resolve, reject) => {
        const req = http.request(
          { host: u.hostname, port: u.port, path: p, headers: host === undefined ? {} : { host } },
          (res) => {
            let body = '';
            res.setEncoding('latin1');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    };

    it('answers only its own Host names (DNS rebinding)', async () => {
      const port = new URL(srv.url).port;
      for (const h of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`])
        assert.equal((await get('/api/paper.json', h)).status, 200, h);
      for (const h of [
        `evil.example:${port}`,
        'localhost',
        `localhost:${Number(port) + 1}`,
        `127.0.0.1.evil.example:${port}`,
      ])
        assert.equal((await get('/api/paper.json', h)).status, 421, h);
      // No Host at all (HTTP/1.0 allows it): refused too.
      const raw = await new Promise<string>((resolve, reject) => {
        const sock: net.Socket = net.connect(Number(port), '127.0.0.1', () =>
          sock.end('GET /api/paper.json HTTP/1.0\r\n\r\n'),
        );
        let got = '';
        sock.on('data', (d: Buffer) => (got += d.toString()));
        sock.on('end', () => resolve(got));
        sock.on('error', reject);
      });
      assert.match(raw, /^HTTP\/1\.[01] 421/);
    });

    it("bound to every interface, it also answers to this machine's own names, never others", () => {
      const local = hostNames('127.0.0.1', '127.0.0.1');
      assert.deepEqual(local, ['localhost', '127.0.0.1', '[::1]']);
      const all = hostNames('0.0.0.0', '0.0.0.0');
      assert.ok(all.includes(os.hostname()));
      assert.ok(!all.some((h) => /evil|example/.test(h)));
      assert.ok(hostNames('::1', '::1').includes('[::1]'));
    });

    it('serves no absolute path in meta.json or /api/models.json', async () => {
      for (const p of ['/models/cnn/meta.json', '/api/models.json']) {
        const r = await get(p);
        assert.equal(r.status, 200);
        assert.doesNotMatch(r.body, /\/home\/trainer|fer-hostile-/, p);
        const strings: string[] = [];
        JSON.parse(r.body, (_k, v: unknown) => (typeof v === 'string' && strings.push(v), v));
        assert.deepEqual(
          strings.filter((s) => path.isAbsolute(s) && !s.startsWith('/models/')),
          [],
          p,
        );
      }
      const meta = JSON.parse((await get('/models/cnn/meta.json')).body);
      assert.equal(meta.config.csv, 'fer2013.csv');
    });

    it('streams weight files: 24 stalled clients of a 16 MB file do not hold 24 copies', async () => {
      const wb = path.join(models, 'cnn', 'weights.bin');
      const original = fs.readFileSync(wb);
      fs.writeFileSync(wb, Buffer.alloc(16 << 20, 7));
      const u = new URL(srv.url);
      const reqs: http.ClientRequest[] = [];
      try {
        global.gc?.();
        const before = process.memoryUsage().arrayBuffers;
        const started = await Promise.all(
          Array.from(
            { length: 24 },
            () =>
              new Promise<number>((resolve, reject) => {
                const req = http.get(
                  { host: u.hostname, port: u.port, path: '/models/cnn/weights.bin' },
                  (res) => {
                    res.pause(); // a slow client: reads nothing
                    resolve(Number(res.headers['content-length']));
                  },
                );
                req.on('error', reject);
                reqs.push(req);
              }),
          ),
        );
        assert.ok(started.every((n) => n === 16 << 20));
        await new Promise((r) => setTimeout(r, 300));
        const grown = process.memoryUsage().arrayBuffers - before;
        // Buffered whole, 24 x 16 MB = 384 MB; streamed, a few socket buffers each.
        assert.ok(grown < 96 << 20, `arrayBuffers grew by ${(grown / 2 ** 20).toFixed(0)} MB`);
      } finally {
        reqs.forEach((r) => r.destroy());
        fs.writeFileSync(wb, original);
      }
      // A complete download still arrives whole.
      const r = await get('/models/cnn/weights.bin');
      assert.equal(r.body.length, original.length);
    });

    it('a weights file replaced by a FIFO is not served (no hang)', async () => {
      const wb = path.join(models, 'cnn-lstm', 'weights.bin');
      const keep = fs.readFileSync(wb);
      fs.rmSync(wb);
      if (spawnSync('mkfifo', [wb]).status !== 0) return fs.writeFileSync(wb, keep);
      try {
        assert.equal((await get('/models/cnn-lstm/weights.bin')).status, 404);
      } finally {
        fs.rmSync(wb);
        fs.writeFileSync(wb, keep);
      }
    });
  });

  it('checkOutputDir / checkOutputFile accept new, empty and same-kind paths', () => {
    const d = path.join(tmp, 'ok');
    assert.equal(checkOutputDir(path.join(d, 'a', 'b'), 'model'), 'new');
    fs.mkdirSync(path.join(d, 'empty'), { recursive: true });
    assert.equal(checkOutputDir(path.join(d, 'empty'), 'checkpoint'), 'empty');
    assert.equal(checkOutputDir(other, 'model'), 'same-kind');
    assert.throws(() => checkOutputDir(other, 'checkpoint'), /is not a training checkpoint/);
    const f = path.join(d, 'r.json');
    assert.equal(checkOutputFile(f, 'fer-eval/1'), 'new');
    fs.writeFileSync(f, JSON.stringify({ schema: 'fer-eval/1' }));
    assert.equal(checkOutputFile(f, 'fer-eval/1'), 'same-kind');
    assert.throws(() => checkOutputFile(f, 'fer-compare/1'), /holds a fer-eval\/1 result/);
    assert.throws(() => checkOutputDir('', 'model'), /is empty/);
  });
});
