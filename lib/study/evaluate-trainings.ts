/**
 * Every published training of a config beyond the headline pair, evaluated with the config's
 * budget: further seeds of the paper pair through `evaluateStudy` (both eval.json files and the
 * paired comparison), every other design, or a paper model whose partner seed is not trained
 * yet, on its own through the same prediction and table code. No timing: Table 2 and claim 2b
 * come from the headline pair's paired timing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { loadFer2013 } from '../data';
import type { FerDataset } from '../data';
import { configRecord, type StudyConfig } from '../config';
import { portablePath } from '../env';
import {
  evalResultFromPredictions,
  levelsFor,
  predictModel,
  seedsFor,
  testIndicesFor,
  type EvalOptions,
} from '../eval/evaluate';
import type { EvalResult } from '../eval/types';
import { PAPER_NOISE_LEVELS } from '../data/noise';
import type { StudyModelMeta } from '../models/meta';
import { loadStudyModel } from '../train';
import { readJsonFile, writeJsonAtomic } from '../util/atomic';
import { evalBudget, evaluateStudy, readMeta, type EvalBudget } from './index';
import { publishedTrainings, type PublishedTraining } from './trainings';

export interface EvaluatedTraining {
  training: PublishedTraining;
  result: EvalResult;
  /** results/<folder>/eval.json. */
  file: string;
  /** The eval.json there was already of this model folder, weights and budget. */
  reused: boolean;
  /** The training of the same seed it was compared with (paper pair only). */
  pairedWith: string | null;
}

export interface TrainingsEvaluation {
  evaluated: EvaluatedTraining[];
  /** results/compare-<a>-<b>.json of each further seed pair. */
  compares: string[];
  /** Entries of the config's trainings, other than the headline pair, not published yet. */
  missing: PublishedTraining[];
}

/** results/<folder>/eval.json of a model folder. */
function evalFileOf(resultsDir: string, dir: string): string {
  return path.join(resultsDir, path.basename(path.resolve(dir)), 'eval.json');
}

/**
 * The eval.json already in `file` when it is of this model folder, these weights and this
 * budget, else null. meta.json is written with the weights in one atomic folder swap
 * (saveStudyModel), so an unchanged meta.json (createdAt to the millisecond) means the same
 * weights.
 */
export function reusableEval(
  file: string,
  dir: string,
  meta: StudyModelMeta,
  budget: EvalBudget,
): EvalResult | null {
  if (!fs.existsSync(file)) return null;
  const r = readJsonFile<EvalResult>(file);
  if (r.schema !== 'fer-eval/1' || r.bnRecalibration || r.data.leakedTestDropped !== undefined)
    return null;
  const sameDir =
    r.model.dir === portablePath(dir) || path.resolve(r.model.dir) === path.resolve(dir);
  const noisy = r.table34.levels.filter((l) => l.level > 0);
  const sameBudget =
    (budget.limit === null ? !r.data.limited : r.data.limited && r.data.nTest === budget.limit) &&
    noisy.length === PAPER_NOISE_LEVELS.length &&
    noisy.every((l) => l.seeds.length === budget.noiseSeeds) &&
    (r.table1.bootstrap?.resamples ?? 0) === budget.bootstrapResamples;
  return sameDir && sameBudget && isDeepStrictEqual(r.model.meta, meta) ? r : null;
}

/**
 * Evaluate every published training of `config` other than its headline pair (notebook 04's
 * models), with the config's budget. Results go to `<resultsDir>/<folder>/eval.json` (and
 * `compare-<cnn-sN>-<cnn-lstm-sN>.json` per further seed); predictions are cached under
 * `<resultsDir>/.pred-cache/`, and an eval.json of the same folder, weights and budget is
 * reused, so nothing is evaluated twice.
 */
export async function evaluateTrainings(
  config: StudyConfig,
  opts: {
    resultsDir: string;
    /** Where models/ lives (default the repository). */
    root?: string;
    ds?: FerDataset;
    csv?: string;
    batchSize?: number;
    /** Reuse saved predictions and eval.json files (default true). */
    cache?: boolean;
    log?: (s: string) => void;
  },
): Promise<TrainingsEvaluation> {
  const log = opts.log ?? ((): void => undefined);
  const budget = evalBudget({ config });
  const record = configRecord(config);
  const cache = opts.cache !== false;
  const all = publishedTrainings(config, opts.root);
  const further = all.filter((t) => !t.headline && t.exists);
  const missing = all.filter((t) => !t.headline && !t.exists);
  const evaluated: EvaluatedTraining[] = [];
  const compares: string[] = [];
  if (further.length === 0) return { evaluated, compares, missing };
  let ds = opts.ds;
  const dataset = async (): Promise<FerDataset> =>
    (ds ??= await loadFer2013({ csv: opts.csv, log }));
  const reuse = (t: PublishedTraining): EvalResult | null => {
    const meta = readMeta(t.dir);
    return cache && meta
      ? reusableEval(evalFileOf(opts.resultsDir, t.dir), t.dir, meta, budget)
      : null;
  };

  // Further seeds of the paper pair: paired, as notebook 04 evaluates seed 1.
  const done = new Set<PublishedTraining>();
  for (const a of further.filter((t) => t.entry.model === 'cnn')) {
    const b = further.find((t) => t.entry.model === 'cnn-lstm' && t.entry.seed === a.entry.seed);
    if (!b) continue;
    done.add(a).add(b);
    const compareFile = path.join(
      opts.resultsDir,
      `compare-${path.basename(a.dir)}-${path.basename(b.dir)}.json`,
    );
    const ra = reuse(a);
    const rb = reuse(b);
    if (ra && rb && fs.existsSync(compareFile)) {
      log(`${a.name}, ${b.name}: results already there`);
      evaluated.push(
        {
          training: a,
          result: ra,
          file: evalFileOf(opts.resultsDir, a.dir),
          reused: true,
          pairedWith: b.name,
        },
        {
          training: b,
          result: rb,
          file: evalFileOf(opts.resultsDir, b.dir),
          reused: true,
          pairedWith: a.name,
        },
      );
      compares.push(compareFile);
      continue;
    }
    log(`${a.name} vs ${b.name}: evaluating`);
    const s = await evaluateStudy(
      { cnn: a.dir, 'cnn-lstm': b.dir },
      {
        budget,
        resultsDir: opts.resultsDir,
        ds: await dataset(),
        batchSize: opts.batchSize,
        timing: false,
        cache,
        config: record,
        log,
      },
    );
    evaluated.push(
      { training: a, result: s.evals.cnn, file: s.files[0], reused: false, pairedWith: b.name },
      {
        training: b,
        result: s.evals['cnn-lstm'],
        file: s.files[1],
        reused: false,
        pairedWith: a.name,
      },
    );
    compares.push(s.files[2]);
  }

  // Every other design, and a paper model whose partner of the same seed is not there yet.
  for (const t of further.filter((x) => !done.has(x))) {
    const file = evalFileOf(opts.resultsDir, t.dir);
    const reused = reuse(t);
    if (reused) {
      log(`${t.name}: result already there`);
      evaluated.push({ training: t, result: reused, file, reused: true, pairedWith: null });
      continue;
    }
    log(`${t.name}: evaluating`);
    const result = await evaluateOne(t.dir, budget, {
      ds: await dataset(),
      cacheRoot: cache ? path.join(opts.resultsDir, '.pred-cache') : null,
      batchSize: opts.batchSize,
      config: record,
      log: (s) => log(`${t.name}: ${s}`),
    });
    writeJsonAtomic(file, result);
    evaluated.push({ training: t, result, file, reused: false, pairedWith: null });
  }
  return { evaluated, compares, missing };
}

/** One saved model through the path `evaluateStudy` takes for each of its two. */
async function evaluateOne(
  dir: string,
  budget: EvalBudget,
  opts: {
    ds: FerDataset;
    cacheRoot: string | null;
    batchSize?: number;
    config: ReturnType<typeof configRecord>;
    log: (s: string) => void;
  },
): Promise<EvalResult> {
  const { model, meta } = await loadStudyModel(dir);
  try {
    const { indices, info } = testIndicesFor(opts.ds, meta, budget.limit ?? undefined);
    const yTrue = Int32Array.from(indices, (i) => opts.ds.labels[i]);
    const evalOpts: EvalOptions = {
      noise: 'paper',
      noiseSeeds: budget.noiseSeeds,
      bootstrapResamples: budget.bootstrapResamples,
      timing: false,
    };
    const p = await predictModel(model, dir, opts.ds, indices, {
      levels: levelsFor(evalOpts),
      seeds: seedsFor(evalOpts),
      batchSize: opts.batchSize,
      cacheRoot: opts.cacheRoot,
    });
    if (p.cachedRuns > 0)
      opts.log(`${p.cachedRuns} of ${p.runs.length} runs read from the prediction cache`);
    return await evalResultFromPredictions(model, meta, dir, info, yTrue, p, {
      ...evalOpts,
      config: opts.config,
      log: opts.log,
    });
  } finally {
    model.dispose();
  }
}
