/**
 * What a run of the study reads from the environment: which config, which backend, and paths.
 * Everything else (training settings, evaluation budget, the list of trainings) is in the
 * config file (lib/config). `npm run reproduce` sets these for every notebook it executes.
 *
 *   FER_CONFIG    a config name (configs/<name>.ts) or a path to one (default: FER_PROFILE)
 *   FER_PROFILE   quick | paper: the built-in configs (default quick)
 *   FER_BACKEND   a tfjs backend name for lib/backend's setupBackend (default auto)
 *   FER2013_CSV   path of fer2013.csv(.gz) (no default: the data is never in the repo)
 *   FER_RETRAIN   1 = train even when a saved model exists (default 0: load it)
 *   FER_RUN_DIR   where the run writes results/, figures/ and paper/ (default runs/<config>);
 *                 `npm run publish` copies a finished run over the committed study
 *   FER_RESULTS_DIR  the results folder alone (default <run dir>/results; tests use a temp dir)
 *   FER_MODELS    a folder holding saved `cnn/` and `cnn-lstm/` models to use instead of the
 *                 config's own (e.g. the committed CI fixtures in models/quick)
 */
import * as path from 'node:path';
import { loadConfig, PROFILE_NAMES, type ProfileName, type StudyConfig } from './config';
import { FerError } from './util/errors';

export { PROFILE_NAMES, type ProfileName } from './config';

/** The repository root: lib/env.ts lives one level below it. */
export const REPO_ROOT = path.resolve(__dirname, '..');

export interface StudyEnv {
  config: StudyConfig;
  /** The config's scale. */
  profile: ProfileName;
  /** Backend name as given; validated by lib/backend, not here, so new backends need no edit. */
  backend: string;
  /** Absolute path of the CSV, or null when FER2013_CSV is unset. */
  csv: string | null;
  retrain: boolean;
  /** Absolute path of this run's output folder. */
  runDir: string;
  /** Absolute path of the results folder. */
  resultsDir: string;
  /** Where figures are exported (<run dir>/figures). */
  figuresDir: string;
  /** Where the reproduction report is written (<run dir>/paper). */
  reportDir: string;
  /** Absolute path of a folder with `cnn/` and `cnn-lstm/`, or null for the config's own. */
  modelsDir: string | null;
}

type Env = Record<string, string | undefined>;

export function readProfile(env: Env = process.env): ProfileName {
  const v = (env.FER_PROFILE ?? 'quick').trim() || 'quick';
  if (!(PROFILE_NAMES as readonly string[]).includes(v))
    throw new FerError(`FER_PROFILE must be one of ${PROFILE_NAMES.join(', ')}, got '${v}'`);
  return v as ProfileName;
}

/** The config FER_CONFIG names, else the built-in one FER_PROFILE names. */
export function readConfig(env: Env = process.env): StudyConfig {
  const name = env.FER_CONFIG?.trim();
  return loadConfig(name || readProfile(env));
}

/** Accepts 1/0, true/false, yes/no (any case); anything else is an error, not a silent false. */
export function readFlag(name: string, env: Env = process.env): boolean {
  const v = (env[name] ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'false' || v === 'no') return false;
  if (v === '1' || v === 'true' || v === 'yes') return true;
  throw new FerError(`${name} must be 1 or 0, got '${env[name]}'`);
}

export function readStudyEnv(env: Env = process.env): StudyEnv {
  const csv = env.FER2013_CSV?.trim();
  const models = env.FER_MODELS?.trim();
  const config = readConfig(env);
  const runDir = path.resolve(env.FER_RUN_DIR?.trim() || path.join(REPO_ROOT, 'runs', config.name));
  return {
    config,
    profile: config.profile,
    backend: env.FER_BACKEND?.trim() || 'auto',
    csv: csv ? path.resolve(csv) : null,
    retrain: readFlag('FER_RETRAIN', env),
    runDir,
    resultsDir: path.resolve(env.FER_RESULTS_DIR?.trim() || path.join(runDir, 'results')),
    figuresDir: path.join(runDir, 'figures'),
    reportDir: path.join(runDir, 'paper'),
    modelsDir: models ? path.resolve(models) : null,
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
