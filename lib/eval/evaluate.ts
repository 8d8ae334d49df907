/**
 * One loaded model through every table: the test rows of its split, predictions at every noise
 * level, Tables 1-5, the audit and the paper comparison, as an `EvalResult`. No model loading
 * and no printing here, so it runs on any tf.LayersModel (tests use a tiny one).
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { makeSplit, PAPER_NOISE_LEVELS, SPLIT_NAMES, stratifiedSubset } from '../data';
import type { FerDataset, SplitName } from '../data';
import { REPO_ROOT, portablePath } from '../env';
import { backendThreads } from '../backend';
import { compareWithPaper } from './paper';
import type { StudyModelMeta } from '../models/meta';
import { FerError } from '../util/errors';
import type { ConfigRecord } from '../config';
import {
  bandFromPredictions,
  correctnessRecord,
  metricAudit,
  pairedLevels,
  predictLevels,
  table1FromPredictions,
  table34FromPredictions,
  table5FromPredictions,
  type PredictionRun,
  type RunProgress,
} from './experiments';
import { calibrationSummary } from './calibration';
import { constantPredictorScores } from './collapse';
import { argmaxRows } from './metrics';
import { modelFiles, PredictionCache, predictionCacheKey } from './prediction-cache';
import { table2, type TimingOptions } from './timing';
import type { CompareResult, EvalDataInfo, EvalResult } from './types';
import { paperCounterpart } from '../models/designs';

export interface EvalOptions {
  /** 'paper' = level 0 + the paper's 10 levels (default); 'none' = clean only. */
  noise?: 'paper' | 'none';
  /** Noise seeds 0..K-1 per level (default 3). */
  noiseSeeds?: number;
  /** Evaluate a stratified subset of this many test images (seed 0). */
  limit?: number;
  /** Bootstrap resamples for the CIs (default 1000; 0 = no CIs). */
  bootstrapResamples?: number;
  /** Table 2 timing options, or false to skip Table 2. */
  timing?: TimingOptions | false;
  batchSize?: number;
  /** FER2013 CSV (default $FER2013_CSV) when no dataset is passed in. */
  csv?: string;
  /** Binary cache folder for the CSV (default data/cache). */
  cacheDir?: string;
  /**
   * Re-estimate BatchNorm's moving statistics on this many of the model's training images
   * before evaluating (lib/eval/bn-recalibrate.ts; not the paper's recipe). Default: as trained.
   */
  recalibrateBn?: number;
  /** Save and reuse predictions under this folder (lib/eval/prediction-cache.ts); default none. */
  predictionCache?: string | null;
  /**
   * Drop the test rows whose exact pixels occur in the model's train or val rows (the
   * de-leaked test set; lib/data/split.ts `dropLeakedTest`). Default: as the model was trained.
   */
  dropLeakedTest?: boolean;
  log?: (s: string) => void;
}

/** The test rows of the split a model was trained on, from its meta.json. */
export function testIndicesFor(
  ds: FerDataset,
  meta: StudyModelMeta,
  limit?: number,
  opts: { dropLeakedTest?: boolean } = {},
): { indices: Int32Array; info: EvalDataInfo } {
  if (meta.datasetSha256 && ds.sha256 !== meta.datasetSha256)
    throw new FerError(
      `the model was trained on dataset ${meta.datasetSha256.slice(0, 12)}… but ${ds.source} is ${ds.sha256.slice(0, 12)}…`,
    );
  if (!(SPLIT_NAMES as readonly string[]).includes(meta.split))
    throw new FerError(
      `meta.json: unknown split '${meta.split}' (known: ${SPLIT_NAMES.join(', ')})`,
    );
  const { split, splitSeed } = modelSplit(ds, meta, opts.dropLeakedTest);
  let indices = split.test;
  if (limit !== undefined) {
    if (!(Number.isInteger(limit) && limit >= 1))
      throw new FerError(`--limit must be a positive integer, got ${limit}`);
    if (limit < indices.length) indices = stratifiedSubset(ds.labels, indices, limit, 0);
  }
  return {
    indices,
    info: {
      datasetSha256: ds.sha256,
      split: meta.split,
      splitSeed,
      nTest: indices.length,
      nTestFull: split.test.length,
      limited: indices.length < split.test.length,
      ...(split.droppedTest ? { leakedTestDropped: split.droppedTest.length } : {}),
    },
  };
}

/** The split a model was trained on, recreated from its meta.json. */
function modelSplit(
  ds: FerDataset,
  meta: StudyModelMeta,
  dropLeakedTest = false,
): { split: ReturnType<typeof makeSplit>; splitSeed: number } {
  const cfg = meta.config;
  const num = (k: string): number | undefined =>
    typeof cfg[k] === 'number' ? (cfg[k] as number) : undefined;
  // The split seed is recorded in config when it differs from the training seed.
  const splitSeed = num('splitSeed') ?? meta.seed;
  const split = makeSplit(ds, meta.split as SplitName, {
    seed: splitSeed,
    valFraction: num('valFraction'),
    testFraction: num('testFraction'),
    dropLeakedTest: dropLeakedTest || cfg.dropLeakedTest === true,
  });
  return { split, splitSeed };
}

/**
 * `n` of the model's training rows, evenly spread over them (every k-th), for re-estimating
 * BatchNorm statistics: never a validation or test row.
 */
export function calibrationRowsFor(ds: FerDataset, meta: StudyModelMeta, n: number): Int32Array {
  if (!(Number.isInteger(n) && n >= 1))
    throw new FerError(`--recalibrate-bn must be a positive integer, got ${n}`);
  const train = modelSplit(ds, meta).split.train;
  const step = Math.max(1, Math.floor(train.length / n));
  return train.filter((_, i) => i % step === 0).subarray(0, n);
}

export function levelsFor(opts: EvalOptions): number[] {
  return opts.noise === 'none' ? [0] : [0, ...PAPER_NOISE_LEVELS];
}

export function seedsFor(opts: EvalOptions): number[] {
  const k = opts.noiseSeeds ?? 3;
  if (!(Number.isInteger(k) && k >= 1))
    throw new FerError(`--noise-seeds must be a positive integer, got ${k}`);
  return Array.from({ length: k }, (_, i) => i);
}

/** The model's name in results/: its folder's name. */
export function modelNameOf(dir: string): string {
  return path.basename(path.resolve(dir));
}

/** $FER_RESULTS_DIR, else <repo>/results (as the notebooks use). */
export function resultsDir(env: Record<string, string | undefined> = process.env): string {
  return path.resolve(env.FER_RESULTS_DIR?.trim() || path.join(REPO_ROOT, 'results'));
}

/** results/<model folder name>/eval.json */
export function defaultEvalPath(modelDir: string): string {
  return path.join(resultsDir(), modelNameOf(modelDir), 'eval.json');
}

/** results/compare-<a>-<b>.json */
export function defaultComparePath(dirA: string, dirB: string): string {
  return path.join(resultsDir(), `compare-${modelNameOf(dirA)}-${modelNameOf(dirB)}.json`);
}

/** One model's predictions: clean probabilities, and the labels of every (level, seed) run. */
export interface ModelPredictions {
  cleanProbs: Float32Array;
  runs: PredictionRun[];
  /** Runs read from the prediction cache instead of computed. */
  cachedRuns: number;
}

/**
 * Predict every level and noise seed with one model. With `cacheRoot`, each run is saved under
 * `<cacheRoot>/<model folder>-<key>/` and reused (lib/eval/prediction-cache.ts), so a long
 * evaluation resumes where it stopped.
 */
export async function predictModel(
  model: tf.LayersModel,
  modelDir: string,
  ds: FerDataset,
  indices: Int32Array,
  opts: {
    levels: number[];
    seeds: number[];
    batchSize?: number;
    cacheRoot?: string | null;
    onRun?: (r: RunProgress) => void;
  },
): Promise<ModelPredictions> {
  const cache = opts.cacheRoot
    ? new PredictionCache(
        path.join(
          opts.cacheRoot,
          `${modelNameOf(modelDir)}-${predictionCacheKey({ files: modelFiles(modelDir), indices, backend: tf.getBackend() })}`,
        ),
        indices.length,
      )
    : undefined;
  let cachedRuns = 0;
  const p = await predictLevels(model, ds, indices, {
    levels: opts.levels,
    seeds: opts.seeds,
    batchSize: opts.batchSize,
    cache,
    onRun: (r) => {
      if (r.cached) cachedRuns++;
      opts.onRun?.(r);
    },
  });
  return { ...p, cachedRuns };
}

/**
 * Every table of one model from its predictions, as an `EvalResult`: the only place one is
 * built (`fer eval`, `fer compare` and the notebooks all come here). Table 2 times `model`.
 */
export async function evalResultFromPredictions(
  model: tf.LayersModel,
  meta: StudyModelMeta,
  modelDir: string,
  info: EvalDataInfo,
  yTrue: Int32Array,
  preds: Pick<ModelPredictions, 'cleanProbs' | 'runs'>,
  opts: Pick<EvalOptions, 'bootstrapResamples' | 'timing' | 'log'> & { config?: ConfigRecord } = {},
): Promise<EvalResult> {
  const resamples = opts.bootstrapResamples ?? 1000;
  const bootstrap = resamples > 0 ? { resamples, seed: 0 } : (false as const);
  const t1 = table1FromPredictions(yTrue, preds.cleanProbs, { bootstrap });
  const t34 = table34FromPredictions(yTrue, preds.runs);
  const t5 = table5FromPredictions(yTrue, argmaxRows(preds.cleanProbs), { bootstrap });
  let t2 = null;
  if (opts.timing !== false) {
    opts.log?.('table 2 timing');
    t2 = await table2(model, { ...opts.timing, modelDir });
  }
  const tables = { table1: t1, table2: t2, table34: t34, table5: t5 };
  return {
    schema: 'fer-eval/1',
    createdAt: new Date().toISOString(),
    model: { name: modelNameOf(modelDir), dir: portablePath(modelDir), meta },
    data: info,
    backend: t2?.backend ?? tf.getBackend(),
    threads: backendThreads(t2?.backend ?? tf.getBackend()),
    ...(opts.config ? { config: opts.config } : {}),
    ...tables,
    audit: metricAudit(t1, t34, t5),
    paperComparison: compareWithPaper(paperCounterpart(meta.architecture), tables),
    calibration: calibrationSummary(yTrue, preds.cleanProbs),
    constantBaselines: constantPredictorScores(yTrue),
  };
}

/**
 * McNemar A vs B at every level and noise seed, claim 3's informative-band comparison and the
 * per-image correctness behind it, from both models' runs on the same images: the only place a
 * `CompareResult` is built.
 */
export function compareResultFromRuns(
  a: { dir: string; meta: StudyModelMeta; runs: PredictionRun[] },
  b: { dir: string; meta: StudyModelMeta; runs: PredictionRun[] },
  info: EvalDataInfo,
  yTrue: Int32Array,
  opts: { bootstrapResamples?: number; config?: ConfigRecord } = {},
): CompareResult {
  return {
    schema: 'fer-compare/1',
    createdAt: new Date().toISOString(),
    a: { name: modelNameOf(a.dir), dir: portablePath(a.dir), meta: a.meta },
    b: { name: modelNameOf(b.dir), dir: portablePath(b.dir), meta: b.meta },
    data: info,
    backend: tf.getBackend(),
    threads: backendThreads(tf.getBackend()),
    ...(opts.config ? { config: opts.config } : {}),
    levels: pairedLevels(yTrue, a.runs, b.runs),
    // The band's CI is the claim-3 evidence, so it is computed even when CIs are off (0).
    band: bandFromPredictions(yTrue, a.runs, b.runs, {
      bootstrap: { resamples: opts.bootstrapResamples || 1000 },
    }),
    correctness: correctnessRecord(yTrue, a.runs, b.runs),
  };
}

/** Every table for one loaded model on the given test rows. */
export async function evaluateLoaded(
  model: tf.LayersModel,
  meta: StudyModelMeta,
  modelDir: string,
  ds: FerDataset,
  indices: Int32Array,
  info: EvalDataInfo,
  opts: EvalOptions = {},
): Promise<EvalResult> {
  const yTrue = Int32Array.from(indices, (i) => ds.labels[i]);
  const levels = levelsFor(opts);
  opts.log?.(`predicting ${indices.length} test images at ${levels.length} level(s)`);
  const preds = await predictModel(model, modelDir, ds, indices, {
    levels,
    seeds: seedsFor(opts),
    batchSize: opts.batchSize,
    cacheRoot: opts.predictionCache,
  });
  opts.log?.('tables 1, 3/4, 5 and bootstrap CIs');
  return evalResultFromPredictions(model, meta, modelDir, info, yTrue, preds, opts);
}

/**
 * The headline numbers of one evaluation as flat metric -> value, keyed like
 * 'table1.keras.f1', 'table34.0.3.accuracy', 'table34.0.3.f1.weighted', 'table5.simple.f1.macro'.
 * Feed several (one per training seed) to `aggregateSeeds` for mean ± std.
 */
export function headlineMetrics(
  r: Pick<EvalResult, 'table1' | 'table34' | 'table5'>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of r.table1.rows)
    for (const m of ['accuracy', 'precision', 'recall', 'f1'] as const)
      out[`table1.${row.averaging}.${m}`] = row[m];
  for (const l of r.table34.levels) {
    out[`table34.${l.level}.accuracy`] = l.accuracy.mean;
    for (const d of ['macro', 'weighted', 'micro'] as const)
      out[`table34.${l.level}.f1.${d}`] = l.f1[d].mean;
  }
  for (const row of r.table5.rows) {
    out[`table5.${row.group}.accuracy`] = row.metrics.accuracy;
    for (const d of ['macro', 'weighted', 'micro'] as const)
      out[`table5.${row.group}.f1.${d}`] = row.metrics[d].f1;
  }
  return out;
}
