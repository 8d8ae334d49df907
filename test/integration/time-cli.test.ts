/**
 * `fer time` end to end on the small models (models/quick/*), writing only into a temp folder,
 * plus the report's use of its result (claim 2b, Table 2).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/env';
import type { PairedTimingResult } from '../../lib/eval/paired-timing';
import { torchPaired, torchUnavailable } from '../../lib/eval/paired-timing-run';
import type { EvalResult } from '../../lib/eval/types';
import { renderMarkdown } from '../../lib/report/blocks';
import { claimVerdicts } from '../../lib/report/claims';
import { byModel } from '../../lib/report/paper-figures';
import { pairedTimingBlocks } from '../../lib/report/timing-report';

const QUICK = 'models/quick/cnn,models/quick/cnn-lstm';

function fer(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli/index.ts', 'time', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, FER_DEBUG: '', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('fer time', function () {
  this.timeout(600_000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-time-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('refuses bad options with one line before any work', () => {
    const cases: [string[], RegExp][] = [
      [['--models', 'models/quick/cnn'], /--models needs two model folders/],
      [['--models', 'models/cnn,models/cnn/'], /same folder twice/],
      [['--rounds', '5'], /--rounds must be >= 6/],
      [['--batches', '1,0'], /--batches must be >= 1/],
      [['--batches', '1,32,1'], /--batches names 1 twice/],
      [['--torch', '--no-torch'], /exclude each other/],
      [['--models', 'models/none,models/cnn'], /no such model folder/],
      [['--out', tmp], /is a folder/],
    ];
    for (const [args, re] of cases) {
      const r = fer(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err.trim(), re);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    }
  });

  it('never replaces the default file holding the timing of other models', () => {
    const results = path.join(tmp, 'results');
    fs.mkdirSync(results);
    const other = { schema: 'fer-timing/1', models: [{ dir: 'models/a' }, { dir: 'models/b' }] };
    fs.writeFileSync(path.join(results, 'timing.json'), JSON.stringify(other));
    const r = fer(['--models', QUICK], { FER_RESULTS_DIR: results });
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /holds the timing of models\/a and models\/b; refusing to replace it/);
  });

  let result: PairedTimingResult;
  it('times the quick models interleaved and writes the result', () => {
    const out = path.join(tmp, 'timing.json');
    const r = fer([
      '--models',
      QUICK,
      '--rounds',
      '6',
      '--warmup',
      '1',
      '--batches',
      '1,8',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    result = JSON.parse(fs.readFileSync(out, 'utf8')) as PairedTimingResult;
    assert.deepEqual(JSON.parse(r.out), result);
    assert.equal(result.schema, 'fer-timing/1');
    assert.deepEqual(
      result.models.map((m) => [m.name, m.dir, m.architecture]),
      [
        ['quick-cnn', 'models/quick/cnn', 'cnn'],
        ['quick-cnn-lstm', 'models/quick/cnn-lstm', 'cnn-lstm'],
      ],
    );
    const meta = (d: string) =>
      JSON.parse(fs.readFileSync(path.join(REPO_ROOT, d, 'meta.json'), 'utf8')) as {
        params: number;
        flopsPerImage: number;
      };
    const [ma, mb] = [meta('models/quick/cnn'), meta('models/quick/cnn-lstm')];
    assert.deepEqual(result.tfjs.params, [ma.params, mb.params]);
    assert.equal(result.flopRatio, ma.flopsPerImage / mb.flopsPerImage);
    assert.equal(result.machine.cpuModel, os.cpus()[0].model);
    assert.equal(result.machine.nodeVersion, process.version);
    assert.deepEqual(
      result.tfjs.batches.map((b) => b.batchSize),
      [1, 8],
    );
    for (const b of result.tfjs.batches) {
      assert.equal(b.msPerImage[0].length, 6);
      assert.equal(b.msPerImage[1].length, 6);
      for (const c of [b.a, b.b, b.ratio]) assert.ok(c.lo <= c.estimate && c.estimate <= c.hi);
    }
    if ('unavailable' in result.torch) assert.match(result.torch.unavailable, /torch/);
    else {
      assert.deepEqual(result.torch.params, result.tfjs.params);
      assert.equal(result.torch.batches.length, 2);
    }
    assert.match(r.err, /tfjs \w+, \d+ threads: 6 rounds at batch 1, 8/);
  });

  it('the report judges claim 2b from it and shows it in Table 2', () => {
    const read = (m: string) =>
      JSON.parse(
        fs.readFileSync(path.join(REPO_ROOT, 'results', m, 'eval.json'), 'utf8'),
      ) as EvalResult;
    const r = byModel([read('cnn-quick'), read('cnn-lstm-quick')]);
    const paired = claimVerdicts(r, null, 'weighted', null, null, result).find(
      (c) => c.id === '2b',
    )!;
    assert.match(paired.evidence, /^the hybrid's paired speed-up .* at batch 1, .* at batch 8/);
    const plain = claimVerdicts(r, null, 'weighted').find((c) => c.id === '2b')!;
    assert.doesNotMatch(plain.evidence, /paired/);
    // The timing of other widths is not the reported models' timing.
    const other = { ...result, models: result.models.map((m) => ({ ...m, params: m.params + 1 })) };
    const ignored = claimVerdicts(r, null, 'weighted', null, null, other as PairedTimingResult);
    assert.equal(ignored.find((c) => c.id === '2b')!.evidence, plain.evidence);
    const md = renderMarkdown(pairedTimingBlocks(result));
    assert.match(md, /\*\*Paired timing\*\*/);
    assert.match(md, /speed-up \(CNN \/ hybrid\)/);
  });

  it('PyTorch builds both paper models with lib/models parameter counts', async function () {
    if (await torchUnavailable()) this.skip();
    const paper = (architecture: string, params: number) => ({
      name: architecture,
      dir: `models/${architecture}`,
      architecture,
      widthMultiplier: 1,
      params,
      flopsPerImage: null,
    });
    const t = await torchPaired([paper('cnn', 4_478_727), paper('cnn-lstm', 3_117_319)], 1, {
      rounds: 0,
      warmup: 0,
      batches: [1],
    });
    assert.ok(!('unavailable' in t), JSON.stringify(t));
    assert.deepEqual(t.params, [4_478_727, 3_117_319]);
  });

  it('says why PyTorch is unavailable instead of failing', async () => {
    const m = {
      name: 'x',
      dir: 'x',
      architecture: 'cnn',
      widthMultiplier: 0.25,
      params: 1,
      flopsPerImage: null,
    };
    const t = await torchPaired([m, m], 1, {
      rounds: 6,
      warmup: 0,
      batches: [1],
      python: '/nonexistent/python3',
    });
    assert.match('unavailable' in t ? t.unavailable : '', /cannot import torch/);
    const odd = await torchPaired([m, { ...m, architecture: 'cnn-bilstm' }], 1, {
      rounds: 6,
      warmup: 0,
      batches: [1],
    });
    assert.match(
      'unavailable' in odd ? odd.unavailable : '',
      /no PyTorch version of architecture 'cnn-bilstm'/,
    );
  });
});
