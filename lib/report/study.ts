/**
 * The study's steps as notebooks 02–06 run them, so that the notebooks stay thin:
 * - which saved model a notebook uses, and whether it loads or trains it (`planStudyModel`,
 *   `obtainStudyModel`): the profile decides, FER_RETRAIN forces training, FER_MODELS points
 *   at ready-made models (the CI fixtures in models/quick);
 * - a profile's evaluation budget (`evalBudget`): how many test images and noise seeds;
 * - one evaluation pass over both models (`evaluateStudy`) that writes each model's
 *   `eval.json` and the paired McNemar comparison from the *same* predictions, instead of
 *   predicting every noise level twice as `runEval` + `runCompare` would.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseBackendName } from '../backend';
import { loadFer2013 } from '../data';
import type { FerDataset } from '../data';
import { REPO_ROOT, portablePath, type ProfileName, type StudyEnv } from '../env';
import {
  levelsFor,
  modelNameOf,
  seedsFor,
  testIndicesFor,
  type EvalOptions,
} from '../eval/evaluate';
import {
  bandFromPredictions,
  correctnessRecord,
  metricAudit,
  pairedLevels,
  predictLevels,
  table1FromPredictions,
  table34FromPredictions,
  table5FromPredictions,
  type RunProgress,
} from '../eval/experiments';
import { calibrationSummary } from '../eval/calibration';
import { constantPredictorScores } from '../eval/collapse';
import { argmaxRows } from '../eval/metrics';
import { PredictionCache, modelFiles, predictionCacheKey } from '../eval/prediction-cache';
import { table2 } from '../eval/timing';
import type { CompareResult, EvalResult } from '../eval/types';
import { compareWithPaper } from '../paper';
import { PROFILES, defaultOut, loadStudyModel, resolveTrainConfig, train } from '../train';
import type { ProfileValues } from '../train';
import type { EpochLog } from '../train/checkpoint';
import { readTrainLog, runStatus, type RunStatus } from '../train/status';
import { MODEL_NAMES, type ModelName, type StudyModelMeta } from '../train/meta';
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

/**
 * quick: a fixed stratified 2,000 of the 7,178 test images and 2 noise seeds, so that 11
 * levels × 2 models fit in minutes on two CPU cores; paper: every test image and 5 seeds.
 */
export const EVAL_BUDGETS: Record<ProfileName, EvalBudget> = {
  quick: { limit: 2000, noiseSeeds: 2, bootstrapResamples: 1000 },
  paper: { limit: null, noiseSeeds: 5, bootstrapResamples: 1000 },
};

/** The profile's budget, with FER_EVAL_LIMIT (0 = all) and FER_NOISE_SEEDS applied. */
export function evalBudget(
  env: Pick<StudyEnv, 'profile' | 'evalLimit' | 'noiseSeeds'>,
): EvalBudget {
  const b = EVAL_BUDGETS[env.profile];
  return {
    limit: env.evalLimit === null ? b.limit : env.evalLimit === 0 ? null : env.evalLimit,
    noiseSeeds: env.noiseSeeds ?? b.noiseSeeds,
    bootstrapResamples: b.bootstrapResamples,
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
    log?: (s: string) => void;
  },
): Promise<StudyEvaluation> {
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
    const { indices, info } = testIndicesFor(ds, a.meta, opts.budget.limit ?? undefined);
    testIndicesFor(ds, b.meta); // the dataset check for the hybrid
    const yTrue = Int32Array.from(indices, (i) => ds.labels[i]);
    const evalOpts: EvalOptions = {
      noise: 'paper',
      noiseSeeds: opts.budget.noiseSeeds,
      bootstrapResamples: opts.budget.bootstrapResamples,
      timing: opts.timing,
      batchSize: opts.batchSize,
    };
    const levels = {
      levels: levelsFor(evalOpts),
      seeds: seedsFor(evalOpts),
      batchSize: opts.batchSize,
    };
    const resamples = opts.budget.bootstrapResamples;
    const bootstrap = resamples > 0 ? { resamples, seed: 0 } : (false as const);
    const evals = {} as Record<ModelName, EvalResult>;
    const runs = {} as Record<ModelName, Awaited<ReturnType<typeof predictLevels>>['runs']>;
    const predictSeconds = {} as Record<ModelName, number>;
    for (const m of loaded) {
      log(
        `${m.name}: predicting ${indices.length} images at ${levels.levels.length} levels × ${levels.seeds.length} seeds`,
      );
      const t0 = Date.now();
      const cache =
        opts.cache === false
          ? undefined
          : new PredictionCache(
              path.join(
                opts.resultsDir,
                '.pred-cache',
                `${modelNameOf(m.dir)}-${predictionCacheKey({ files: modelFiles(m.dir), indices, backend: tf.getBackend() })}`,
              ),
              indices.length,
            );
      let fromCache = 0;
      const p = await predictLevels(m.model, ds, indices, {
        ...levels,
        cache,
        onRun: (r) => {
          if (r.cached) fromCache++;
          opts.progress?.(m.name, r);
        },
      });
      predictSeconds[m.name] = (Date.now() - t0) / 1000;
      if (cache && fromCache > 0)
        log(
          `${m.name}: ${fromCache} of ${p.runs.length} runs read from ${portablePath(cache.dir)}`,
        );
      runs[m.name] = p.runs;
      // The same steps, in the same order, as lib/eval's evaluateLoaded (a test checks that
      // both give identical tables).
      const t1 = table1FromPredictions(yTrue, p.cleanProbs, { bootstrap });
      const t34 = table34FromPredictions(yTrue, p.runs);
      const t5 = table5FromPredictions(yTrue, argmaxRows(p.cleanProbs), { bootstrap });
      let t2 = null;
      if (evalOpts.timing !== false) {
        log(`${m.name}: table 2 timing`);
        t2 = await table2(m.model, { ...evalOpts.timing, modelDir: m.dir });
      }
      const tables = { table1: t1, table2: t2, table34: t34, table5: t5 };
      evals[m.name] = {
        schema: 'fer-eval/1',
        createdAt: new Date().toISOString(),
        model: { name: modelNameOf(m.dir), dir: portablePath(m.dir), meta: m.meta },
        data: info,
        backend: t2?.backend ?? tf.getBackend(),
        ...tables,
        audit: metricAudit(t1, t34, t5),
        paperComparison: compareWithPaper(m.meta.architecture, tables),
        calibration: calibrationSummary(yTrue, p.cleanProbs),
        constantBaselines: constantPredictorScores(yTrue),
      };
    }
    const compare: CompareResult = {
      schema: 'fer-compare/1',
      createdAt: new Date().toISOString(),
      a: { name: modelNameOf(a.dir), dir: a.dir, meta: a.meta },
      b: { name: modelNameOf(b.dir), dir: b.dir, meta: b.meta },
      data: info,
      backend: tf.getBackend(),
      levels: pairedLevels(yTrue, runs[a.name], runs[b.name]),
      band: bandFromPredictions(yTrue, runs[a.name], runs[b.name], {
        bootstrap: { resamples: resamples > 0 ? resamples : 1000 },
      }),
      correctness: correctnessRecord(yTrue, runs[a.name], runs[b.name]),
    };
    const files: string[] = [];
    for (const m of loaded) {
      const f = path.join(opts.resultsDir, evals[m.name].model.name, 'eval.json');
      writeJsonAtomic(f, evals[m.name]);
      files.push(f);
    }
    const cf = path.join(opts.resultsDir, `compare-${compare.a.name}-${compare.b.name}.json`);
    writeJsonAtomic(cf, compare);
    files.push(cf);
    return { evals, compare, files, predictSeconds };
  } finally {
    for (const m of loaded) m.model.dispose();
  }
}
