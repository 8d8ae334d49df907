/**
 * The report's analyses beyond the paper's tables, computed from results/ only: constant-
 * predictor baselines, the collapse of both models under heavy noise, claim 3 judged on the
 * informative band, calibration, per-class metrics and the sensitivity checks (de-leaked test
 * set, BatchNorm statistics re-estimated). Where a result needs a re-evaluation that has not
 * been run, the blocks say so instead of showing a number.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EMOTIONS } from '../data/classes';
import {
  bandArea,
  bandVerdict,
  heavyNoiseArtefact,
  informativeBand,
  pairedBandBootstrap,
  type BandArea,
  type BandVerdict,
  type HeavyNoiseArtefact,
  type InformativeBand,
} from '../eval/band';
import {
  bestConstantPredictor,
  constantPredictorScoresFromSupport,
  nearestConstantPredictor,
  type ConstantPredictorScore,
} from '../eval/collapse';
import { collapseBySeed, directionFlips, pairedTTest, seedGroups, seedSpread } from '../eval/seeds';

export { seedGroups } from '../eval/seeds';
import { unpackBits } from '../eval/stats';
import type { Averaging, CompareResult, ConfidenceInterval, EvalResult } from '../eval/types';
import { PAPER } from '../eval/paper';
import { PAPER_NOISE_LEVELS } from '../data/noise';
import type { ModelName } from '../models/meta';
import { isPaperModel } from '../models/designs';
import { readJsonFile } from '../util/atomic';
import { type Block, p, table } from './blocks';
import { ci, f3, pct, pval } from './format';
import { MODEL_LABEL, type ResultsByModel } from './paper-figures';
import type { Row } from './tables';

type F1Def = Exclude<Averaging, 'keras'>;

/** "Always class k" on the evaluated test images: recorded, else from the class supports. */
export function constantBaselinesOf(e: EvalResult): ConstantPredictorScore[] {
  return (
    e.constantBaselines ??
    constantPredictorScoresFromSupport(e.table1.report.perClass.map((c) => c.support))
  );
}

const sameLevel = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

export interface BandEvidence {
  band: InformativeBand;
  /** The best constant predictor (its accuracy is the band's threshold). */
  best: ConstantPredictorScore;
  areas: Partial<Record<ModelName, BandArea>>;
  /** CI of hybrid - CNN band AUC (paired bootstrap over test images), when recorded. */
  difference: ConfidenceInterval | null;
  /** Same for the band-average accuracy (the AUC over the band width). */
  meanDifference: ConfidenceInterval | null;
  /** Where the CI came from. */
  source: 'compare.band' | 'compare.correctness' | null;
  /** The paper's cells at its highest noise level, against our constant predictors. */
  heavy: HeavyNoiseArtefact;
  verdict: BandVerdict;
  reason: string;
  /** McNemar directions at the band's noisy levels, in words (null without a compare result). */
  pairedInBand: string | null;
}

/**
 * Claim 3 on the informative band of our own curves (mean accuracy over noise draws), with the
 * CI of the band difference from the compare result (its `band`, or recomputed from its
 * per-image `correctness`), and the paper's σ = 30 % cells checked against constant predictors.
 */
export function bandEvidence(
  cnn: EvalResult,
  lstm: EvalResult,
  compare: CompareResult | null,
  f1Def: F1Def,
): BandEvidence {
  const consts = constantBaselinesOf(cnn);
  const best = bestConstantPredictor(consts);
  const levels = cnn.table34.levels.map((l) => l.level);
  const accOf = (e: EvalResult): number[] =>
    levels.map((lv) => e.table34.levels.find((l) => sameLevel(l.level, lv))?.accuracy.mean ?? 0);
  const band = informativeBand(levels, [accOf(cnn), accOf(lstm)], best.accuracy);
  const areas: BandEvidence['areas'] = {};
  if (band.levels.length > 0) {
    areas.cnn = bandArea(levels, accOf(cnn), band.levels);
    areas['cnn-lstm'] = bandArea(levels, accOf(lstm), band.levels);
  }
  let difference: ConfidenceInterval | null = null;
  let meanDifference: ConfidenceInterval | null = null;
  let source: BandEvidence['source'] = null;
  // The compare result's A must be the CNN for "B - A" to be "hybrid - CNN".
  const ordered = compare && compare.a.meta.architecture === 'cnn';
  if (ordered && compare.band?.aucDifference) {
    difference = compare.band.aucDifference;
    meanDifference = compare.band.meanAccuracyDifference;
    source = 'compare.band';
  } else if (ordered && compare.correctness && band.levels.length >= 2) {
    const n = compare.data.nTest;
    const perLevel = (side: 'a' | 'b'): Float64Array[] =>
      band.levels.map((lv) => {
        const runs = compare.correctness!.runs.filter((r) => sameLevel(r.level, lv));
        const out = new Float64Array(n);
        for (const r of runs) {
          const bits = unpackBits(r[side], n);
          for (let i = 0; i < n; i++) out[i] += bits[i] / runs.length;
        }
        return out;
      });
    const r = pairedBandBootstrap(band.levels, perLevel('a'), perLevel('b'), band.levels);
    difference = r.aucDifference;
    meanDifference = r.meanAccuracyDifference;
    source = 'compare.correctness';
  }
  const top = PAPER_NOISE_LEVELS.length - 1;
  const heavy = heavyNoiseArtefact(
    (['cnn', 'cnn-lstm'] as const).map((m) => ({
      label: `paper ${MODEL_LABEL[m]}`,
      level: PAPER_NOISE_LEVELS[top],
      accuracy: PAPER.table3[m][top],
      f1: PAPER.table4[m][top],
    })),
    consts,
    { f1: f1Def === 'macro' ? 'macro' : 'weighted' },
  );
  const v = bandVerdict({ band: band.levels, difference, heavyNoise: heavy });
  let pairedInBand: string | null = null;
  const noisy = band.levels.filter((l) => l > 0);
  if (ordered && noisy.length) {
    const dir = noisy.map((lv) => {
      const tests = compare.levels.find((l) => sameLevel(l.level, lv))?.tests ?? [];
      const forA = tests.filter((t) => t.pValue < 0.05 && t.b > t.c).length;
      const forB = tests.filter((t) => t.pValue < 0.05 && t.c > t.b).length;
      return { forA, forB, n: tests.length };
    });
    const all = (f: (d: (typeof dir)[number]) => boolean) => dir.filter(f).length;
    pairedInBand = `at the band's ${noisy.length} noisy levels McNemar favours the CNN in every noise draw at ${all((d) => d.n > 0 && d.forA === d.n)} and the hybrid at ${all((d) => d.n > 0 && d.forB === d.n)}`;
  }
  return {
    pairedInBand,
    band,
    best,
    areas,
    difference,
    meanDifference,
    source,
    heavy,
    verdict: v.verdict,
    reason: v.reason,
  };
}

const cls = (k: number): string => EMOTIONS[k] ?? String(k);

/** "σ ≤ 10 %" style description of a band. */
export function bandText(b: InformativeBand): string {
  if (b.levels.length === 0) return 'no level';
  return `σ from ${pct(b.levels[0])} to ${pct(b.levels[b.levels.length - 1])}, ${b.levels.length} levels`;
}

/** One-line evidence for the claims table. */
export function bandEvidenceText(e: BandEvidence): string {
  const a = e.areas.cnn;
  const b = e.areas['cnn-lstm'];
  const parts: string[] = [
    `informative band (a model beats "always ${cls(e.best.cls)}", accuracy ${f3(e.best.accuracy)}): ${bandText(e.band)}`,
  ];
  if (a && b)
    parts.push(
      `band-average accuracy CNN ${f3(a.meanAccuracy)} vs hybrid ${f3(b.meanAccuracy)}, retained fraction of clean accuracy ${f3(a.retention)} vs ${f3(b.retention)}`,
    );
  parts.push(
    e.difference
      ? `hybrid − CNN band AUC ${e.difference.estimate.toExponential(2)} ${ci(e.difference)} (95 % paired bootstrap over test images)`
      : 'paired bootstrap CI of the band difference: not in the results yet (needs the re-evaluation that records per-image correctness)',
  );
  const cells = e.heavy.cells
    .map(
      (c) =>
        `${c.label} at ${pct(c.level)} (${c.accuracy.toFixed(2)}, F1 ${c.f1.toFixed(2)}) lies ${f3(c.nearest.distance)} from "always ${cls(c.nearest.cls)}"`,
    )
    .join('; ');
  parts.push(cells);
  if (e.pairedInBand) parts.push(e.pairedInBand);
  return parts.join('; ');
}

/** "Always k" for each class on our test set. */
export function constantBaselineBlocks(e: EvalResult): Block[] {
  const consts = constantBaselinesOf(e);
  return [
    table(
      consts.map((c) => ({
        'always answer': cls(c.cls),
        accuracy: c.accuracy,
        'weighted F1': c.weightedF1,
        'macro F1': c.macroF1,
      })),
      { digits: 3 },
      `Constant predictors on our ${e.data.nTest.toLocaleString('en-US')} test images: what a model scores that always answers one class`,
    ),
  ];
}

/**
 * Per model and noise level: the most-predicted class, its share (mean over noise draws), the
 * entropy of the predicted labels when recorded, and the nearest constant predictor.
 */
export function collapseBlocks(r: ResultsByModel, f1Def: F1Def): Block[] {
  const rows: Row[] = [];
  let anyEntropy = false;
  for (const m of ['cnn', 'cnn-lstm'] as const) {
    const e = r[m];
    if (!e) continue;
    const consts = constantBaselinesOf(e);
    for (const l of e.table34.levels) {
      const near = nearestConstantPredictor(
        { accuracy: l.accuracy.mean, f1: l.f1[f1Def].mean },
        consts,
        { f1: f1Def === 'macro' ? 'macro' : 'weighted' },
      );
      if (l.entropyBits) anyEntropy = true;
      rows.push({
        model: MODEL_LABEL[m],
        'noise σ': l.level === 0 ? 'clean' : pct(l.level),
        'most-predicted class': cls(l.topClass),
        'its share': l.topClassShare.mean,
        'entropy (bits)': l.entropyBits ? l.entropyBits.mean : null,
        accuracy: l.accuracy.mean,
        [`F1 (${f1Def})`]: l.f1[f1Def].mean,
        'nearest constant': cls(near.cls),
        distance: near.distance,
      });
    }
  }
  const blocks: Block[] = [
    table(
      rows,
      { digits: 3 },
      `Collapse under noise: share of the most-predicted class and distance of (accuracy, ${f1Def} F1) to the nearest constant predictor (means over noise draws; entropy of 7 equally used classes = 2.807 bits)`,
    ),
  ];
  if (!anyEntropy)
    blocks.push(
      p(
        'The entropy column is empty because these results predate the recording of predicted-label counts; the next evaluation (`fer eval`, `npm run reproduce`) records them.',
      ),
    );
  return blocks;
}

/** The paper's Tables 3–4 cells at every level outside our informative band, against constants. */
export function paperCellBlocks(e: EvalResult, band: InformativeBand, f1Def: F1Def): Block[] {
  const consts = constantBaselinesOf(e);
  const inBand = (lv: number) => band.levels.some((b) => sameLevel(b, lv));
  const rows: Row[] = [];
  PAPER_NOISE_LEVELS.forEach((level, i) => {
    if (inBand(level)) return;
    for (const m of ['cnn', 'cnn-lstm'] as const) {
      const cell = { accuracy: PAPER.table3[m][i], f1: PAPER.table4[m][i] };
      const near = nearestConstantPredictor(cell, consts, {
        f1: f1Def === 'macro' ? 'macro' : 'weighted',
      });
      const c = consts[near.cls];
      rows.push({
        'noise σ': pct(level),
        model: `${MODEL_LABEL[m]} (paper)`,
        'paper accuracy': cell.accuracy,
        'paper F1': cell.f1,
        'nearest constant': cls(near.cls),
        'its accuracy': c.accuracy,
        [`its ${f1Def} F1`]: f1Def === 'macro' ? c.macroF1 : c.weightedF1,
        distance: near.distance,
      });
    }
  });
  if (rows.length === 0) return [];
  return [
    table(
      rows,
      { digits: 3 },
      "The paper's published cells outside our informative band, each beside the nearest constant predictor on our test set (Euclidean distance in the (accuracy, F1) plane; the paper rounds to 0.01)",
    ),
  ];
}

/** NLL, ECE and overconfidence per model, when recorded. */
export function calibrationBlocks(r: ResultsByModel): Block[] {
  const ms = (['cnn', 'cnn-lstm'] as const).filter((m) => r[m]);
  const have = ms.filter((m) => r[m]!.calibration);
  if (have.length === 0)
    return [
      p(
        'Calibration (NLL, ECE with 15 bins, reliability diagram) is computed by every evaluation since it was added to `lib/eval`; the results in `results/` predate it, so it appears here once `npm run reproduce -- --profile paper` (or `fer eval`) re-evaluates the models.',
      ),
    ];
  const blocks: Block[] = [
    table(
      have.map((m) => {
        const c = r[m]!.calibration!;
        return {
          model: MODEL_LABEL[m],
          NLL: c.nll,
          'ECE (15 bins)': c.ece,
          'mean confidence − accuracy': c.overconfidence,
          images: c.n,
        };
      }),
      { digits: 3 },
      'Calibration of the clean softmax outputs',
    ),
  ];
  for (const m of have)
    blocks.push(
      table(
        r[m]!.calibration!.bins.filter((b) => b.count > 0).map((b) => ({
          confidence: `(${b.lo.toFixed(2)}, ${b.hi.toFixed(2)}]`,
          images: b.count,
          'mean confidence': b.confidence,
          accuracy: b.accuracy,
        })),
        { digits: 3 },
        `Reliability bins, ${MODEL_LABEL[m]}`,
      ),
    );
  return blocks;
}

/** Per-class precision, recall and F1 on the clean test set. */
export function perClassBlocks(r: ResultsByModel): Block[] {
  const rows: Row[] = [];
  for (const k of EMOTIONS.keys()) {
    const row: Row = { class: EMOTIONS[k] };
    for (const m of ['cnn', 'cnn-lstm'] as const) {
      const pc = r[m]?.table1.report.perClass[k];
      if (!pc) continue;
      row.support = pc.support;
      row[`${MODEL_LABEL[m]} precision`] = pc.precision;
      row[`${MODEL_LABEL[m]} recall`] = pc.recall;
      row[`${MODEL_LABEL[m]} F1`] = pc.f1;
    }
    rows.push(row);
  }
  return [table(rows, { digits: 3 }, 'Per-class precision, recall and F1 on the clean test set')];
}

/** Optional evaluations beside each model's eval.json. */
export interface SensitivityResults {
  deleaked: Partial<Record<ModelName, EvalResult>>;
  bnRecalibrated: Partial<Record<ModelName, EvalResult>>;
  /** The paired comparisons of the same variants (compare-<cnn>-<cnn-lstm>-<variant>.json). */
  compare?: { deleaked?: CompareResult; bnRecalibrated?: CompareResult };
}

/**
 * The sensitivity variants as they are filed (lib/study `studyVariantSuffix`): each model's
 * `eval<suffix>.json` and the pair's `compare-<cnn>-<cnn-lstm><suffix>.json`.
 */
export const SENSITIVITY_FILES = [
  { key: 'deleaked', suffix: '-deleaked', label: 'de-leaked test set' },
  { key: 'bnRecalibrated', suffix: '-bn-recalibrated', label: 'BatchNorm statistics re-estimated' },
] as const;

/** results/<model>/eval-deleaked.json and eval-bn-recalibrated.json, where they exist. */
export function loadSensitivity(dir: string, evals: EvalResult[]): SensitivityResults {
  const out: SensitivityResults = { deleaked: {}, bnRecalibrated: {}, compare: {} };
  const read = <T>(...parts: string[]): T | undefined => {
    const file = path.join(dir, ...parts);
    return fs.existsSync(file) ? readJsonFile<T>(file) : undefined;
  };
  const key = (m: ModelName) => evals.find((e) => e.model.meta.architecture === m)?.model.name;
  const [a, b] = [key('cnn'), key('cnn-lstm')];
  for (const v of SENSITIVITY_FILES) {
    if (a && b && out.compare)
      out.compare[v.key] = read<CompareResult>(`compare-${a}-${b}${v.suffix}.json`);
    for (const e of evals) {
      const m = e.model.meta.architecture;
      if (!isPaperModel(m)) continue;
      const r = read<EvalResult>(e.model.name, `eval${v.suffix}.json`);
      if (r) out[v.key][m] = r;
    }
  }
  return out;
}

/** One row per evaluation variant: clean accuracy, macro F1 and the band-average accuracy. */
export function sensitivityBlocks(
  r: ResultsByModel,
  s: SensitivityResults | null,
  band: InformativeBand,
): Block[] {
  const variants: [string, Partial<Record<ModelName, EvalResult>>][] = [
    ['as published (all test images, BatchNorm as trained)', r],
    ...SENSITIVITY_FILES.map((v): [string, Partial<Record<ModelName, EvalResult>>] => [
      v.label,
      s?.[v.key] ?? {},
    ]),
  ];
  const rows: Row[] = [];
  const missing: string[] = [];
  for (const [name, evals] of variants)
    for (const m of ['cnn', 'cnn-lstm'] as const) {
      const e = evals[m];
      if (!e) {
        missing.push(`${name} (${MODEL_LABEL[m]})`);
        continue;
      }
      const levels = e.table34.levels.map((l) => l.level);
      const acc = e.table34.levels.map((l) => l.accuracy.mean);
      const noisy = band.levels.every((b) => levels.some((l) => sameLevel(l, b)));
      const macro = e.table1.rows.find((x) => x.averaging === 'macro');
      rows.push({
        variant: name,
        model: MODEL_LABEL[m],
        'test images': e.data.nTest,
        accuracy: e.table1.rows[0].accuracy,
        'macro F1': macro?.f1 ?? null,
        'band-average accuracy':
          noisy && band.levels.length > 0 ? bandArea(levels, acc, band.levels).meanAccuracy : null,
      });
    }
  const blocks: Block[] = [
    table(
      rows,
      { digits: 3 },
      `Sensitivity checks on the same trained models (band-average accuracy over ${bandText(band)}; empty where that variant was evaluated on clean images only)`,
    ),
  ];
  if (missing.length)
    blocks.push(
      p(
        `Not in the results yet: ${missing.join('; ')}. ` +
          'Notebook 05 computes them (`evaluateSensitivity` in lib/study); for one model, `fer eval --model models/<m> --drop-leaked-test` and `fer eval --model models/<m> --recalibrate-bn 4000`.',
      ),
    );
  return blocks;
}

/** The per-seed numbers the between-seed statistics summarise. */
export function seedMetrics(e: EvalResult, band: InformativeBand): Record<string, number | null> {
  const levels = e.table34.levels.map((l) => l.level);
  const acc = e.table34.levels.map((l) => l.accuracy.mean);
  const inBand =
    band.levels.length > 0 && band.levels.every((b) => levels.some((l) => sameLevel(l, b)));
  const at = (lv: number) =>
    e.table34.levels.find((l) => sameLevel(l.level, lv))?.accuracy.mean ?? null;
  return {
    'clean accuracy': e.table1.rows[0].accuracy,
    'macro F1': e.table1.rows.find((r) => r.averaging === 'macro')?.f1 ?? null,
    'weighted F1': e.table1.rows.find((r) => r.averaging === 'weighted')?.f1 ?? null,
    'band-average accuracy': inBand ? bandArea(levels, acc, band.levels).meanAccuracy : null,
    'accuracy at σ = 5 %': at(0.05),
    'accuracy at σ = 10 %': at(0.1),
    'accuracy at σ = 30 %': at(0.3),
  };
}

/**
 * Between-seed statistics (issue 26's analysis): mean ± sd over training seeds per model, a
 * paired t-test of hybrid − CNN over the seeds both have, the direction flips between seeds,
 * and the class each seed collapses to at the highest noise level. With one seed per model it
 * says so, and where further seeds' results would go.
 */
export function seedBlocks(evals: readonly EvalResult[], band: InformativeBand): Block[] {
  const g = seedGroups(evals);
  const counts = (['cnn', 'cnn-lstm'] as const).map((m) => g[m]?.length ?? 0);
  if (Math.max(...counts) < 2)
    return [
      p(
        'Every number in this report comes from one training run per model, so training-seed variance is not measured: the ± in Tables 3–4 is the spread over noise draws of one trained model. ' +
          'Evaluations of further training seeds (`results/<model folder>/eval.json` whose `meta.json` has another `seed`) are picked up here automatically: mean ± sd over seeds, a paired t-test on per-seed differences, direction flips and the collapse class of each seed.',
      ),
    ];
  const rows: Row[] = [];
  const per: Partial<Record<ModelName, Record<string, number | null>[]>> = {};
  for (const m of ['cnn', 'cnn-lstm'] as const) {
    const list = g[m];
    if (!list) continue;
    per[m] = list.map((e) => seedMetrics(e, band));
  }
  const names = Object.keys(seedMetrics(evals[0], band));
  for (const name of names) {
    const row: Row = { metric: name };
    for (const m of ['cnn', 'cnn-lstm'] as const) {
      const vals = (per[m] ?? []).map((x) => x[name]).filter((v): v is number => v !== null);
      const s = vals.length ? seedSpread(vals) : null;
      row[`${MODEL_LABEL[m]} mean`] = s ? s.mean : null;
      row[`${MODEL_LABEL[m]} sd over training seeds`] = s?.std ?? null;
      row[`${MODEL_LABEL[m]} seeds`] = vals.length;
    }
    // Paired by training seed number: seed i of the CNN with seed i of the hybrid.
    const a = g.cnn ?? [];
    const b = g['cnn-lstm'] ?? [];
    const pairs = a.flatMap((ea, i) => {
      const j = b.findIndex((eb) => eb.model.meta.seed === ea.model.meta.seed);
      const va = per.cnn?.[i]?.[name];
      const vb = j >= 0 ? per['cnn-lstm']?.[j]?.[name] : null;
      return va != null && vb != null ? [[va, vb] as const] : [];
    });
    if (pairs.length >= 2) {
      const t = pairedTTest(
        pairs.map((x) => x[1]),
        pairs.map((x) => x[0]),
      );
      const d = directionFlips(
        pairs.map((x) => x[1]),
        pairs.map((x) => x[0]),
      );
      row['hybrid − CNN (paired seeds)'] =
        `${t.meanDifference.toFixed(3)} [${t.ci.lo.toFixed(3)}, ${t.ci.hi.toFixed(3)}]`;
      row['paired t p'] = pval(t.pValue);
      row['seeds hybrid ahead / behind'] = `${d.positive} / ${d.negative}`;
    } else {
      row['hybrid − CNN (paired seeds)'] = '—';
      row['paired t p'] = '—';
      row['seeds hybrid ahead / behind'] = '—';
    }
    rows.push(row);
  }
  const collapseRows: Row[] = [];
  for (const m of ['cnn', 'cnn-lstm'] as const)
    for (const e of g[m] ?? []) {
      const top = e.table34.levels[e.table34.levels.length - 1];
      if (!top || top.level === 0) continue;
      const counts0 = top.predictedCounts?.[0];
      const c = counts0
        ? collapseBySeed([{ seed: e.model.meta.seed, counts: counts0 }]).seeds[0]
        : null;
      collapseRows.push({
        model: MODEL_LABEL[m],
        'training seed': e.model.meta.seed,
        'noise σ': pct(top.level),
        'most-predicted class': cls(top.topClass),
        'its share': top.topClassShare.mean,
        'entropy (bits)': c ? c.entropyBits : null,
      });
    }
  return [
    table(
      rows,
      { digits: 3 },
      'Between training seeds: mean and sd over independently trained models (replication), and hybrid − CNN paired by seed (95 % t interval, paired t-test)',
    ),
    table(
      collapseRows,
      { digits: 3 },
      'The class each training seed collapses to at the highest noise level',
    ),
  ];
}
