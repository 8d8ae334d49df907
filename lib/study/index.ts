/**
 * The study's steps as notebooks 02–06 run them, so that the notebooks stay thin:
 * - which saved model a notebook uses, and whether it loads or trains it (`planStudyModel`,
 *   `obtainStudyModel`): the profile decides, FER_RETRAIN forces training, FER_MODELS points
 *   at ready-made models (the CI fixtures in models/quick);
 * - a profile's evaluation budget (`evalBudget`): how many test images and noise seeds;
 * - one evaluation pass over both models (`evaluateStudy`) that writes each model's
 *   `eval.json` and the paired McNemar comparison from the *same* predictions, instead of
 *   predicting every noise level twice as `runEval` + `runCompare` would;
 * - every other published training of the config (`publishedTrainings`, `evaluateTrainings`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseBackendName } from '../backend';
import { loadFer2013 } from '../data';
import type { FerDataset } from '../data';
import type { ConfigRecord } from '../config';
import { REPO_ROOT, type ProfileName, type StudyEnv } from '../env';
import { recalibrateBatchNorm } from '../eval/bn-recalibrate';
import {
  calibrationRowsFor,
  compareResultFromRuns,
  evalResultFromPredictions,
  levelsFor,
  predictModel,
  seedsFor,
  testIndicesFor,
  type EvalOptions,
} from '../eval/evaluate';
import type { PredictionRun, RunProgress } from '../eval/experiments';
import type { CompareResult, EvalResult } from '../eval/types';
import { PROFILES, defaultOut, loadStudyModel, resolveTrainConfig, train } from '../train';
import type { ProfileValues } from '../train';
import type { EpochLog } from '../train/checkpoint';
import { readTrainLog, runStatus, type RunStatus } from '../train/status';
import { MODEL_NAMES, type ModelName, type StudyModelMeta } from '../models/meta';
import { writeJsonAtomic } from '../util/atomic';
import { FerError } from '../util/errors';

// ---------------------------------------------------------------- which model

/** Where the notebooks' model of `model` lives: FER_MODELS/<model>, else the profile's folder. */
export function studyModelDir(
  model: ModelName,
  env: Pick<StudyEnv, 'profile' | 'modelsDir'>,
  root = REPO_ROOT,
): string {
  return env.modelsDir
    ? path.join(env.modelsDir, model)
    : path.join(root, defaultOut(model, env.profile));
}

export function readMeta(dir: string): StudyModelMeta | null {
  const f = path.join(dir, 'meta.json');
  if (!fs.existsSync(f)) return null;
  try {
    return JSON.parse(fs.readFileSync(f, 'utf8')) as StudyModelMeta;
  } catch (e) {
    throw new FerError(`cannot read model metadata: ${(e as Error).message}`, f);
  }
}

/** Training settings of a saved model that differ from `profile`'s: `key: there → now`. */
export function settingsDiff(meta: StudyModelMeta, profile: ProfileValues): string[] {
  const saved: Record<string, unknown> = {
    ...meta.config,
    seed: meta.seed,
    split: meta.split,
    widthMultiplier: meta.widthMultiplier,
  };
  return (Object.keys(profile) as (keyof ProfileValues)[])
    .filter((k) => saved[k] !== profile[k])
    .map((k) => `${k}: ${String(saved[k])} → ${String(profile[k])}`);
}

export interface ModelPlan {
  model: ModelName;
  dir: string;
  /** `dir` relative to the repository (for display). */
  rel: string;
  action: 'load' | 'train';
  /** Continue the checkpoint in `<dir>.checkpoint` (paper profile only). */
  resume: boolean;
  /** Why, in one sentence, for the notebook's reader. */
  why: string;
}

/**
 * Load or train? A finished model of the profile's settings is loaded unless FER_RETRAIN=1;
 * a saved model made with other settings is retrained (and says which differ). With
 * FER_MODELS the models there are used as they are.
 */
export function planStudyModel(
  model: ModelName,
  env: Pick<StudyEnv, 'profile' | 'modelsDir' | 'retrain'>,
  root = REPO_ROOT,
): ModelPlan {
  const dir = studyModelDir(model, env, root);
  const meta = readMeta(dir);
  const rel = path.relative(root, dir) || dir;
  if (env.modelsDir) {
    if (!meta) throw new FerError(`FER_MODELS: no saved ${model} model here`, dir);
    return {
      model,
      dir,
      rel,
      action: 'load',
      resume: false,
      why: `FER_MODELS is set: using the ${meta.profile}-profile model saved in ${rel} as it is.`,
    };
  }
  const profileName: ProfileName = env.profile;
  const diff =
    meta && meta.architecture === model ? settingsDiff(meta, PROFILES[profileName]) : null;
  if (meta && diff && diff.length === 0 && !env.retrain)
    return {
      model,
      dir,
      rel,
      action: 'load',
      resume: false,
      why: `A finished ${profileName}-profile model is saved in ${rel} (trained ${meta.createdAt.slice(0, 10)}, ${meta.epochsRun} epochs); it is loaded, not retrained (FER_RETRAIN=1 retrains it).`,
    };
  const resume =
    profileName === 'paper' && fs.existsSync(path.join(`${dir}.checkpoint`, 'state.json'));
  const reason = env.retrain
    ? 'FER_RETRAIN=1'
    : meta && diff
      ? `the model saved in ${rel} was trained with other settings (${diff.join(', ')})`
      : `no finished ${profileName}-profile model is saved in ${rel}`;
  return {
    model,
    dir,
    rel,
    action: 'train',
    resume,
    why: `Training the ${profileName} profile now (${reason})${resume ? `, continuing the checkpoint in ${rel}.checkpoint` : ''}.`,
  };
}

/** A finished paper-profile model in models/<model>, if there is one. */
export function paperModel(
  model: ModelName,
  root = REPO_ROOT,
): { dir: string; meta: StudyModelMeta } | null {
  const dir = path.join(root, defaultOut(model, 'paper'));
  const meta = readMeta(dir);
  return meta && meta.profile === 'paper' && meta.architecture === model ? { dir, meta } : null;
}

export { readTrainLog } from '../train/status';

/** How far the paper-profile training of each model has got (finished, checkpoint, or none). */
export function paperRunStatus(root = REPO_ROOT): RunStatus[] {
  return MODEL_NAMES.map((m) => runStatus(path.join(root, defaultOut(m, 'paper'))));
}

export interface ObtainedModel extends ModelPlan {
  meta: StudyModelMeta;
  history: EpochLog[];
  /** Wall seconds this call spent (training, or reading the folder). */
  seconds: number;
}

/** Carry out `planStudyModel`: train (epoch lines go to `log`) or read the saved model. */
export async function obtainStudyModel(
  model: ModelName,
  env: StudyEnv,
  opts: { log?: (s: string) => void; dataset?: FerDataset } = {},
): Promise<ObtainedModel> {
  const plan = planStudyModel(model, env);
  const t0 = Date.now();
  if (plan.action === 'train') {
    const cfg = resolveTrainConfig(model, env.profile, {
      out: plan.dir,
      backend: parseBackendName(env.backend),
      csv: env.csv ?? undefined,
      resume: plan.resume,
    });
    const r = await train(cfg, { log: opts.log, progress: false, dataset: opts.dataset });
    r.model.dispose();
  }
  const meta = readMeta(plan.dir);
  if (!meta) throw new FerError('no meta.json after training', plan.dir);
  return {
    ...plan,
    meta,
    history: readTrainLog(plan.dir),
    seconds: (Date.now() - t0) / 1000,
  };
}

// ---------------------------------------------------------------- how much to evaluate

export interface EvalBudget {
  /** Stratified subset of the test set (seed 0), or null for all of it. */
  limit: number | null;
  noiseSeeds: number;
  bootstrapResamples: number;
}

/** The config's evaluation budget (its `eval` section; limit 0 = every test image). */
export function evalBudget(env: Pick<StudyEnv, 'config'>): EvalBudget {
  const e = env.config.eval;
  return {
    limit: e.limit === 0 ? null : e.limit,
    noiseSeeds: e.noiseSeeds,
    bootstrapResamples: e.bootstrapResamples,
  };
}

/** One sentence for the notebook: what was evaluated, on how many images, with what noise. */
export function describeBudget(b: EvalBudget, nTest: number, nTestFull: number): string {
  const imgs =
    nTest < nTestFull
      ? `a fixed stratified subset of ${nTest.toLocaleString('en-US')} of the ${nTestFull.toLocaleString('en-US')} test images (seed 0; same class shares)`
      : `all ${nTest.toLocaleString('en-US')} test images`;
  return (
    `Evaluated on ${imgs}, clean and at the paper's 10 noise levels with ${b.noiseSeeds} noise seed${b.noiseSeeds === 1 ? '' : 's'} each; ` +
    `95 % CIs from ${b.bootstrapResamples.toLocaleString('en-US')} bootstrap resamples.`
  );
}

// ---------------------------------------------------------------- one evaluation pass

/**
 * A sensitivity variant of the evaluation: the same trained models on the de-leaked test set
 * (test rows whose exact pixels also occur in train or val dropped), or with BatchNorm's
 * moving statistics re-estimated on training images before predicting.
 */
export interface StudyVariant {
  dropLeakedTest?: boolean;
  /** Training images to re-estimate BatchNorm statistics on. */
  recalibrateBn?: number;
}

/** The file-name suffix of a variant's results: '' | '-deleaked' | '-bn-recalibrated'. */
export function studyVariantSuffix(v: StudyVariant = {}): string {
  return `${v.dropLeakedTest ? '-deleaked' : ''}${v.recalibrateBn !== undefined ? '-bn-recalibrated' : ''}`;
}

export interface StudyEvaluation {
  evals: Record<ModelName, EvalResult>;
  compare: CompareResult;
  /** Files written (eval.json per model, then the comparison). */
  files: string[];
  /** Wall seconds of the predictions per model (all levels and seeds; a run read from the cache costs ~0). */
  predictSeconds: Record<ModelName, number>;
}

/**
 * Evaluate the saved CNN and hybrid in `dirs` on the same test images and noise: every table
 * of `evaluateLoaded` per model, and `runCompare`'s McNemar tests, from one prediction pass
 * per model. Writes `<resultsDir>/<folder name>/eval.json` and
 * `<resultsDir>/compare-<cnn>-<cnn-lstm>.json` atomically.
 */
export async function evaluateStudy(
  dirs: Record<ModelName, string>,
  opts: {
    budget: EvalBudget;
    resultsDir: string;
    ds?: FerDataset;
    csv?: string;
    batchSize?: number;
    /** Table 2 timing runs (default lib/eval's); false skips Table 2. */
    timing?: EvalOptions['timing'];
    /**
     * Save every prediction run under `<resultsDir>/.pred-cache/` and reuse saved ones (default
     * true): the paper profile runs for hours, and an interrupted evaluation then resumes.
     */
    cache?: boolean;
    /** Called after each prediction run of each model. */
    progress?: (model: ModelName, r: RunProgress) => void;
    /** The study config, recorded in every result. */
    config?: ConfigRecord;
    /** A sensitivity variant; its results are filed under `studyVariantSuffix(variant)`. */
    variant?: StudyVariant;
    log?: (s: string) => void;
  },
): Promise<StudyEvaluation> {
  const variant = opts.variant ?? {};
  const log = opts.log ?? ((): void => undefined);
  const loaded = [] as {
    name: ModelName;
    dir: string;
    model: tf.LayersModel;
    meta: StudyModelMeta;
  }[];
  try {
    for (const name of MODEL_NAMES) {
      const { model, meta } = await loadStudyModel(dirs[name]);
      loaded.push({ name, dir: dirs[name], model, meta });
      if (meta.architecture !== name)
        throw new FerError(`expected a ${name} model, found ${meta.architecture}`, dirs[name]);
    }
    const [a, b] = loaded;
    const splitOf = (m: StudyModelMeta) => `${m.split}/${String(m.config.splitSeed ?? m.seed)}`;
    if (splitOf(a.meta) !== splitOf(b.meta))
      throw new FerError(
        `the models were tested on different splits (${splitOf(a.meta)} vs ${splitOf(b.meta)}); a paired test needs the same images`,
      );
    const ds = opts.ds ?? (await loadFer2013({ csv: opts.csv, log }));
    const { indices, info } = testIndicesFor(ds, a.meta, opts.budget.limit ?? undefined, variant);
    testIndicesFor(ds, b.meta); // the dataset check for the hybrid
    const recal = {} as Record<ModelName, NonNullable<EvalResult['bnRecalibration']>>;
    if (variant.recalibrateBn !== undefined)
      for (const m of loaded) {
        log(
          `${m.name}: re-estimating BatchNorm statistics on ${variant.recalibrateBn} training images`,
        );
        const rows = calibrationRowsFor(ds, m.meta, variant.recalibrateBn);
        recal[m.name] = recalibrateBatchNorm(m.model, ds, rows);
      }
    const yTrue = Int32Array.from(indices, (i) => ds.labels[i]);
    const evalOpts: EvalOptions = {
      noise: 'paper',
      noiseSeeds: opts.budget.noiseSeeds,
      bootstrapResamples: opts.budget.bootstrapResamples,
      timing: opts.timing,
      batchSize: opts.batchSize,
    };
    const lv = {
      levels: levelsFor(evalOpts),
      seeds: seedsFor(evalOpts),
      batchSize: opts.batchSize,
      // Re-estimated statistics are not in the weight files that key the cache.
      cacheRoot:
        opts.cache === false || variant.recalibrateBn !== undefined
          ? null
          : path.join(opts.resultsDir, '.pred-cache'),
    };
    const evals = {} as Record<ModelName, EvalResult>;
    const runs = {} as Record<ModelName, PredictionRun[]>;
    const predictSeconds = {} as Record<ModelName, number>;
    for (const m of loaded) {
      log(
        `${m.name}: predicting ${indices.length} images at ${lv.levels.length} levels × ${lv.seeds.length} seeds`,
      );
      const t0 = Date.now();
      const p = await predictModel(m.model, m.dir, ds, indices, {
        ...lv,
        onRun: (r) => opts.progress?.(m.name, r),
      });
      predictSeconds[m.name] = (Date.now() - t0) / 1000;
      if (p.cachedRuns > 0)
        log(`${m.name}: ${p.cachedRuns} of ${p.runs.length} runs read from the prediction cache`);
      runs[m.name] = p.runs;
      evals[m.name] = await evalResultFromPredictions(m.model, m.meta, m.dir, info, yTrue, p, {
        ...evalOpts,
        config: opts.config,
        log: (s) => log(`${m.name}: ${s}`),
      });
      if (recal[m.name]) evals[m.name].bnRecalibration = recal[m.name];
    }
    const compare: CompareResult = {
      ...compareResultFromRuns(
        { dir: a.dir, meta: a.meta, runs: runs[a.name] },
        { dir: b.dir, meta: b.meta, runs: runs[b.name] },
        info,
        yTrue,
        { bootstrapResamples: opts.budget.bootstrapResamples, config: opts.config },
      ),
      ...(variant.recalibrateBn !== undefined
        ? { bnRecalibration: { a: recal[a.name], b: recal[b.name] } }
        : {}),
    };
    const suffix = studyVariantSuffix(variant);
    const files: string[] = [];
    for (const m of loaded) {
      const f = path.join(opts.resultsDir, evals[m.name].model.name, `eval${suffix}.json`);
      writeJsonAtomic(f, evals[m.name]);
      files.push(f);
    }
    const cf = path.join(
      opts.resultsDir,
      `compare-${compare.a.name}-${compare.b.name}${suffix}.json`,
    );
    writeJsonAtomic(cf, compare);
    files.push(cf);
    return { evals, compare, files, predictSeconds };
  } finally {
    for (const m of loaded) m.model.dispose();
  }
}

// ---------------------------------------------------------------- sensitivity checks

/** The sensitivity checks of the report, each a variant of the one evaluation pass. */
export const SENSITIVITY_VARIANTS: readonly { what: string; variant: StudyVariant }[] = [
  { what: 'the de-leaked test set', variant: { dropLeakedTest: true } },
  {
    what: 'BatchNorm statistics re-estimated on 4,000 training images',
    variant: { recalibrateBn: 4000 },
  },
];

/**
 * The same trained models under every sensitivity check: all tables and the paired tests on
 * the de-leaked test set, and the whole noise sweep with BatchNorm's statistics re-estimated.
 * Same budget and noise seeds as the main evaluation, no timing. Writes
 * `<resultsDir>/<model>/eval-deleaked.json`, `eval-bn-recalibrated.json` and the matching
 * `compare-<cnn>-<cnn-lstm>-deleaked.json` / `-bn-recalibrated.json`.
 */
export async function evaluateSensitivity(
  dirs: Record<ModelName, string>,
  opts: Omit<Parameters<typeof evaluateStudy>[1], 'variant' | 'timing'>,
): Promise<StudyEvaluation[]> {
  const log = opts.log ?? ((): void => undefined);
  const ds = opts.ds ?? (await loadFer2013({ csv: opts.csv, log }));
  const out: StudyEvaluation[] = [];
  for (const v of SENSITIVITY_VARIANTS) {
    log(`sensitivity: ${v.what}`);
    out.push(await evaluateStudy(dirs, { ...opts, ds, timing: false, variant: v.variant }));
  }
  return out;
}

// ---------------------------------------------------------------- every training of a config

export * from './trainings';
// evaluate-trainings.ts builds on evaluateStudy here; import it from './evaluate-trainings'.
