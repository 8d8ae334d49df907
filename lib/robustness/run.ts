/**
 * Whole robustness evaluations of saved models, as `fer robustness` runs them (the suite itself
 * is ./robustness.ts):
 * - `runRobustnessEval`: one model on every corruption family and severity of its own test split
 *   (recreated from meta.json), optionally against a reference model (CE, relative CE, mCE and
 *   paired tests) and scored against FER+ labels; written to results/robustness/<name>.json.
 * - `runAugmentationExperiment`: plain vs noise-augmented CNN and hybrid at the paper's noise
 *   levels (Tables 3/4), on one fixed stratified test subset, with the CNN-vs-hybrid gap.
 * Nothing here prints; progress goes to `log`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  CORRUPTIONS,
  CORRUPTION_SPECS,
  SEVERITIES,
  type CorruptionName,
  type CorruptionSpec,
  type Severity,
} from './corruptions';
import { loadFer2013, PAPER_NOISE_LEVELS } from '../data';
import type { FerDataset } from '../data';
import { checkFerPlusAlignment, loadFerPlus } from './ferplus';
import { loadStudyModel } from '../train';
import type { StudyModelMeta } from '../models/meta';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import { FerError } from '../util/errors';
import { modelNameOf, resultsDir, testIndicesFor } from '../eval/evaluate';
import { pairedLevels, predictLevels, table34FromPredictions } from '../eval/experiments';
import { argmaxRows } from '../eval/metrics';
import { ferPlusEval, resolveFerPlusPath, type FerPlusEvalResult } from './ferplus-eval';
import {
  corruptionErrors,
  familyMeans,
  modelPredictor,
  pairedFamilyTests,
  runRobustness,
  type FamilyMean,
  type FamilyPairedTest,
  type FamilyScore,
  type RobustnessCell,
  type RobustnessRun,
} from './suite';
import type { EvalDataInfo, PairedLevelResult, Table34Result } from '../eval/types';
import { portablePath } from '../env';
import { backendThreads } from '../backend';

/** One line: the per-image predictions (41 x n numbers) would take a line each when indented. */
function writeCompactJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value) + '\n');
}

/** results/robustness/<model folder name>.json */
export function defaultRobustnessPath(modelDir: string): string {
  return path.join(resultsDir(), 'robustness', `${modelNameOf(modelDir)}.json`);
}

/** results/robustness/augmentation.json */
export function defaultAugmentationPath(): string {
  return path.join(resultsDir(), 'robustness', 'augmentation.json');
}

export interface ModelRef {
  name: string;
  dir: string;
  meta: StudyModelMeta;
}

/** This model against the reference (the paper's CNN): A = this model, B = the reference. */
export interface RobustnessReference extends ModelRef {
  clean: RobustnessRun['clean'];
  cells: RobustnessCell[];
  familyMeans: FamilyMean[];
  families: FamilyScore[];
  mCE: number;
  relativeMCE: number;
  pairedTests: FamilyPairedTest[];
  /** Whether the reference's run was read from its own result file instead of recomputed. */
  reused: boolean;
}

/** `results/robustness/<model>.json`. */
export interface RobustnessResult {
  schema: 'fer-robustness/1';
  createdAt: string;
  model: ModelRef;
  data: EvalDataInfo;
  /** The backend that computed `run` (carried over when `run` is reused). */
  backend: string;
  /** Compute threads of `backend` (absent in results written before it was recorded). */
  threads?: number;
  /** Wall seconds of this evaluation (the reference's included when computed). */
  seconds: number;
  corruptions: { seed: number; severities: Severity[]; families: CorruptionSpec[] };
  run: RobustnessRun;
  /** Whether `run` was read from an earlier result of the same model instead of recomputed. */
  reused: boolean;
  /** When and in how many wall seconds `run` was computed (carried over when reused). */
  computed: { at: string; seconds: number };
  familyMeans: FamilyMean[];
  reference: RobustnessReference | null;
  /** Clean predictions on the whole test split (whatever --limit) scored against FER+. */
  ferplus: FerPlusEvalResult | null;
  /** Why FER+ was not evaluated, when it was not. */
  ferplusSkipped?: string;
}

export interface RobustnessEvalOptions {
  families?: readonly CorruptionName[];
  severities?: readonly Severity[];
  /** Corruption seed (default 0). */
  seed?: number;
  /** A stratified subset of this many test images (seed 0, as `fer eval --limit`). */
  limit?: number;
  /** Folder of the reference model (the CNN) for CE / mCE and the paired tests. */
  ref?: string;
  /**
   * Reuse a saved run (this model's `out`, the reference's file beside it) made by the same
   * model (meta.json createdAt) on the same rows, seed and cells, instead of recomputing it
   * (default true). Lets `--ref` combine suites that were run separately, in parallel.
   */
  reuse?: boolean;
  /** FER+ file; undefined = look beside $FER2013_CSV; null = skip FER+. */
  ferplus?: string | null;
  csv?: string;
  cacheDir?: string;
  batchSize?: number;
  /** Write the result here (atomically); the reference's own result goes beside it. */
  out?: string;
  /**
   * The reference's result file, read for reuse and written when computed (default: beside
   * `out`, named after the reference's folder), so a reference saved under another name (a
   * paper-scale CNN beside a small one of the same folder name) can be reused.
   */
  refOut?: string;
  ds?: FerDataset;
  log?: (s: string) => void;
}

function parseFamilies(fams: readonly string[]): CorruptionName[] {
  for (const f of fams)
    if (!(CORRUPTIONS as readonly string[]).includes(f))
      throw new FerError(`unknown corruption family '${f}' (known: ${CORRUPTIONS.join(', ')})`);
  return [...fams] as CorruptionName[];
}

/** "gaussian-noise,jpeg" -> families; "all" or undefined -> every family. */
export function parseFamilyList(s: string | undefined): CorruptionName[] {
  if (s === undefined || s === 'all') return [...CORRUPTIONS];
  return parseFamilies(
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
  );
}

/** "1-5", "3", "1,3,5" -> severities. */
export function parseSeverityList(s: string | undefined): Severity[] {
  if (s === undefined) return [...SEVERITIES];
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^\s*([1-5])\s*(?:-\s*([1-5])\s*)?$/.exec(part);
    if (!m) throw new FerError(`--severities must be like 1-5, 3 or 1,3,5, got '${s}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new FerError(`--severities range '${part.trim()}' is reversed`);
    for (let v = a; v <= b; v++) out.add(v);
  }
  return [...out].sort((x, y) => x - y) as Severity[];
}

/** `run` restricted to the given cells (a reference may cover more than this run). */
function restrict(run: RobustnessRun, keys: Set<string>): RobustnessRun {
  const cells = run.cells.filter((c) => keys.has(`${c.family}/${c.severity}`));
  const predictions: Record<string, number[]> = { clean: run.predictions.clean };
  for (const k of keys) predictions[k] = run.predictions[k];
  return { ...run, cells, predictions };
}

/** A saved result, if it was made by the same model on the same rows, seed and cells. */
function reusableRun(
  file: string,
  meta: StudyModelMeta,
  rows: Int32Array,
  seed: number,
  keys: Set<string>,
): RobustnessResult | null {
  if (!fs.existsSync(file)) return null;
  let r: RobustnessResult;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8')) as RobustnessResult;
  } catch {
    return null;
  }
  const run = r.run;
  if (
    r.schema !== 'fer-robustness/1' ||
    r.model.meta.createdAt !== meta.createdAt ||
    r.model.meta.datasetSha256 !== meta.datasetSha256 ||
    run.seed !== seed ||
    run.rows.length !== rows.length ||
    run.rows.some((v, i) => v !== rows[i]) ||
    [...keys].some((k) => !run.predictions[k])
  )
    return null;
  return r;
}

/** The FER+ labels to score against, looked up before any work so a bad path fails fast. */
function ferPlusSource(opts: RobustnessEvalOptions): { file: string | null; why?: string } {
  if (opts.ferplus === null) return { file: null, why: 'not requested' };
  const file = resolveFerPlusPath(opts.ferplus, opts.csv ? { FER2013_CSV: opts.csv } : process.env);
  return file === null
    ? { file, why: 'no fer2013new.csv(.gz) beside the FER2013 CSV and no --ferplus given' }
    : { file };
}

type FerPlusPart = { ferplus: FerPlusEvalResult | null; ferplusSkipped?: string };

/**
 * FER+ scores of a model's clean predictions on its *whole* test split (not the --limit
 * subset: clean predictions are cheap, and FER+ drops rows, so every row counts). Rows inside
 * the subset reuse the suite's predictions.
 */
async function ferPlusFor(
  src: { file: string | null; why?: string },
  model: tf.LayersModel,
  meta: StudyModelMeta,
  ds: FerDataset,
  run: RobustnessRun,
  batchSize?: number,
): Promise<FerPlusPart> {
  if (src.file === null) return { ferplus: null, ferplusSkipped: src.why };
  const fp = loadFerPlus(src.file);
  checkFerPlusAlignment(fp, ds.usage);
  const all = testIndicesFor(ds, meta).indices;
  const known = new Map(run.rows.map((r, k) => [r, run.predictions.clean[k]]));
  const missing = all.filter((r) => !known.has(r));
  const pred = argmaxRows(await modelPredictor(model, batchSize)(ds, missing));
  missing.forEach((r, k) => known.set(r, pred[k]));
  return {
    ferplus: ferPlusEval(
      Array.from(all, (r) => known.get(r)!),
      all,
      ds.labels,
      fp,
    ),
  };
}

/** `fer robustness`: the suite on one saved model (and its reference), written to `out`. */
export async function runRobustnessEval(
  modelDir: string,
  opts: RobustnessEvalOptions = {},
): Promise<RobustnessResult> {
  const t0 = Date.now();
  const log = opts.log ?? ((): void => undefined);
  const families = parseFamilies(opts.families ?? CORRUPTIONS);
  const severities = [...(opts.severities ?? SEVERITIES)];
  const seed = opts.seed ?? 0;
  const keys = new Set(families.flatMap((f) => severities.map((s) => `${f}/${s}`)));
  const fpSource = ferPlusSource(opts);
  const ds =
    opts.ds ?? (await loadFer2013({ csv: opts.csv, cacheDir: opts.cacheDir, log: opts.log }));
  const { model, meta } = await loadStudyModel(modelDir);
  let run: RobustnessRun;
  let rows: Int32Array;
  let info: EvalDataInfo;
  let fpPart: FerPlusPart;
  let saved: RobustnessResult | null = null;
  let computed = { at: '', seconds: 0 };
  try {
    ({ indices: rows, info } = testIndicesFor(ds, meta, opts.limit));
    const total = families.length * severities.length;
    if (opts.out && opts.reuse !== false) saved = reusableRun(opts.out, meta, rows, seed, keys);
    if (saved) {
      log(`${modelNameOf(modelDir)}: reusing the matching run in ${opts.out}`);
      computed = saved.computed ?? { at: saved.createdAt, seconds: saved.seconds };
      run = restrict(saved.run, keys);
    } else {
      log(`${modelNameOf(modelDir)}: ${rows.length} test images, clean + ${total} corrupted views`);
      run = await runRobustness(modelPredictor(model, opts.batchSize), ds, rows, {
        families,
        severities,
        seed,
        onCell: (done, n, c) =>
          log(
            `  [${done}/${n}] ${c.family} s${c.severity}: accuracy ${c.accuracy.toFixed(3)}, weighted F1 ${c.weightedF1.toFixed(3)}`,
          ),
      });
      computed = { at: new Date().toISOString(), seconds: (Date.now() - t0) / 1000 };
    }
    fpPart =
      saved?.ferplus && saved.ferplus.source === fpSource.file
        ? { ferplus: saved.ferplus }
        : await ferPlusFor(fpSource, model, meta, ds, run, opts.batchSize);
  } finally {
    model.dispose();
  }
  const self: ModelRef = { name: modelNameOf(modelDir), dir: portablePath(modelDir), meta };
  const base = {
    schema: 'fer-robustness/1' as const,
    data: info,
    backend: tf.getBackend(),
    threads: backendThreads(tf.getBackend()),
    corruptions: { seed, severities, families: families.map((f) => CORRUPTION_SPECS[f]) },
  };

  let reference: RobustnessReference | null = null;
  if (opts.ref !== undefined) {
    const refDir = opts.ref;
    const refFile =
      opts.refOut ??
      (opts.out
        ? path.join(path.dirname(opts.out), `${modelNameOf(refDir)}.json`)
        : defaultRobustnessPath(refDir));
    const refLoaded = await loadStudyModel(refDir);
    let refRun: RobustnessRun | null = null;
    let reused = false;
    try {
      const refRows = testIndicesFor(ds, refLoaded.meta, opts.limit).indices;
      if (refRows.length !== rows.length || refRows.some((v, i) => v !== rows[i]))
        throw new FerError(
          `the reference model was tested on other images (split ${refLoaded.meta.split} vs ${meta.split}); CE and paired tests need the same rows`,
          path.join(refDir, 'meta.json'),
        );
      if (opts.reuse !== false)
        refRun = reusableRun(refFile, refLoaded.meta, rows, seed, keys)?.run ?? null;
      if (refRun) {
        reused = true;
        log(`reference ${modelNameOf(refDir)}: reusing ${refFile}`);
      } else {
        log(`reference ${modelNameOf(refDir)}: running the same suite`);
        const tr = Date.now();
        refRun = await runRobustness(modelPredictor(refLoaded.model, opts.batchSize), ds, rows, {
          families,
          severities,
          seed,
        });
        const refResult: RobustnessResult = {
          ...base,
          createdAt: new Date().toISOString(),
          model: { name: modelNameOf(refDir), dir: portablePath(refDir), meta: refLoaded.meta },
          seconds: (Date.now() - tr) / 1000,
          run: refRun,
          reused: false,
          computed: { at: new Date().toISOString(), seconds: (Date.now() - tr) / 1000 },
          familyMeans: familyMeans(refRun),
          reference: null,
          ...(await ferPlusFor(
            fpSource,
            refLoaded.model,
            refLoaded.meta,
            ds,
            refRun,
            opts.batchSize,
          )),
        };
        writeCompactJson(refFile, refResult);
      }
    } finally {
      refLoaded.model.dispose();
    }
    const refSub = restrict(refRun, keys);
    const ce = corruptionErrors(run, refSub);
    reference = {
      name: modelNameOf(refDir),
      dir: portablePath(refDir),
      meta: refLoaded.meta,
      clean: refSub.clean,
      cells: refSub.cells,
      familyMeans: familyMeans(refSub),
      ...ce,
      pairedTests: pairedFamilyTests(
        run,
        refSub,
        Array.from(rows, (r) => ds.labels[r]),
      ),
      reused,
    };
  }

  const result: RobustnessResult = {
    ...base,
    // The backend that computed `run`, carried over with it when reused.
    ...(saved ? { backend: saved.backend, threads: saved.threads } : {}),
    createdAt: new Date().toISOString(),
    model: self,
    seconds: (Date.now() - t0) / 1000,
    run,
    reused: saved !== null,
    computed,
    familyMeans: familyMeans(run),
    reference,
    ...fpPart,
  };
  if (opts.out) writeCompactJson(opts.out, result);
  return result;
}

// ---------------------------------------------------------------- noise augmentation

export interface AugmentationModel extends ModelRef {
  architecture: 'cnn' | 'cnn-lstm';
  /** σ_max of the training noise (0 = plain). */
  augmentNoise: number;
  table34: Table34Result;
}

/** Hybrid minus CNN at one noise level (positive: the hybrid is better). */
export interface GapRow {
  level: number;
  plain: { accuracy: number; weightedF1: number };
  augmented: { accuracy: number; weightedF1: number };
  /** Augmented CNN minus plain hybrid: can augmentation alone match what the LSTM gives? */
  augmentedCnnVsPlainHybrid: { accuracy: number; weightedF1: number };
}

/** `results/robustness/augmentation.json`. */
export interface AugmentationResult {
  schema: 'fer-augmentation/1';
  createdAt: string;
  data: EvalDataInfo;
  backend: string;
  seconds: number;
  levels: number[];
  noiseSeeds: number[];
  /** plain CNN, plain hybrid, augmented CNN, augmented hybrid. */
  models: AugmentationModel[];
  gaps: GapRow[];
  /** McNemar per level and noise seed: plain CNN vs plain hybrid, augmented CNN vs augmented hybrid. */
  paired: { plain: PairedLevelResult[]; augmented: PairedLevelResult[] };
  /** Means over `highNoise` levels, and what they say. */
  summary: {
    highNoise: number[];
    plainGap: { accuracy: number; weightedF1: number };
    augmentedGap: { accuracy: number; weightedF1: number };
    augmentedCnnVsPlainHybrid: { accuracy: number; weightedF1: number };
    verdict: string;
  };
}

export interface AugmentationDirs {
  cnn: string;
  cnnLstm: string;
  cnnAug: string;
  cnnLstmAug: string;
}

export interface AugmentationOptions {
  /** Stratified test subset (default 2000; 0 = the whole test split). */
  limit?: number;
  /** Noise seeds per level (default 1). */
  noiseSeeds?: number;
  /** Levels averaged for the summary (default: the paper's levels >= 0.15, where its CNN collapsed). */
  highNoise?: number[];
  csv?: string;
  cacheDir?: string;
  batchSize?: number;
  out?: string;
  ds?: FerDataset;
  log?: (s: string) => void;
}

/** A gap smaller than this (accuracy, absolute) is called "no gap" in the verdict. */
export const GAP_TOLERANCE = 0.02;

/** The verdict, computed from the numbers (thresholds stated in it). */
export function augmentationVerdict(s: Omit<AugmentationResult['summary'], 'verdict'>): string {
  const f = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
  const levels = s.highNoise.map((l) => `${l * 100}%`).join(', ');
  const parts: string[] = [];
  const g = s.plainGap.accuracy;
  parts.push(
    g > GAP_TOLERANCE
      ? `Without augmentation the hybrid is ahead of the CNN under heavy noise (${levels}): accuracy ${f(g)} on average, the direction of the paper's claim.`
      : g < -GAP_TOLERANCE
        ? `Without augmentation the CNN is ahead of the hybrid under heavy noise (${levels}): accuracy ${f(g)} (hybrid minus CNN), the opposite of the paper's claim.`
        : `Without augmentation the two models are within ${GAP_TOLERANCE} accuracy of each other under heavy noise (${levels}; hybrid minus CNN ${f(g)}): there is no LSTM advantage to close.`,
  );
  const a = s.augmentedGap.accuracy;
  const c = s.augmentedCnnVsPlainHybrid.accuracy;
  if (g > GAP_TOLERANCE)
    parts.push(
      Math.abs(a) <= GAP_TOLERANCE || a < g / 2
        ? `With noise augmentation the gap shrinks to ${f(a)}: augmentation closes most of what the paper attributes to the LSTM.`
        : `With noise augmentation the gap stays at ${f(a)}: augmentation does not close it.`,
    );
  else parts.push(`With noise augmentation, hybrid minus CNN is ${f(a)}.`);
  parts.push(
    c >= -GAP_TOLERANCE
      ? `The augmented CNN scores ${f(c)} against the plain hybrid under heavy noise, i.e. augmentation alone gives a plain CNN at least the hybrid's robustness.`
      : `The augmented CNN stays ${f(c)} below the plain hybrid under heavy noise.`,
  );
  return parts.join(' ');
}

/** Plain vs noise-augmented CNN and hybrid at the paper's noise levels, on the same images. */
export async function runAugmentationExperiment(
  dirs: AugmentationDirs,
  opts: AugmentationOptions = {},
): Promise<AugmentationResult> {
  const t0 = Date.now();
  const log = opts.log ?? ((): void => undefined);
  const ds =
    opts.ds ?? (await loadFer2013({ csv: opts.csv, cacheDir: opts.cacheDir, log: opts.log }));
  const k = opts.noiseSeeds ?? 1;
  if (!(Number.isInteger(k) && k >= 1))
    throw new FerError(`--noise-seeds must be a positive integer, got ${k}`);
  const seeds = Array.from({ length: k }, (_, i) => i);
  const levels = [0, ...PAPER_NOISE_LEVELS];
  const limit = opts.limit ?? 2000;
  const roles: [keyof AugmentationDirs, 'cnn' | 'cnn-lstm', boolean][] = [
    ['cnn', 'cnn', false],
    ['cnnLstm', 'cnn-lstm', false],
    ['cnnAug', 'cnn', true],
    ['cnnLstmAug', 'cnn-lstm', true],
  ];
  let rows: Int32Array | null = null;
  let info: EvalDataInfo | null = null;
  const models: AugmentationModel[] = [];
  const runs: Awaited<ReturnType<typeof predictLevels>>['runs'][] = [];
  for (const [key, arch, augmented] of roles) {
    const dir = dirs[key];
    const { model, meta } = await loadStudyModel(dir);
    try {
      if (meta.architecture !== arch)
        throw new FerError(
          `expected a ${arch} model, found ${meta.architecture}`,
          path.join(dir, 'meta.json'),
        );
      const sigma = typeof meta.config.augmentNoise === 'number' ? meta.config.augmentNoise : 0;
      if (augmented !== sigma > 0)
        throw new FerError(
          augmented
            ? 'expected a noise-augmented model (meta.json config.augmentNoise > 0)'
            : `expected a model trained without augmentation, found augmentNoise ${sigma}`,
          path.join(dir, 'meta.json'),
        );
      const t = testIndicesFor(ds, meta, limit > 0 ? limit : undefined);
      if (rows === null) {
        rows = t.indices;
        info = t.info;
      } else if (t.indices.length !== rows.length || t.indices.some((v, i) => v !== rows![i]))
        throw new FerError(
          'the four models were not tested on the same images (different splits)',
          path.join(dir, 'meta.json'),
        );
      log(
        `${modelNameOf(dir)}: ${rows.length} images x ${levels.length - 1} levels x ${k} seed(s) + clean`,
      );
      const p = await predictLevels(model, ds, rows, { levels, seeds, batchSize: opts.batchSize });
      const yTrue = Int32Array.from(rows, (r) => ds.labels[r]);
      runs.push(p.runs);
      models.push({
        name: modelNameOf(dir),
        dir: portablePath(dir),
        meta,
        architecture: arch,
        augmentNoise: sigma,
        table34: table34FromPredictions(yTrue, p.runs),
      });
    } finally {
      model.dispose();
    }
  }
  const yTrue = Int32Array.from(rows!, (r) => ds.labels[r]);
  const at = (m: AugmentationModel, level: number): { accuracy: number; weightedF1: number } => {
    const l = m.table34.levels.find((x) => x.level === level)!;
    return { accuracy: l.accuracy.mean, weightedF1: l.f1.weighted.mean };
  };
  const minus = (
    a: { accuracy: number; weightedF1: number },
    b: { accuracy: number; weightedF1: number },
  ): { accuracy: number; weightedF1: number } => ({
    accuracy: a.accuracy - b.accuracy,
    weightedF1: a.weightedF1 - b.weightedF1,
  });
  const [pc, ph, ac, ah] = models;
  const gaps: GapRow[] = levels.map((level) => ({
    level,
    plain: minus(at(ph, level), at(pc, level)),
    augmented: minus(at(ah, level), at(ac, level)),
    augmentedCnnVsPlainHybrid: minus(at(ac, level), at(ph, level)),
  }));
  const highNoise = opts.highNoise ?? PAPER_NOISE_LEVELS.filter((l) => l >= 0.15);
  const meanOf = (
    pick: (g: GapRow) => { accuracy: number; weightedF1: number },
  ): { accuracy: number; weightedF1: number } => {
    const gs = gaps.filter((g) => highNoise.includes(g.level)).map(pick);
    if (gs.length === 0) throw new FerError('no evaluated level is among the high-noise levels');
    return {
      accuracy: gs.reduce((s, g) => s + g.accuracy, 0) / gs.length,
      weightedF1: gs.reduce((s, g) => s + g.weightedF1, 0) / gs.length,
    };
  };
  const summary = {
    highNoise,
    plainGap: meanOf((g) => g.plain),
    augmentedGap: meanOf((g) => g.augmented),
    augmentedCnnVsPlainHybrid: meanOf((g) => g.augmentedCnnVsPlainHybrid),
  };
  const result: AugmentationResult = {
    schema: 'fer-augmentation/1',
    createdAt: new Date().toISOString(),
    data: info!,
    backend: tf.getBackend(),
    seconds: (Date.now() - t0) / 1000,
    levels,
    noiseSeeds: seeds,
    models,
    gaps,
    paired: {
      // A = CNN, B = hybrid, as in `fer compare`.
      plain: pairedLevels(yTrue, runs[0], runs[1]),
      augmented: pairedLevels(yTrue, runs[2], runs[3]),
    },
    summary: { ...summary, verdict: augmentationVerdict(summary) },
  };
  if (opts.out) writeJsonAtomic(opts.out, result);
  return result;
}
