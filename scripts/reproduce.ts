/**
 * `npm run reproduce -- [--profile quick|paper | --config NAME|FILE] [--out DIR] [--only 01,04]
 *                       [--backend NAME] [--csv FILE] [--retrain] [--timeout SECONDS]
 *                       [--list] [--prepare]`
 *
 * Executes notebooks/NN-*.ipynb in order with the tslab kernel (nbclient, via
 * tools/notebooks/run-notebook.py under Debian's /usr/bin/python3), papermill-style: the inputs stay
 * untouched, and the executed notebooks, results, figures and report go to the run's own folder,
 * `--out` (default runs/<config>, git-ignored). `npm run publish` copies a finished run over the
 * committed study. Parameters reach the notebooks as environment variables read by lib/env.ts.
 * A partial run (`--only`) into a run folder that has no results yet starts from a copy of the
 * committed results/, so that e.g. `--only 09` rebuilds the report of the committed study.
 * The first failing cell stops the run with the notebook and cell named, and a non-zero exit.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, flagNumber, flagString } from '../lib/cli/registry';
import { REPO_ROOT, portablePath, readConfig, readStudyEnv } from '../lib/env';
import { prepareNotebookBridge } from '../tools/notebooks/bridge';
import { tempPath, writeJsonAtomic } from '../lib/util/atomic';
import { FerError } from '../lib/util/errors';

const PYTHON = '/usr/bin/python3';
const NOTEBOOKS = path.join(REPO_ROOT, 'notebooks');

export interface NotebookTiming {
  notebook: string;
  seconds: number;
  ok: boolean;
}

/** The times file of an earlier run with the same profile and backend, else null. */
export function readTimes(
  file: string,
  profile: string,
  backend: string,
): { startedAt: string; notebooks: NotebookTiming[] } | null {
  try {
    const t = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      profile?: string;
      backend?: string;
      startedAt?: string;
      notebooks?: NotebookTiming[];
    };
    if (
      t.profile !== profile ||
      t.backend !== backend ||
      !t.startedAt ||
      !Array.isArray(t.notebooks)
    )
      return null;
    return { startedAt: t.startedAt, notebooks: t.notebooks };
  } catch {
    return null;
  }
}

/**
 * The times file's notebook list after a run: this run's entries, plus the earlier entries of
 * notebooks that this run did not execute and that still exist (a renamed or removed notebook's
 * old time would otherwise stay in the report forever).
 */
export function mergeTimes(
  previous: NotebookTiming[],
  current: NotebookTiming[],
  existing: string[],
): NotebookTiming[] {
  const kept = previous.filter(
    (p) => existing.includes(p.notebook) && !current.some((c) => c.notebook === p.notebook),
  );
  return [...kept, ...current].sort((a, b) => a.notebook.localeCompare(b.notebook));
}

/** notebooks/NN-*.ipynb in order, optionally only those whose NN prefix is listed. */
export function listNotebooks(dir: string, only?: string[]): string[] {
  const all = fs
    .readdirSync(dir)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
    .sort();
  if (!only) return all;
  const picked = all.filter((f) => only.includes(f.slice(0, 2)));
  const unknown = only.filter((p) => !all.some((f) => f.startsWith(p)));
  if (unknown.length) throw new FerError(`--only: no notebook numbered ${unknown.join(', ')}`);
  return picked;
}

/** Fails with the exact fix when Jupyter or the tslab kernel is missing. */
export function checkJupyter(): void {
  const r = spawnSync(
    PYTHON,
    [
      '-c',
      'import nbclient, jupyter_client.kernelspec as k; k.KernelSpecManager().get_kernel_spec("tslab")',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0)
    throw new FerError(
      `Jupyter (nbclient) or the tslab kernel is missing under ${PYTHON}; run 'npm run setup' as root`,
    );
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // The kernelspec starts `tslab` from PATH; use this checkout's copy.
    PATH: `${path.join(REPO_ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    // Silences debugpy's frozen-module warning that Debian's python prints on kernel start.
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
    ...extra,
  };
}

/**
 * Execute `input` into `output` with tools/notebooks/run-notebook.py (kernel cwd = input's folder).
 * Exit status 0 = every cell ran, 1 = a cell failed (named on stderr), 2 = could not start.
 * With `capture`, stderr is returned instead of shown.
 */
export function runNotebook(
  input: string,
  output: string,
  opts: { env?: Record<string, string>; timeoutSec?: number; capture?: boolean } = {},
): { status: number | null; signal: NodeJS.Signals | null; stderr: string } {
  const r = spawnSync(
    PYTHON,
    [
      path.join(REPO_ROOT, 'tools', 'notebooks', 'run-notebook.py'),
      input,
      output,
      '--timeout',
      String(opts.timeoutSec ?? 1200),
    ],
    {
      stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: childEnv(opts.env ?? {}),
      encoding: 'utf8',
    },
  );
  if (r.error) throw new FerError(`cannot run ${PYTHON}: ${r.error.message}`);
  return { status: r.status, signal: r.signal, stderr: r.stderr ?? '' };
}

/** Why the runner did not finish, in words (exit status 1, a failing cell, is handled apart). */
export function runnerFailure(status: number | null, signal: NodeJS.Signals | null): string {
  if (signal)
    return `the runner was killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory, or an outer timeout)' : ''}`;
  if (status === 2)
    return 'the notebook could not be read or the kernel could not start (see above)';
  return `the runner exited with status ${String(status)} (see above)`;
}

/**
 * Execute `file` into `output` (temp file + rename; the kernel runs in `file`'s folder).
 * Returns false on a failing cell.
 */
export function executeNotebook(
  file: string,
  output: string,
  opts: { env: Record<string, string>; timeoutSec: number },
): boolean {
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const tmp = tempPath(output) + '.ipynb';
  const { status, signal } = runNotebook(file, tmp, opts);
  if (status === 0 && fs.existsSync(tmp)) {
    fs.renameSync(tmp, output);
    return true;
  }
  fs.rmSync(tmp, { force: true });
  if (status !== 1)
    throw new FerError(`could not execute ${file}: ${runnerFailure(status, signal)}`);
  return false;
}

/** Copies the committed results/ into an empty run folder (a partial run builds on them). */
export function seedResults(from: string, to: string): number {
  if (!fs.existsSync(from)) return 0;
  let n = 0;
  for (const e of fs.readdirSync(from, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const src = path.join(e.parentPath, e.name);
    const rel = path.relative(from, src);
    if (rel.split(path.sep).some((p) => p.startsWith('.'))) continue; // caches, temp files
    fs.mkdirSync(path.dirname(path.join(to, rel)), { recursive: true });
    fs.copyFileSync(src, path.join(to, rel));
    n++;
  }
  return n;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: ['profile', 'config', 'out', 'backend', 'only', 'csv', 'timeout'],
    booleans: ['retrain', 'list', 'prepare'],
  });
  const config = readConfig({
    FER_PROFILE: flagString(args, 'profile') ?? process.env.FER_PROFILE,
    FER_CONFIG:
      flagString(args, 'config') ??
      (flagString(args, 'profile') ? undefined : process.env.FER_CONFIG),
  });
  const only = flagString(args, 'only')
    ?.split(',')
    .map((s) => s.trim().padStart(2, '0'))
    .filter(Boolean);
  const notebooks = listNotebooks(NOTEBOOKS, only);
  if (args.flags.has('list')) {
    for (const n of notebooks) console.log(n);
    return 0;
  }
  const bridge = await prepareNotebookBridge(REPO_ROOT, {
    log: (s) => console.log(`reproduce: ${s}`),
  });
  if (!bridge.rebuilt)
    console.log(`reproduce: bridge: notebooks/.lib is up to date (${bridge.modules} lib modules)`);
  // Type errors elsewhere in lib/ (another module's work in progress) do not stop the notebooks.
  if (bridge.diagnostics.length) console.log(`reproduce:   first: ${bridge.diagnostics[0]}`);
  if (args.flags.has('prepare')) return 0;
  checkJupyter();

  const runDir = path.resolve(flagString(args, 'out') ?? path.join(REPO_ROOT, 'runs', config.name));
  const inRepo = path.relative(REPO_ROOT, runDir);
  if (!inRepo.startsWith('..') && !inRepo.startsWith('runs') && inRepo !== 'runs')
    throw new FerError(`--out must be outside the checkout or under runs/, got ${runDir}`);
  const csv = flagString(args, 'csv') ?? process.env.FER2013_CSV;
  const env: Record<string, string> = {
    FER_CONFIG: config.file,
    FER_RUN_DIR: runDir,
    FER_BACKEND: flagString(args, 'backend') ?? process.env.FER_BACKEND ?? 'auto',
    FER_RETRAIN: args.flags.has('retrain') ? '1' : (process.env.FER_RETRAIN ?? '0'),
  };
  if (csv) env.FER2013_CSV = path.resolve(csv);
  else console.log('reproduce: FER2013_CSV is unset; notebooks that need the data will fail');
  // A cell may train a model: generous at paper scale, CI-sized in the quick one.
  const timeoutSec = flagNumber(args, 'timeout') ?? (config.profile === 'paper' ? 48 * 3600 : 1200);

  const resultsDir = readStudyEnv(env).resultsDir;
  if (only && !fs.existsSync(resultsDir)) {
    const n = seedResults(path.join(REPO_ROOT, 'results'), resultsDir);
    console.log(
      `reproduce: a partial run: started ${portablePath(resultsDir)} from the committed results/ (${n} files)`,
    );
  }
  console.log(
    `reproduce: config ${config.name} (${config.profile} scale), backend ${env.FER_BACKEND}, ${notebooks.length} notebooks -> ${portablePath(runDir)}`,
  );
  const timesFile = path.join(resultsDir, 'notebook-times.json');
  // A partial run (--only) of the same config and backend updates its notebooks' entries and
  // keeps the others', so that the report still lists every notebook's time.
  const previous = only ? readTimes(timesFile, config.name, env.FER_BACKEND) : null;
  const times: NotebookTiming[] = [];
  const startedAt = previous?.startedAt ?? new Date().toISOString();
  const existing = listNotebooks(NOTEBOOKS);
  const t0 = Date.now();
  for (const nb of notebooks) {
    console.log(`reproduce: ${nb} ...`);
    const t = Date.now();
    const ok = executeNotebook(path.join(NOTEBOOKS, nb), path.join(runDir, 'notebooks', nb), {
      env,
      timeoutSec,
    });
    const seconds = (Date.now() - t) / 1000;
    times.push({ notebook: nb, seconds, ok });
    // Written after every notebook so that 09 can report the wall times of those before it.
    writeJsonAtomic(timesFile, {
      profile: config.name,
      backend: env.FER_BACKEND,
      startedAt,
      notebooks: mergeTimes(previous?.notebooks ?? [], times, existing),
    });
    if (!ok) {
      console.error(`reproduce: FAILED in notebooks/${nb} after ${seconds.toFixed(1)} s`);
      return 1;
    }
    console.log(`reproduce: ${nb} done in ${seconds.toFixed(1)} s`);
  }
  console.log(
    `reproduce: all ${notebooks.length} notebooks done in ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
      `outputs in ${portablePath(runDir)} (publish them with: npm run publish -- --from ${portablePath(runDir)})`,
  );
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof FerError) {
        console.error(`reproduce: ${e.format()}`);
        process.exit(1);
      }
      console.error(e);
      process.exit(2);
    },
  );
}
