/**
 * Notebook 07's steps, so the notebook stays thin: which models the robustness study uses,
 * training them when missing (the exact settings below), and running or reusing the suite and
 * the augmentation experiment (reused only when made by the same saved model on the same
 * images and settings; FER_RETRAIN=1 recomputes everything); and the same suite on the
 * paper-scale models of the main study.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseBackendName } from '../backend';
import type { FerDataset } from '../data';
import { REPO_ROOT, type StudyEnv } from '../env';
import {
  defaultAugmentationPath,
  runAugmentationExperiment,
  runRobustnessEval,
  type AugmentationResult,
  type RobustnessResult,
} from './run';
import { resolveTrainConfig, train, type TrainConfig } from '../train';
import type { ModelName, StudyModelMeta } from '../models/meta';
import { readMeta } from '../study';
import { CORRUPTIONS, SEVERITIES } from './corruptions';
import { FerError } from '../util/errors';

/**
 * Training settings of the robustness models, pinned here rather than taken from the quick
 * profile (which may change): the quick profile's first values stayed at the majority-class
 * rate, and these reached val_accuracy 0.415 (CNN) / 0.357 (hybrid) in ~24 min wall each on
 * the shared 2-core machine. Small dropout matters at this width: at 0.25 the same run stayed
 * at 0.25.
 */
export const ROBUSTNESS_TRAINING: Partial<TrainConfig> = {
  epochs: 3,
  batchSize: 32,
  learningRate: 0.002,
  dropout: 0.05,
  widthMultiplier: 0.125,
  limitTrain: 8000,
  limitVal: 1000,
  bnMomentum: 0.9,
  earlyStoppingPatience: 3,
  reduceLrPatience: 2,
  seed: 1,
};

/** σ_max of the noise-augmented models. */
export const AUGMENT_SIGMA = 0.3;

/** Test images of the suite and of the augmentation experiment (stratified, seed 0). */
export const ROBUSTNESS_LIMIT = 2000;

export interface RobustnessModel {
  key: 'cnn' | 'cnnLstm' | 'cnnAug' | 'cnnLstmAug';
  architecture: ModelName;
  augmentNoise: number;
  dir: string;
}

/**
 * models/quick/robust-<model>[-aug], trained with ROBUSTNESS_TRAINING (± augmentation); committed
 * (0.2–0.3 MB each) so that notebook 07 loads them instead of training four models.
 */
export function robustnessModels(root = REPO_ROOT): RobustnessModel[] {
  const m = (
    key: RobustnessModel['key'],
    architecture: ModelName,
    aug: boolean,
  ): RobustnessModel => ({
    key,
    architecture,
    augmentNoise: aug ? AUGMENT_SIGMA : 0,
    dir: path.join(root, 'models', 'quick', `robust-${architecture}${aug ? '-aug' : ''}`),
  });
  return [
    m('cnn', 'cnn', false),
    m('cnnLstm', 'cnn-lstm', false),
    m('cnnAug', 'cnn', true),
    m('cnnLstmAug', 'cnn-lstm', true),
  ];
}

/** Settings of a saved model that differ from what `m` should have been trained with. */
export function robustnessSettingsDiff(m: RobustnessModel): string[] | null {
  const meta = readMeta(m.dir);
  if (!meta) return null;
  const want: Record<string, unknown> = { ...ROBUSTNESS_TRAINING, augmentNoise: m.augmentNoise };
  const have: Record<string, unknown> = {
    ...meta.config,
    seed: meta.seed,
    widthMultiplier: meta.widthMultiplier,
    epochs: meta.config.epochs,
    augmentNoise: meta.config.augmentNoise ?? 0,
  };
  const diff = Object.keys(want)
    .filter((k) => have[k] !== want[k])
    .map((k) => `${k}: ${String(have[k])} → ${String(want[k])}`);
  if (meta.architecture !== m.architecture) diff.push(`architecture: ${meta.architecture}`);
  return diff;
}

/** Load `m` if saved with the right settings (and not FER_RETRAIN), else train it now. */
export async function obtainRobustnessModel(
  m: RobustnessModel,
  env: StudyEnv,
  opts: { log?: (s: string) => void; dataset?: FerDataset } = {},
): Promise<{ action: 'load' | 'train'; why: string; seconds: number }> {
  const diff = robustnessSettingsDiff(m);
  const rel = path.relative(REPO_ROOT, m.dir);
  if (diff && diff.length === 0 && !env.retrain)
    return { action: 'load', why: `saved in ${rel} with these settings`, seconds: 0 };
  const why = env.retrain
    ? 'FER_RETRAIN=1'
    : diff
      ? `saved with other settings (${diff.join(', ')})`
      : `nothing saved in ${rel}`;
  const t0 = Date.now();
  const cfg = resolveTrainConfig(m.architecture, 'quick', {
    ...ROBUSTNESS_TRAINING,
    augmentNoise: m.augmentNoise > 0 ? m.augmentNoise : undefined,
    out: m.dir,
    backend: parseBackendName(env.backend),
    csv: env.csv ?? undefined,
  });
  const r = await train(cfg, { log: opts.log, progress: false, dataset: opts.dataset });
  r.model.dispose();
  return { action: 'train', why, seconds: (Date.now() - t0) / 1000 };
}

/** The suite on `dir` (against `ref`), reusing a matching saved run unless FER_RETRAIN=1. */
export function suiteFor(
  dir: string,
  ref: string | undefined,
  env: StudyEnv,
  opts: { ds?: FerDataset; limit?: number; log?: (s: string) => void } = {},
): Promise<RobustnessResult> {
  return runRobustnessEval(dir, {
    ref,
    limit: opts.limit ?? ROBUSTNESS_LIMIT,
    seed: 0,
    reuse: !env.retrain,
    csv: env.csv ?? undefined,
    ds: opts.ds,
    out: path.join(env.resultsDir, 'robustness', `${path.basename(dir)}.json`),
    log: opts.log,
  });
}

/** One paper-scale model of the main study and the name of its suite result. */
export interface PaperRobustnessModel {
  architecture: ModelName;
  /** models/<architecture>: the committed paper-scale model (training seed 1). */
  dir: string;
  /** File name under results/robustness/: robust-paper-<architecture>.json. */
  file: string;
}

/**
 * The paper-scale CNN and hybrid, CNN first. Their results are named robust-paper-*.json, not
 * after the model folder, so they never share a name with a small model's result.
 */
export function paperRobustnessModels(root = REPO_ROOT): PaperRobustnessModel[] {
  return (['cnn', 'cnn-lstm'] as const).map((architecture) => ({
    architecture,
    dir: path.join(root, 'models', architecture),
    file: `robust-paper-${architecture}.json`,
  }));
}

/**
 * Whether `r` is the full suite (every family and severity, corruption seed 0) of the model
 * whose meta.json is `meta`, on ROBUSTNESS_LIMIT stratified test images (fewer when the split
 * has fewer): the settings of the small models' suite, so CE and mCE are comparable.
 */
export function isStandardSuiteOf(
  r: Pick<RobustnessResult, 'schema' | 'model' | 'data' | 'run'>,
  meta: Pick<StudyModelMeta, 'createdAt' | 'datasetSha256'>,
  limit = ROBUSTNESS_LIMIT,
): boolean {
  return (
    r.schema === 'fer-robustness/1' &&
    r.model.meta.createdAt === meta.createdAt &&
    r.model.meta.datasetSha256 === meta.datasetSha256 &&
    r.data.nTest === Math.min(limit, r.data.nTestFull) &&
    r.run.seed === 0 &&
    r.run.cells.length === CORRUPTIONS.length * SEVERITIES.length
  );
}

function readSuite(file: string): RobustnessResult | null {
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RobustnessResult;
  } catch {
    return null;
  }
}

/**
 * The suite on the paper-scale CNN and hybrid (the hybrid against the CNN), read from this
 * run's results/robustness/, else from the committed one (the two runs take half an hour
 * together), and computed into this run's results only when neither holds a matching pair or
 * FER_RETRAIN=1.
 */
export async function paperSuitesFor(
  env: StudyEnv,
  opts: { ds?: FerDataset; log?: (s: string) => void; root?: string } = {},
): Promise<{ cnn: RobustnessResult; hybrid: RobustnessResult; from: string | null }> {
  const root = opts.root ?? REPO_ROOT;
  const [cm, hm] = paperRobustnessModels(root);
  const cnnMeta = readMeta(cm.dir);
  const hybMeta = readMeta(hm.dir);
  if (!cnnMeta || !hybMeta)
    throw new FerError(`the paper-scale models are missing (${cm.dir}, ${hm.dir})`);
  const dirs = [path.join(env.resultsDir, 'robustness'), path.join(root, 'results', 'robustness')];
  if (!env.retrain)
    for (const dir of dirs) {
      const cnn = readSuite(path.join(dir, cm.file));
      const hybrid = readSuite(path.join(dir, hm.file));
      if (
        cnn &&
        hybrid &&
        isStandardSuiteOf(cnn, cnnMeta) &&
        isStandardSuiteOf(hybrid, hybMeta) &&
        hybrid.reference?.meta.createdAt === cnnMeta.createdAt
      )
        return { cnn, hybrid, from: path.join(dir, '') };
    }
  const out = dirs[0];
  const common = {
    limit: ROBUSTNESS_LIMIT,
    seed: 0,
    reuse: !env.retrain,
    csv: env.csv ?? undefined,
    ds: opts.ds,
    log: opts.log,
  };
  const cnnOut = path.join(out, cm.file);
  const cnn = await runRobustnessEval(cm.dir, { ...common, out: cnnOut });
  const hybrid = await runRobustnessEval(hm.dir, {
    ...common,
    ref: cm.dir,
    refOut: cnnOut,
    out: path.join(out, hm.file),
  });
  return { cnn, hybrid, from: null };
}

/** The augmentation experiment, reusing results/robustness/augmentation.json when it matches. */
export async function augmentationFor(
  env: StudyEnv,
  opts: { ds?: FerDataset; log?: (s: string) => void } = {},
): Promise<{ result: AugmentationResult; reused: boolean }> {
  const ms = robustnessModels();
  const out = path.join(env.resultsDir, 'robustness', 'augmentation.json');
  if (!env.retrain && fs.existsSync(out)) {
    const r = JSON.parse(fs.readFileSync(out, 'utf8')) as AugmentationResult;
    const same =
      r.schema === 'fer-augmentation/1' &&
      r.data.nTest === Math.min(ROBUSTNESS_LIMIT, r.data.nTestFull) &&
      r.models.length === 4 &&
      r.models.every((x, i) => x.meta.createdAt === readMeta(ms[i].dir)?.createdAt);
    if (same) return { result: r, reused: true };
  }
  const result = await runAugmentationExperiment(
    { cnn: ms[0].dir, cnnLstm: ms[1].dir, cnnAug: ms[2].dir, cnnLstmAug: ms[3].dir },
    { limit: ROBUSTNESS_LIMIT, noiseSeeds: 1, ds: opts.ds, out, log: opts.log },
  );
  return { result, reused: false };
}

export { defaultAugmentationPath };
