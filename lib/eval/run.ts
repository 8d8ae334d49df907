/**
 * Whole evaluations of saved models, as `fer eval` and `fer compare` run them: load the model
 * and its meta.json (or an unfinished run's best weights from its checkpoint, marked interim),
 * recreate its test split, predict at every noise level, build every table and write the
 * result JSON atomically. Nothing here prints; progress goes to `log`.
 */
import * as path from 'node:path';
import { loadFer2013 } from '../data';
import type { FerDataset } from '../data';
import { loadStudyModelOrCheckpoint } from '../train';
import type { StudyModelMeta } from '../train/meta';
import { writeJsonAtomic } from '../util/atomic';
import { FerError } from '../util/errors';
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

export { defaultComparePath, defaultEvalPath, resultsDir, type EvalOptions } from './evaluate';

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
      // Re-estimated statistics are not in the weight files that key the cache.
      predictionCache: recal ? null : cacheRoot(opts),
    });
    if (recal) r.bnRecalibration = recal;
    if (opts.out) writeJsonAtomic(opts.out, r);
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
        // Re-estimated statistics are not in the weight files that key the cache.
        cacheRoot: recal ? null : cacheRoot(opts),
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
      if (opts.out) writeJsonAtomic(opts.out, r);
      return r;
    } finally {
      b.model.dispose();
    }
  } finally {
    a.model.dispose();
  }
}
