/**
 * Where and with what a run happened: git commit, package versions, hardware. Shown by
 * notebooks/00-environment and written into the reproduction report.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../env';

export interface Provenance {
  gitCommit: string | null;
  /** True when tracked files differ from the commit (the report then says so). */
  gitDirty: boolean | null;
  createdAt: string;
  node: string;
  platform: string;
  cpu: { model: string; cores: number };
  memoryGiB: number;
  /** `nvidia-smi` GPU names, empty when there is none (or no driver). */
  gpus: string[];
  /** Versions of the packages the study depends on, as installed. */
  packages: Record<string, string | null>;
  tools: { chromium: string | null; nbconvert: string | null };
}

function run(cmd: string, args: string[], cwd = REPO_ROOT): string | null {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 20000,
    }).trim();
  } catch {
    return null;
  }
}

/** The installed version of `pkg` (from its package.json), or null. */
export function packageVersion(pkg: string): string | null {
  try {
    const file = path.join(REPO_ROOT, 'node_modules', ...pkg.split('/'), 'package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

export const STUDY_PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-node-gpu',
  'danfojs-node',
  'plotly.js-dist',
  'playwright-core',
  'tslab',
  'tsx',
  'typescript',
];

export function gitCommit(): string | null {
  return run('git', ['rev-parse', 'HEAD']);
}

export function collectProvenance(): Provenance {
  // Outputs that a reproduce run itself rewrites do not make the code "uncommitted".
  const status = run('git', [
    'status',
    '--porcelain',
    '--untracked-files=no',
    '--',
    '.',
    ':!notebooks/*.ipynb',
    ':!results',
    ':!figures',
    ':!paper',
    ':!models/quick',
  ]);
  const smi = run('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader']);
  const cpus = os.cpus();
  return {
    gitCommit: gitCommit(),
    gitDirty: status === null ? null : status.length > 0,
    createdAt: new Date().toISOString(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: { model: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length },
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    gpus: smi ? smi.split('\n').filter(Boolean) : [],
    packages: Object.fromEntries(STUDY_PACKAGES.map((p) => [p, packageVersion(p)])),
    tools: {
      chromium: run(process.env.FER_CHROMIUM || '/usr/bin/chromium', ['--version']),
      nbconvert: run('/usr/bin/jupyter-nbconvert', ['--version']),
    },
  };
}
