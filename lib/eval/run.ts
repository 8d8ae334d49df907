/**
 * Whole evaluations of saved models, as `fer eval` and `fer compare` run them: load the model
 * and its meta.json (or an unfinished run's best weights from its checkpoint, marked interim),
 * recreate its test split, predict at every noise level, build every table and write the
 * result JSON atomically. Nothing here prints; progress goes to `log`.
 */
import * as path from 'node:path';
import { portablePath } from '../env';
import { loadFer2013 } from '../data';
import type { FerDataset } from '../data';
import { loadStudyModelOrCheckpoint } from '../train';
import type { StudyModelMeta } from '../models/meta';
import { writeJsonAtomic } from '../util/atomic';
import { FerError } from '../util/errors';
import { checkOutputFile } from '../util/output-path';
import { recalibrateBatchNorm } from './bn-recalibrate';
import {
  calibrationRowsFor,
  compareResultFromRuns,
  evaluateLoaded,
  levelsFor,
  modelNameOf,
  predictModel,
  resultsDir,
  seedsFor,
  testIndicesFor,
  type EvalOptions,
} from './evaluate';
import type { CompareResult, EvalResult } from './types';

export { resultsDir, type EvalOptions } from './evaluate';

/**
 * The name a model's results are filed under, from the folder that produced them: `models/<x>`
 * and `runs/<x>` give `<x>` (models/cnn -> cnn, runs/cnn-quick -> cnn-quick); deeper folders of
 * the repository join their parts (models/quick/cnn -> quick-cnn), so the quick models never take
 * the paper-scale models' names; a folder outside the repository gets its name.
 */
export function resultKey(modelDir: string): string {
  const rel = portablePath(modelDir).replace(/\/+$/, '');
  // Outside the repository: the folder's name (checkOutputFile's producer check still keeps
  // another folder's result of that name from being replaced).
  if (path.isAbsolute(rel) || rel.startsWith('..'))
    return slug(path.basename(path.resolve(modelDir)));
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length > 1 && (parts[0] === 'models' || parts[0] === 'runs')) parts.shift();
  return slug(parts.join('-')) || 'model';
}

const slug = (s: string): string => s.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '');

/** What makes an evaluation differ from the default full one (paper noise, 3 seeds, ...). */
export interface EvalVariant {
  limit?: number;
  noise?: 'paper' | 'none';
  noiseSeeds?: number;
  bootstrapResamples?: number;
  timing?: boolean;
  recalibrateBn?: number;
  dropLeakedTest?: boolean;
}

/**
 * Suffix naming every setting that differs from the full evaluation, e.g. '-limit2000-seeds1';
 * '' for the default. A subset or differently configured run thus never replaces the full one.
 */
export function variantSuffix(v: EvalVariant): string {
  const p: string[] = [];
  if (v.dropLeakedTest) p.push('deleaked');
  if (v.recalibrateBn !== undefined && v.recalibrateBn !== RECALIBRATE_BN_IMAGES)
    p.push(`n${v.recalibrateBn}`);
  if (v.limit !== undefined && v.limit > 0) p.push(`limit${v.limit}`);
  if (v.noise === 'none') p.push('clean');
  else if (v.noiseSeeds !== undefined && v.noiseSeeds !== 3) p.push(`seeds${v.noiseSeeds}`);
  if (v.bootstrapResamples !== undefined && v.bootstrapResamples !== 1000)
    p.push(`boot${v.bootstrapResamples}`);
  if (v.timing === false) p.push('notiming');
  return p.map((x) => `-${x}`).join('');
}

/** The BatchNorm re-estimation sample of the README's recipe (`--recalibrate-bn 4000`). */
export const RECALIBRATE_BN_IMAGES = 4000;

/**
 * results/<resultKey>/eval<suffix>.json; with BatchNorm re-estimation
 * eval-bn-recalibrated<suffix>.json, where another sample size than the recipe's 4000 images is
 * part of the suffix (-n1000).
 */
export function defaultEvalPath(modelDir: string, v: EvalVariant = {}): string {
  const base = v.recalibrateBn === undefined ? 'eval' : 'eval-bn-recalibrated';
  return path.join(resultsDir(), resultKey(modelDir), `${base}${variantSuffix(v)}.json`);
}

/** results/compare-<keyA>-<keyB><suffix>.json */
export function defaultComparePath(dirA: string, dirB: string, v: EvalVariant = {}): string {
  return path.join(
    resultsDir(),
    `compare-${resultKey(dirA)}-${resultKey(dirB)}${variantSuffix({ ...v, bootstrapResamples: undefined, timing: undefined })}.json`,
  );
}

/** The model folder a result JSON names (EvalResult.model.dir), made comparable. */
function sameDir(recorded: unknown, modelDir: string): boolean {
  if (typeof recorded !== 'string') return false;
  return recorded === portablePath(modelDir) || path.resolve(recorded) === path.resolve(modelDir);
}

/**
 * For checkOutputFile: null when an existing result may be replaced by this model's (it names
 * the same model folder), else why not.
 */
export function producedBy(
  ...dirs: string[]
): (existing: Record<string, unknown>) => string | null {
  return (j) => {
    const refs = j.schema === 'fer-compare/1' ? [j.a, j.b] : [j.model];
    const recorded = refs.map((r) =>
      r !== null && typeof r === 'object' ? (r as { dir?: unknown }).dir : undefined,
    );
    if (recorded.length === dirs.length && recorded.every((r, i) => sameDir(r, dirs[i])))
      return null;
    return `holds the result of ${recorded.map((r) => String(r)).join(' vs ')}, not of ${dirs.map((d) => portablePath(d)).join(' vs ')}`;
  };
}

/** Predictions are cached under <results>/.pred-cache unless the caller says otherwise. */
function cacheRoot(opts: EvalOptions): string | null {
  return opts.predictionCache === undefined
    ? path.join(resultsDir(), '.pred-cache')
    : opts.predictionCache;
}

async function datasetFor(opts: EvalOptions, ds?: FerDataset): Promise<FerDataset> {
  return ds ?? loadFer2013({ csv: opts.csv, cacheDir: opts.cacheDir, log: opts.log });
}

/** `fer eval`: evaluate the saved model in `modelDir` and write `out` (if given) atomically. */
export async function runEval(
  modelDir: string,
  opts: EvalOptions & { out?: string; ds?: FerDataset } = {},
): Promise<EvalResult> {
  const { model, meta } = await loadStudyModelOrCheckpoint(modelDir);
  try {
    const ds = await datasetFor(opts, opts.ds);
    const { indices, info } = testIndicesFor(ds, meta, opts.limit, opts);
    let recal: EvalResult['bnRecalibration'];
    if (opts.recalibrateBn !== undefined) {
      const rows = calibrationRowsFor(ds, meta, opts.recalibrateBn);
      opts.log?.(`re-estimating BatchNorm statistics on ${rows.length} training images`);
      recal = recalibrateBatchNorm(model, ds, rows);
    }
    const r = await evaluateLoaded(model, meta, modelDir, ds, indices, info, {
      ...opts,
      // Re-estimated statistics are not in the weight files that key the cache, and a
      // checkpoint's best weights are no model folder.
      predictionCache: recal || meta.interim ? null : cacheRoot(opts),
    });
    if (recal) r.bnRecalibration = recal;
    if (opts.out) {
      checkOutputFile(opts.out, r.schema);
      writeJsonAtomic(opts.out, r);
    }
    return r;
  } finally {
    model.dispose();
  }
}

/**
 * `fer compare`: McNemar's exact test of model A vs model B on the same test images, clean and
 * at each noise level with identical noise (same seeds), claim 3 on the informative band
 * (paired bootstrap over images, `bootstrapResamples`, default 1000) and the per-image
 * correctness of both. Both must share dataset and split. `recalibrateBn` re-estimates both
 * models' BatchNorm statistics first; `dropLeakedTest` uses the de-leaked test set.
 */
export async function runCompare(
  dirA: string,
  dirB: string,
  opts: EvalOptions & { out?: string; ds?: FerDataset } = {},
): Promise<CompareResult> {
  const a = await loadStudyModelOrCheckpoint(dirA);
  try {
    const b = await loadStudyModelOrCheckpoint(dirB);
    try {
      const cfgSeed = (m: StudyModelMeta): unknown => m.config.splitSeed ?? m.seed;
      if (a.meta.split !== b.meta.split || cfgSeed(a.meta) !== cfgSeed(b.meta))
        throw new FerError(
          `the models were tested on different splits (${a.meta.split}/${String(cfgSeed(a.meta))} vs ${b.meta.split}/${String(cfgSeed(b.meta))}); a paired test needs the same images`,
        );
      const ds = await datasetFor(opts, opts.ds);
      const { indices, info } = testIndicesFor(ds, a.meta, opts.limit, opts);
      testIndicesFor(ds, b.meta); // same dataset check for B
      let recal: CompareResult['bnRecalibration'];
      if (opts.recalibrateBn !== undefined) {
        opts.log?.(`re-estimating BatchNorm statistics on ${opts.recalibrateBn} training images`);
        recal = {
          a: recalibrateBatchNorm(a.model, ds, calibrationRowsFor(ds, a.meta, opts.recalibrateBn)),
          b: recalibrateBatchNorm(b.model, ds, calibrationRowsFor(ds, b.meta, opts.recalibrateBn)),
        };
      }
      const yTrue = Int32Array.from(indices, (i) => ds.labels[i]);
      const lv = {
        levels: levelsFor(opts),
        seeds: seedsFor(opts),
        batchSize: opts.batchSize,
        // Re-estimated statistics are not in the weight files that key the cache, and a
        // checkpoint's best weights are no model folder.
        cacheRoot: recal || a.meta.interim || b.meta.interim ? null : cacheRoot(opts),
      };
      opts.log?.(`predicting with ${modelNameOf(dirA)}`);
      const ra = await predictModel(a.model, dirA, ds, indices, lv);
      opts.log?.(`predicting with ${modelNameOf(dirB)}`);
      const rb = await predictModel(b.model, dirB, ds, indices, lv);
      const r: CompareResult = {
        ...compareResultFromRuns(
          { dir: dirA, meta: a.meta, runs: ra.runs },
          { dir: dirB, meta: b.meta, runs: rb.runs },
          info,
          yTrue,
          { bootstrapResamples: opts.bootstrapResamples },
        ),
        ...(recal ? { bnRecalibration: recal } : {}),
      };
      if (opts.out) {
        checkOutputFile(opts.out, r.schema);
        writeJsonAtomic(opts.out, r);
      }
      return r;
    } finally {
      b.model.dispose();
    }
  } finally {
    a.model.dispose();
  }
}
