/**
 * Our measured accuracy-vs-noise curves for the teaching page's chart, read from the committed
 * evaluation results (`results/<model>/eval.json`, an `EvalResult`): per noise level the mean
 * accuracy over noise draws and its min–max. A missing or unreadable file is not an error: the
 * page then shows the paper's curves alone and says why.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { portablePath, repoPath } from '../env';
import type { EvalResult, NoiseLevelResult } from '../eval/types';
import { MODEL_NAMES, type ModelName } from '../models/meta';

/** One noise level of one model: accuracy over the noise draws. */
export interface MeasuredPoint {
  /** Gaussian sigma as a fraction of the pixel range; 0 = clean (Table 1's accuracy). */
  level: number;
  mean: number;
  min: number;
  max: number;
  /** Number of noise draws the mean is over (1 for the clean level). */
  draws: number;
}

/** One model's measured curve and what it was measured on, for the chart's labels. */
export interface MeasuredCurve {
  model: ModelName;
  /** The result file, repository-relative (never absolute). */
  source: string;
  /** Training profile of the evaluated model ('paper' = the paper-scale models). */
  profile: string;
  /** Training seed of the evaluated model. */
  seed: number;
  /** Test images evaluated, and the size of the split's whole test set. */
  nTest: number;
  nTestFull: number;
  split: string;
  points: MeasuredPoint[];
}

/** `/api/measured.json`: the curves found, and for each model without one, why. */
export interface MeasuredPayload {
  curves: Partial<Record<ModelName, MeasuredCurve>>;
  missing: { model: ModelName; source: string; reason: string }[];
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Table 3's accuracy per level, as stored in `table34.levels` (which `fer eval` writes with the
 * clean level 0 first): mean and min–max over the noise draws, sorted by level. Throws when a
 * level lacks a finite level or accuracy statistic.
 */
export function noiseCurve(levels: readonly NoiseLevelResult[]): MeasuredPoint[] {
  return levels
    .map((l, i) => {
      const a = l?.accuracy;
      if (!finite(l?.level) || !a || !finite(a.mean) || !finite(a.min) || !finite(a.max))
        throw new Error(`table34.levels[${i}] has no finite level and accuracy mean/min/max`);
      const draws = Array.isArray(a.values) ? a.values.length : (l.seeds?.length ?? 1);
      return { level: l.level, mean: a.mean, min: a.min, max: a.max, draws };
    })
    .sort((p, q) => p.level - q.level);
}

/** A result file's name for the page: repository-relative, else `<model>/eval.json`. */
function sourceName(file: string, model: ModelName): string {
  const p = portablePath(file);
  return path.isAbsolute(p) ? `${model}/eval.json` : p;
}

/** One model's curve from its parsed eval.json; throws (with a short reason) when it is not one. */
export function measuredCurve(model: ModelName, r: EvalResult, source: string): MeasuredCurve {
  if (r === null || typeof r !== 'object' || r.schema !== 'fer-eval/1')
    throw new Error(`not a fer-eval/1 result`);
  const arch = r.model?.meta?.architecture;
  // results/cnn must hold the CNN's evaluation: another design there would mislabel the chart.
  if (arch !== model) throw new Error(`holds the evaluation of '${String(arch)}', not '${model}'`);
  if (!Array.isArray(r.table34?.levels) || r.table34.levels.length === 0)
    throw new Error('has no noise levels (table34)');
  if (!finite(r.model.meta.seed)) throw new Error('has no training seed (model.meta.seed)');
  return {
    model,
    source,
    profile: String(r.model.meta.profile ?? 'unknown'),
    seed: r.model.meta.seed,
    nTest: r.data?.nTest ?? r.table34.n,
    nTestFull: r.data?.nTestFull ?? r.table34.n,
    split: String(r.data?.split ?? 'unknown'),
    points: noiseCurve(r.table34.levels),
  };
}

/** $FER_RESULTS_DIR, else the repository's results/: where `fer eval` writes eval.json. */
export function defaultResultsDir(env: Record<string, string | undefined> = process.env): string {
  return path.resolve(env.FER_RESULTS_DIR?.trim() || repoPath('results'));
}

/**
 * Both models' curves from `<resultsDir>/cnn/eval.json` and `<resultsDir>/cnn-lstm/eval.json`.
 * Never throws for a bad file: it is listed in `missing` with a reason free of absolute paths.
 */
export function loadMeasuredCurves(resultsDir = defaultResultsDir()): MeasuredPayload {
  const out: MeasuredPayload = { curves: {}, missing: [] };
  for (const model of MODEL_NAMES) {
    const file = path.join(resultsDir, model, 'eval.json');
    const source = sourceName(file, model);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      out.missing.push({
        model,
        source,
        reason: code === 'ENOENT' ? 'missing' : `unreadable (${code ?? 'error'})`,
      });
      continue;
    }
    try {
      out.curves[model] = measuredCurve(model, JSON.parse(text) as EvalResult, source);
    } catch (e) {
      const reason = e instanceof SyntaxError ? 'not valid JSON' : (e as Error).message;
      out.missing.push({ model, source, reason });
    }
  }
  return out;
}
