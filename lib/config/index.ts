/**
 * Study configs: one readable file per run in `configs/` (nanoGPT-style), holding everything a
 * run of the study uses: its scale, the training settings, the evaluation budget and the list
 * of trainings (design × seed). Environment variables only choose a config (`FER_CONFIG`, or
 * `FER_PROFILE` for the built-in `quick` and `paper`) and paths.
 *
 *   loadConfig('paper')            configs/paper.ts
 *   loadConfig('configs/my.ts')    any file whose default export is a StudyConfigFile
 *
 * Every result records `configRecord(config)`: the config's name and its full content.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FerError } from '../util/errors';
import { PROFILE_NAMES, type ProfileName } from './vocab';

export { PROFILE_NAMES, type ProfileName } from './vocab';

/** The repository's configs folder. */
export const CONFIG_DIR = path.resolve(__dirname, '..', '..', 'configs');

/** Training settings shared by every training of a config (see lib/train/config.ts). */
export interface TrainSettings {
  /** Maximum epochs (early stopping may end sooner). */
  epochs: number;
  batchSize: number;
  /** Adam's initial learning rate. */
  learningRate: number;
  /** Scales every layer's width (1 = the paper's size). */
  widthMultiplier: number;
  dropout: number;
  /** L2 kernel penalty (0 = off). */
  l2: number;
  /** BatchNorm moving-average momentum. */
  bnMomentum: number;
  /** Seed of weights, shuffling and dropout when a training entry gives none. */
  seed: number;
  /** Split name (lib/data/split.ts). */
  split: string;
  /** Seed of the validation hold-out, shared by every seed of the study. */
  splitSeed: number;
  valFraction: number;
  /** Stratified train / val subset sizes (0 = all rows). */
  limitTrain: number;
  limitVal: number;
  earlyStoppingPatience: number;
  reduceLrPatience: number;
  reduceLrFactor: number;
  minLr: number;
}

/** How much of the test set the study evaluates. */
export interface EvalSettings {
  /** Stratified test subset (seed 0); 0 = every test image. */
  limit: number;
  /** Noise draws per noise level (the spread over them is not replication). */
  noiseSeeds: number;
  /** Bootstrap resamples of every 95 % CI. */
  bootstrapResamples: number;
  /** Interleaved rounds of the paired timing (Table 2, claim 2b; `fer time`); 0 = none. */
  timingRounds: number;
}

/** One training of the study: a model design and a training seed. */
export interface TrainingEntry {
  model: string;
  seed: number;
}

/** What a config file's default export holds. */
export interface StudyConfigFile {
  /** One paragraph: what this run is for. */
  description: string;
  profile: ProfileName;
  train: TrainSettings;
  eval: EvalSettings;
  /** Every training of the study. The first entry of each model is its headline model. */
  trainings: TrainingEntry[];
}

export interface StudyConfig extends StudyConfigFile {
  /** The file's base name (`paper` for configs/paper.ts). */
  name: string;
  file: string;
}

const TRAIN_KEYS: readonly (keyof TrainSettings)[] = [
  'epochs',
  'batchSize',
  'learningRate',
  'widthMultiplier',
  'dropout',
  'l2',
  'bnMomentum',
  'seed',
  'split',
  'splitSeed',
  'valFraction',
  'limitTrain',
  'limitVal',
  'earlyStoppingPatience',
  'reduceLrPatience',
  'reduceLrFactor',
  'minLr',
];
const EVAL_KEYS: readonly (keyof EvalSettings)[] = [
  'limit',
  'noiseSeeds',
  'bootstrapResamples',
  'timingRounds',
];
const TOP_KEYS: readonly (keyof StudyConfigFile)[] = [
  'description',
  'profile',
  'train',
  'eval',
  'trainings',
];

/** configs/<name>.ts for a bare name, else the path as given. */
export function configFile(nameOrPath: string): string {
  const v = nameOrPath.trim();
  if (/^[a-z0-9][a-z0-9._-]*$/i.test(v) && !v.endsWith('.ts'))
    return path.join(CONFIG_DIR, `${v}.ts`);
  return path.resolve(v);
}

/** The config names in configs/, sorted. */
export function listConfigs(dir = CONFIG_DIR): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function checkKeys(file: string, where: string, obj: unknown, keys: readonly string[]): void {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw new FerError(`${where || 'the default export'} must be an object`, file);
  const have = Object.keys(obj);
  const unknown = have.filter((k) => !keys.includes(k));
  if (unknown.length)
    throw new FerError(`unknown key '${where ? `${where}.` : ''}${unknown[0]}'`, file);
  const missing = keys.filter((k) => !have.includes(k));
  if (missing.length)
    throw new FerError(`missing key '${where ? `${where}.` : ''}${missing[0]}'`, file);
}

function checkNumbers(file: string, where: string, obj: object, except: string[] = []): void {
  for (const [k, v] of Object.entries(obj))
    if (!except.includes(k) && (typeof v !== 'number' || !Number.isFinite(v)))
      throw new FerError(`${where}.${k} must be a finite number, got ${JSON.stringify(v)}`, file);
}

/** Checks a config's shape and the types of its values (ranges are checked where they are used). */
export function validateConfig(file: string, c: unknown): StudyConfigFile {
  checkKeys(file, '', c, TOP_KEYS);
  const o = c as StudyConfigFile;
  if (typeof o.description !== 'string') throw new FerError('description must be a string', file);
  if (!(PROFILE_NAMES as readonly string[]).includes(o.profile))
    throw new FerError(
      `profile must be one of ${PROFILE_NAMES.join(', ')}, got '${String(o.profile)}'`,
      file,
    );
  checkKeys(file, 'train', o.train, TRAIN_KEYS);
  checkNumbers(file, 'train', o.train, ['split']);
  if (typeof o.train.split !== 'string') throw new FerError('train.split must be a string', file);
  checkKeys(file, 'eval', o.eval, EVAL_KEYS);
  checkNumbers(file, 'eval', o.eval);
  const { limit, noiseSeeds, bootstrapResamples } = o.eval;
  if (!Number.isInteger(limit) || limit < 0)
    throw new FerError(`eval.limit must be an integer >= 0, got ${limit}`, file);
  if (!Number.isInteger(noiseSeeds) || noiseSeeds < 1 || noiseSeeds > 100)
    throw new FerError(`eval.noiseSeeds must be an integer in 1..100, got ${noiseSeeds}`, file);
  if (
    !Number.isInteger(bootstrapResamples) ||
    bootstrapResamples < 0 ||
    bootstrapResamples > 100_000
  )
    throw new FerError(
      `eval.bootstrapResamples must be an integer in 0..100000, got ${bootstrapResamples}`,
      file,
    );
  const { timingRounds } = o.eval;
  if (
    !Number.isInteger(timingRounds) ||
    (timingRounds !== 0 && (timingRounds < 6 || timingRounds > 1000))
  )
    throw new FerError(
      `eval.timingRounds must be 0 (no paired timing) or an integer in 6..1000 (a 95 % CI of a median needs 6), got ${timingRounds}`,
      file,
    );
  if (!Array.isArray(o.trainings) || o.trainings.length === 0)
    throw new FerError('trainings must be a non-empty list of { model, seed }', file);
  const seen = new Set<string>();
  o.trainings.forEach((t, i) => {
    checkKeys(file, `trainings[${i}]`, t, ['model', 'seed']);
    if (typeof t.model !== 'string' || !Number.isInteger(t.seed) || t.seed < 0)
      throw new FerError(`trainings[${i}] needs a model name and an integer seed >= 0`, file);
    const key = `${t.model}-s${t.seed}`;
    if (seen.has(key)) throw new FerError(`trainings[${i}] repeats ${key}`, file);
    seen.add(key);
  });
  return o;
}

/** Loads and checks a config by name (configs/<name>.ts) or path. */
export function loadConfig(nameOrPath: string): StudyConfig {
  const file = configFile(nameOrPath);
  if (!fs.existsSync(file)) {
    const names = fs.existsSync(CONFIG_DIR) ? listConfigs().join(', ') : '';
    throw new FerError(`no such config${names ? ` (configs/ has: ${names})` : ''}`, file);
  }
  let mod: { default?: unknown };
  try {
    // A config is a TypeScript module (typed, with comments); tsx compiles it on require.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file) as { default?: unknown };
  } catch (e) {
    throw new FerError(`cannot load config: ${(e as Error).message.split('\n')[0]}`, file);
  }
  const c = validateConfig(file, mod.default);
  return { ...c, name: path.basename(file, '.ts'), file };
}

/** What every result file records of the config it came from. */
export interface ConfigRecord {
  name: string;
  content: StudyConfigFile;
}

export function configRecord(c: StudyConfig): ConfigRecord {
  const { description, profile, train, eval: ev, trainings } = c;
  return { name: c.name, content: { description, profile, train, eval: ev, trainings } };
}
