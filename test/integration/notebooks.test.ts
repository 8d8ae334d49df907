import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/env';
import {
  buildNotebook,
  errorOutputs,
  parsePercent,
  serializeNotebook,
  type Ipynb,
} from '../../tools/notebooks/ipynb';
import { prepareNotebookBridge } from '../../tools/notebooks/bridge';
import { makeNotebooks } from '../../tools/notebooks/make-notebooks';
import { runNotebook, runnerFailure } from '../../scripts/reproduce';

const NOTEBOOKS = path.join(REPO_ROOT, 'notebooks');

function jupyterReady(): boolean {
  const r = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      'import nbclient, jupyter_client.kernelspec as k; k.KernelSpecManager().get_kernel_spec("tslab")',
    ],
    { stdio: 'ignore' },
  );
  return r.status === 0;
}

/** Stream outputs to stderr whose text looks like a failure (tslab prints compile errors there). */
function errorStreams(nb: Ipynb): string[] {
  const out: string[] = [];
  for (const c of nb.cells)
    for (const o of (c.outputs ?? []) as {
      output_type?: string;
      name?: string;
      text?: string[];
    }[]) {
      const text = (o.text ?? []).join('');
      if (o.output_type === 'stream' && o.name === 'stderr' && /error|exception|failed/i.test(text))
        out.push(text);
    }
  return out;
}

describe('notebooks: sources', () => {
  it('every committed notebook matches its notebooks/src source', () => {
    const { stale } = makeNotebooks(REPO_ROOT, true);
    assert.deepEqual(stale, [], 'run: npx tsx tools/notebooks/make-notebooks.ts');
  });
});

describe('notebooks: runner failures', () => {
  it('says why the runner stopped when no cell failed', () => {
    assert.match(
      runnerFailure(null, 'SIGKILL'),
      /killed by SIGKILL \(out of memory, or an outer timeout\)/,
    );
    assert.match(runnerFailure(2, null), /kernel could not start/);
    assert.match(runnerFailure(3, null), /exited with status 3/);
  });
});

describe('notebooks: a kernel that does not start', function () {
  this.timeout(120000);
  let tmp: string;
  before(function () {
    const ok = spawnSync('/usr/bin/python3', ['-c', 'import nbclient, ipykernel'], {
      stdio: 'ignore',
    });
    if (ok.status !== 0) this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-kernel-'));
  });
  after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

  it('is started again; the cells then run once; a kernel not installed is not retried', () => {
    // A kernelspec whose first start dies at once (as tslab did in CI when zeromq refused its
    // first kernel_info), then starts Debian's Python kernel.
    const marker = path.join(tmp, 'started');
    fs.mkdirSync(path.join(tmp, 'kernels', 'flaky'), { recursive: true });
    fs.writeFileSync(
      path.join(tmp, 'kernels', 'flaky', 'kernel.json'),
      JSON.stringify({
        argv: [
          '/bin/sh',
          '-c',
          'if [ -e "$0" ]; then exec /usr/bin/python3 -m ipykernel_launcher -f "$1"; fi; touch "$0"; exit 3',
          marker,
          '{connection_file}',
        ],
        display_name: 'flaky',
        language: 'python',
      }),
    );
    const nb = path.join(tmp, 'n.ipynb');
    fs.writeFileSync(
      nb,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          {
            cell_type: 'code',
            id: 'a',
            metadata: {},
            execution_count: null,
            outputs: [],
            source: 'print(6 * 7)',
          },
        ],
      }),
    );
    const run = (kernel: string, out: string) =>
      spawnSync(
        '/usr/bin/python3',
        [
          path.join(REPO_ROOT, 'tools', 'notebooks', 'run-notebook.py'),
          nb,
          out,
          '--kernel',
          kernel,
        ],
        { encoding: 'utf8', env: { ...process.env, JUPYTER_PATH: tmp } },
      );
    const r = run('flaky', path.join(tmp, 'out.ipynb'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      /could not start kernel 'flaky'[\s\S]*starting the kernel again \(try 2 of 3\)/,
    );
    const done = JSON.parse(fs.readFileSync(path.join(tmp, 'out.ipynb'), 'utf8')) as Ipynb;
    assert.deepEqual(
      (done.cells[0].outputs as { text?: string[] }[]).map((o) => (o.text ?? []).join('')),
      ['42\n'],
    );
    const missing = run('no-such-kernel', path.join(tmp, 'out2.ipynb'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /No such kernel named no-such-kernel/);
    assert.doesNotMatch(missing.stderr, /starting the kernel again/);
  });
});

describe('notebooks: execution with the tslab kernel', function () {
  this.timeout(600000);
  const tmpFiles: string[] = [];
  let outDir = '';

  before(async function () {
    if (!jupyterReady()) this.skip(); // needs `npm run setup`
    await prepareNotebookBridge(REPO_ROOT);
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-nb-'));
  });
  after(() => {
    for (const f of tmpFiles) fs.rmSync(f, { force: true });
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  /** A throwaway notebook inside notebooks/ (so ./.lib resolves), git-ignored by its name. */
  function tempNotebook(tag: string, source: string): string {
    const file = path.join(NOTEBOOKS, `.tmp-test-${tag}-${process.pid}.ipynb`);
    fs.writeFileSync(file, serializeNotebook(buildNotebook(tag, parsePercent(source))));
    tmpFiles.push(file);
    return file;
  }

  it('imports lib/ through the bridge and stops at a failing cell, naming it', () => {
    const nb = tempNotebook(
      'throw',
      [
        '// %%',
        "import { EMOTIONS } from './.lib/data/classes';",
        'console.log(EMOTIONS.length);',
        '// %% [markdown]',
        '// prose',
        '// %%',
        "throw new Error('boom-4711');",
        '// %%',
        "console.log('never');",
      ].join('\n'),
    );
    const out = path.join(outDir, 'throw.ipynb');
    const r = runNotebook(nb, out, { capture: true, timeoutSec: 120 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /cell 3 \(code cell 2, 'throw new Error\('boom-4711'\);'\) failed/);
    assert.match(r.stderr, /boom-4711/);
    assert.ok(!fs.existsSync(out), 'no output notebook on failure');
    const partial = JSON.parse(fs.readFileSync(`${out}.failed.ipynb`, 'utf8')) as Ipynb;
    assert.deepEqual((partial.cells[0].outputs as { text: string[] }[])[0].text, ['7\n']);
    assert.deepEqual(partial.cells[3].outputs, [], 'cells after the failure did not run');
  });

  it('reports a TypeScript type error as a failing cell', () => {
    const nb = tempNotebook('types', ['// %%', "const n: number = 'not a number';"].join('\n'));
    const r = runNotebook(nb, path.join(outDir, 'types.ipynb'), { capture: true, timeoutSec: 120 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /cell 1 .* failed/);
    assert.match(r.stderr, /not assignable to type 'number'/);
  });

  it('01-data runs on the real FER2013 file without any error output', function () {
    if (!process.env.FER2013_CSV) this.skip();
    const out = path.join(outDir, '01-data.ipynb');
    const r = runNotebook(path.join(NOTEBOOKS, '01-data.ipynb'), out, {
      capture: true,
      timeoutSec: 300,
      // Results go to the temp dir, so the test never rewrites the committed results/.
      env: {
        FER_PROFILE: 'quick',
        FER2013_CSV: path.resolve(process.env.FER2013_CSV),
        FER_RESULTS_DIR: outDir,
      },
    });
    assert.equal(r.status, 0, r.stderr);
    const nb = JSON.parse(fs.readFileSync(out, 'utf8')) as Ipynb;
    assert.deepEqual(errorOutputs(nb), []);
    assert.deepEqual(errorStreams(nb), []);
    const mimes = nb.cells.flatMap((c) =>
      ((c.outputs ?? []) as { data?: Record<string, unknown> }[]).flatMap((o) =>
        Object.keys(o.data ?? {}),
      ),
    );
    assert.ok(
      mimes.filter((m) => m === 'image/png').length >= 3,
      'balance chart, faces, noise grid',
    );
    assert.ok(mimes.filter((m) => m === 'text/html').length >= 5, 'tables');
    assert.ok(fs.statSync(out).size < 5e6, 'notebook stays under 5 MB');
    const audit = JSON.parse(fs.readFileSync(path.join(outDir, 'data-audit.json'), 'utf8')) as {
      rows: number;
    };
    assert.equal(audit.rows, 35887);
  });
  it('04-table1-2 and 05-table3-4-noise evaluate the committed quick models without any error output', function () {
    if (!process.env.FER2013_CSV) this.skip();
    // The quick config on a CI-sized budget: a config file of its own, as a user would write.
    const config = path.join(outDir, 'ci-small.ts');
    fs.writeFileSync(
      config,
      `import quick from ${JSON.stringify(path.join(REPO_ROOT, 'configs', 'quick'))};\n` +
        'export default { ...quick, eval: { ...quick.eval, limit: 350, noiseSeeds: 1 } };\n',
    );
    const env = {
      FER_CONFIG: config,
      FER2013_CSV: path.resolve(process.env.FER2013_CSV),
      FER_RESULTS_DIR: outDir,
      // The small models committed as fixtures (width 0.25).
      FER_MODELS: path.join(REPO_ROOT, 'models', 'quick'),
      FER_BACKEND: 'wasm',
    };
    for (const name of ['04-table1-2', '05-table3-4-noise']) {
      const out = path.join(outDir, `${name}.ipynb`);
      const r = runNotebook(path.join(NOTEBOOKS, `${name}.ipynb`), out, {
        capture: true,
        timeoutSec: 400,
        env,
      });
      assert.equal(r.status, 0, r.stderr);
      const nb = JSON.parse(fs.readFileSync(out, 'utf8')) as Ipynb;
      assert.deepEqual(errorOutputs(nb), [], name);
      assert.deepEqual(errorStreams(nb), [], name);
      const pngs = nb.cells.flatMap((c) =>
        ((c.outputs ?? []) as { data?: Record<string, unknown> }[]).filter(
          (o) => o.data?.['image/png'],
        ),
      );
      assert.ok(pngs.length >= 2, `${name}: figures shown`);
    }
    for (const m of ['cnn', 'cnn-lstm']) {
      const e = JSON.parse(fs.readFileSync(path.join(outDir, m, 'eval.json'), 'utf8')) as {
        data: { nTest: number };
        table34: { levels: { seeds: number[] }[] };
      };
      assert.equal(e.data.nTest, 350);
      assert.equal(e.table34.levels.length, 11);
    }
    assert.ok(fs.existsSync(path.join(outDir, 'compare-cnn-cnn-lstm.json')));
  });
});
