/**
 * Study parameters read from environment variables. `npm run reproduce` sets them for every
 * notebook it executes, so the notebooks take no arguments and still run the profile asked for.
 *
 *   FER_PROFILE   quick | paper   (default quick: small, CI-sized)
 *   FER_BACKEND   a tfjs backend name for lib/backend's setupBackend (default auto)
 *   FER_WASM_THREADS  XNNPACK threads on wasm, 1-8 or auto (default: the cores; read by
 *                 lib/backend/wasm-threads.ts; give 1 to each of several runs sharing the cores)
 *   FER2013_CSV   path of fer2013.csv(.gz) (no default: the data is never in the repo)
 *   FER_RETRAIN   1 = train even when a saved model exists (default 0: load it)
 *   FER_RESULTS_DIR  where notebooks write result JSON (default <repo>/results; tests use a temp dir)
 *   FER_MODELS    a folder holding saved `cnn/` and `cnn-lstm/` models to use instead of the
 *                 profile's own (e.g. the committed CI fixtures in models/quick)
 *   FER_EVAL_LIMIT   test images to evaluate (0 = the whole test set; default by profile)
 *   FER_NOISE_SEEDS  noise seeds per noise level (default by profile)
 */
import * as path from 'node:path';
import { FerError } from './util/errors';

/** The repository root: lib/env.ts lives one level below it. */
export const REPO_ROOT = path.resolve(__dirname, '..');

export const PROFILE_NAMES = ['quick', 'paper'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface StudyEnv {
  profile: ProfileName;
  /** Backend name as given; validated by lib/backend, not here, so new backends need no edit. */
  backend: string;
  /** Absolute path of the CSV, or null when FER2013_CSV is unset. */
  csv: string | null;
  retrain: boolean;
  /** Absolute path of the results folder. */
  resultsDir: string;
  /** Absolute path of a folder with `cnn/` and `cnn-lstm/`, or null for the profile's own. */
  modelsDir: string | null;
  /** FER_EVAL_LIMIT as given (0 = all test images), or null for the profile's default. */
  evalLimit: number | null;
  /** FER_NOISE_SEEDS as given, or null for the profile's default. */
  noiseSeeds: number | null;
}

type Env = Record<string, string | undefined>;

export function readProfile(env: Env = process.env): ProfileName {
  const v = (env.FER_PROFILE ?? 'quick').trim() || 'quick';
  if (!(PROFILE_NAMES as readonly string[]).includes(v))
    throw new FerError(`FER_PROFILE must be one of ${PROFILE_NAMES.join(', ')}, got '${v}'`);
  return v as ProfileName;
}

/** Accepts 1/0, true/false, yes/no (any case); anything else is an error, not a silent false. */
export function readFlag(name: string, env: Env = process.env): boolean {
  const v = (env[name] ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'false' || v === 'no') return false;
  if (v === '1' || v === 'true' || v === 'yes') return true;
  throw new FerError(`${name} must be 1 or 0, got '${env[name]}'`);
}

/** A non-negative integer (or >= `min`), null when unset; anything else is an error. */
export function readCount(name: string, env: Env = process.env, min = 0): number | null {
  const v = (env[name] ?? '').trim();
  if (v === '') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new FerError(`${name} must be an integer >= ${min}, got '${env[name]}'`);
  return n;
}

export function readStudyEnv(env: Env = process.env): StudyEnv {
  const csv = env.FER2013_CSV?.trim();
  const models = env.FER_MODELS?.trim();
  return {
    profile: readProfile(env),
    backend: env.FER_BACKEND?.trim() || 'auto',
    csv: csv ? path.resolve(csv) : null,
    retrain: readFlag('FER_RETRAIN', env),
    resultsDir: path.resolve(env.FER_RESULTS_DIR?.trim() || path.join(REPO_ROOT, 'results')),
    modelsDir: models ? path.resolve(models) : null,
    evalLimit: readCount('FER_EVAL_LIMIT', env),
    noiseSeeds: readCount('FER_NOISE_SEEDS', env, 1),
  };
}

/**
 * How result files record a path: relative to the repository when it lies inside it, so that
 * committed results do not carry the absolute paths of the machine that wrote them; else as given.
 */
export function portablePath(p: string, root = REPO_ROOT): string {
  const rel = path.relative(root, path.resolve(p));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
    ? rel.split(path.sep).join('/')
    : p;
}

/** A path inside the repository, independent of the notebook's working directory. */
export function repoPath(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts);
}
