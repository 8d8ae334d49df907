/**
 * The paper's figures rebuilt from our evaluation results (results/<model>/eval.json), each with
 * the paper's published values as a second series: Fig. 1 (Table 1), Figs. 2–3 (Table 2),
 * Figs. 5–6 (Tables 3–4), Fig. 7 (Table 5) and a confusion matrix per model. Fig. 4 (noise
 * examples) needs the images and lives in ./data-figures.ts.
 */
import { EMOTIONS } from '../data/classes';
import { bestConstantPredictor, constantPredictorScoresFromSupport } from '../eval/collapse';
import { seedGroups } from '../eval/seeds';
import type { Averaging, EvalResult } from '../eval/types';
import { PAPER } from '../eval/paper';
import { PAPER_NOISE_LEVELS } from '../data/noise';
import type { ModelName } from '../models/meta';
import { FerError } from '../util/errors';
import { pct } from '../util/format';
import {
  COLORS,
  baseLayout,
  confusionHeatmap,
  groupedBars,
  lineWithBand,
  type PlotlyFigure,
  type PlotlyTrace,
} from './figures';
import { asPaperModel } from '../models/designs';

export type ResultsByModel = Partial<Record<ModelName, EvalResult>>;

export const MODEL_LABEL: Record<ModelName, string> = { cnn: 'CNN', 'cnn-lstm': 'CNN+LSTM' };
const OURS_COLOR: Record<ModelName, string> = { cnn: COLORS.cnn, 'cnn-lstm': COLORS.lstm };
const PAPER_COLOR: Record<ModelName, string> = {
  cnn: COLORS.cnnPaper,
  'cnn-lstm': COLORS.lstmPaper,
};

function models(r: ResultsByModel): ModelName[] {
  const ms = (['cnn', 'cnn-lstm'] as const).filter((m) => r[m] !== undefined);
  if (ms.length === 0) throw new FerError('no evaluation results to plot');
  return ms;
}

/** Index results by architecture; two results of one architecture are an error (ambiguous). */
export function byModel(results: EvalResult[]): ResultsByModel {
  const out: ResultsByModel = {};
  for (const r of results) {
    const m = asPaperModel(r.model.meta.architecture);
    if (out[m])
      throw new FerError(
        `two evaluation results for ${m}: ${out[m]?.model.dir} and ${r.model.dir}`,
      );
    out[m] = r;
  }
  return out;
}

/**
 * The definition the metric audit found to reproduce a table's pattern for every model, in our
 * order of preference; `fallback` when none does (the report says which was used and why).
 */
export function auditedDefinition(
  r: ResultsByModel,
  table: 'table1' | 'table4' | 'table5',
  preference: string[],
  fallback: string,
): { definition: string; fromAudit: boolean } {
  for (const def of preference) {
    const all = models(r).every((m) =>
      (r[m] as EvalResult).audit
        .filter((c) => c.table === table)
        .every((c) => c.reproducedBy.includes(def)),
    );
    const any = models(r).some((m) => (r[m] as EvalResult).audit.some((c) => c.table === table));
    if (all && any) return { definition: def, fromAudit: true };
  }
  return { definition: fallback, fromAudit: false };
}

/** Fig. 1: Table 1's four metrics, ours (with bootstrap 95 % CIs) beside the paper's. */
export function fig1Metrics(r: ResultsByModel, averaging: Averaging): PlotlyFigure {
  const metrics = ['f1', 'accuracy', 'precision', 'recall'] as const;
  const series = models(r).flatMap((m) => {
    const row = (r[m] as EvalResult).table1.rows.find((x) => x.averaging === averaging);
    if (!row) throw new FerError(`${m}: Table 1 has no '${averaging}' row`);
    return [
      {
        name: `${MODEL_LABEL[m]} (ours)`,
        values: metrics.map((k) => row[k]),
        color: OURS_COLOR[m],
        errors: row.ci ? metrics.map((k) => ({ lo: row.ci![k].lo, hi: row.ci![k].hi })) : null,
      },
      {
        name: `${MODEL_LABEL[m]} (paper)`,
        values: metrics.map((k) => PAPER.table1[m][k]),
        color: PAPER_COLOR[m],
        hatched: true,
      },
    ];
  });
  return groupedBars(
    `Fig. 1 · Clean test set (P/R/F1: ${averaging}; bars: 95 % bootstrap CI)`,
    ['F1', 'accuracy', 'precision', 'recall'],
    series,
    { yTitle: 'score', yRange: [0, 1] },
  );
}

/** Fig. 2: milliseconds per image, ours (batch-1 median and large-batch) beside the paper's. */
export function fig2Time(r: ResultsByModel): PlotlyFigure {
  const ms = models(r);
  const t2 = (m: ModelName) => (r[m] as EvalResult).table2;
  const backend = ms.map((m) => t2(m)?.backend).find(Boolean) ?? 'unknown backend';
  const batch = ms.map((m) => t2(m)?.throughput.batchSize).find(Boolean) ?? 0;
  return groupedBars(
    `Fig. 2 · Time per image (ours on ${backend}; the paper's hardware is not stated)`,
    ms.map((m) => MODEL_LABEL[m]),
    [
      {
        name: 'ours, batch 1 (median; bar to p95)',
        values: ms.map((m) => t2(m)?.latencyBatch1.medianMs ?? null),
        color: '#4c78a8',
        errors: ms.map((m) => ({
          lo: t2(m)?.latencyBatch1.medianMs ?? 0,
          hi: t2(m)?.latencyBatch1.p95Ms ?? 0,
        })),
      },
      {
        name: `ours, batch ${batch}`,
        values: ms.map((m) => t2(m)?.throughput.msPerImage ?? null),
        color: '#72b7b2',
      },
      {
        name: 'paper',
        values: ms.map((m) => PAPER.table2[m].msPerImage),
        color: '#bab0ac',
        hatched: true,
      },
    ],
    { yTitle: 'ms per image', textFormat: '%{y:.2f}' },
  );
}

/** Fig. 3: parameter counts, ours beside the paper's. */
export function fig3Params(r: ResultsByModel): PlotlyFigure {
  const ms = models(r);
  return groupedBars(
    'Fig. 3 · Parameters',
    ms.map((m) => MODEL_LABEL[m]),
    [
      {
        name: 'ours',
        values: ms.map(
          (m) => (r[m] as EvalResult).table2?.params ?? (r[m] as EvalResult).model.meta.params,
        ),
        color: '#4c78a8',
      },
      {
        name: 'paper',
        values: ms.map((m) => PAPER.table2[m].params),
        color: '#bab0ac',
        hatched: true,
      },
    ],
    { yTitle: 'parameters', textFormat: '%{y:,}' },
  );
}

/** Wilson 95 % interval of a proportion p observed on n samples. */
export function wilsonInterval(p: number, n: number, z = 1.959964): { lo: number; hi: number } {
  if (n <= 0) return { lo: 0, hi: 1 };
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return { lo: Math.max(0, c - h), hi: Math.min(1, c + h) };
}

function noiseFigure(
  r: ResultsByModel,
  which: 'accuracy' | 'f1',
  f1Def: Exclude<Averaging, 'keras'>,
  seedEvals: readonly EvalResult[] = [],
): PlotlyFigure {
  const groups = seedGroups(seedEvals);
  const seedTraces = models(r).flatMap((m) => {
    const list = groups[m] ?? [];
    if (list.length < 2) return [];
    // The spread between independently trained models (replication), drawn apart from the
    // noise-draw band: min and max over training seeds of the mean over noise draws.
    const levels = (r[m] as EvalResult).table34.levels.filter((l) => l.level > 0);
    const x = levels.map((l) => l.level * 100);
    const vals = levels.map((l) =>
      list.flatMap((e) => {
        const s = e.table34.levels.find((q) => Math.abs(q.level - l.level) < 1e-9);
        return s ? [which === 'accuracy' ? s.accuracy.mean : s.f1[f1Def].mean] : [];
      }),
    );
    const name = `${MODEL_LABEL[m]}: range over ${list.length} training seeds`;
    return [
      {
        type: 'scatter',
        x,
        y: vals.map((v) => Math.min(...v)),
        mode: 'lines',
        line: { color: OURS_COLOR[m], width: 1, dash: 'dot' },
        legendgroup: name,
        showlegend: false,
        name: `${name} lower`,
      },
      {
        type: 'scatter',
        x,
        y: vals.map((v) => Math.max(...v)),
        mode: 'lines',
        line: { color: OURS_COLOR[m], width: 1, dash: 'dot' },
        fill: 'tonexty',
        fillcolor: m === 'cnn' ? 'rgba(31,119,180,0.08)' : 'rgba(214,39,40,0.08)',
        legendgroup: name,
        name,
      },
    ] as PlotlyTrace[];
  });
  const traces = models(r).flatMap((m) => {
    const res = r[m] as EvalResult;
    const levels = res.table34.levels.filter((l) => l.level > 0);
    const x = levels.map((l) => l.level * 100);
    const stat = (l: (typeof levels)[number]) => (which === 'accuracy' ? l.accuracy : l.f1[f1Def]);
    const y = levels.map((l) => stat(l).mean);
    // Accuracy: Wilson 95 % CI over the n test images (widened to cover the noise seeds);
    // F1 has no closed form, so its band is the min–max over noise seeds.
    const band =
      which === 'accuracy'
        ? {
            lo: levels.map((l) =>
              Math.min(wilsonInterval(l.accuracy.mean, res.table34.n).lo, l.accuracy.min),
            ),
            hi: levels.map((l) =>
              Math.max(wilsonInterval(l.accuracy.mean, res.table34.n).hi, l.accuracy.max),
            ),
          }
        : { lo: levels.map((l) => stat(l).min), hi: levels.map((l) => stat(l).max) };
    const paper = which === 'accuracy' ? PAPER.table3[m] : PAPER.table4[m];
    return [
      ...lineWithBand(`${MODEL_LABEL[m]} (ours)`, x, y, band, {
        color: OURS_COLOR[m],
        fill: m === 'cnn' ? 'rgba(31,119,180,0.18)' : 'rgba(214,39,40,0.18)',
      }),
      ...lineWithBand(
        `${MODEL_LABEL[m]} (paper)`,
        PAPER_NOISE_LEVELS.map((l) => l * 100),
        paper,
        null,
        {
          color: PAPER_COLOR[m],
          dash: 'dash',
          marker: 'square-open',
        },
      ),
    ];
  });
  // Reference lines: what always answering one class scores on this test set (the best
  // constant predictor and the class the first model collapses to at the highest level).
  const first = r[models(r)[0]] as EvalResult;
  const consts =
    first.constantBaselines ??
    constantPredictorScoresFromSupport(first.table1.report.perClass.map((c) => c.support));
  const best = bestConstantPredictor(consts);
  const lastLevel = first.table34.levels[first.table34.levels.length - 1];
  const xs = [PAPER_NOISE_LEVELS[0] * 100, PAPER_NOISE_LEVELS[PAPER_NOISE_LEVELS.length - 1] * 100];
  for (const k of [...new Set([best.cls, lastLevel?.topClass ?? best.cls])]) {
    const c = consts[k];
    const v = which === 'accuracy' ? c.accuracy : f1Def === 'macro' ? c.macroF1 : c.weightedF1;
    traces.push(
      ...lineWithBand(`always ${EMOTIONS[k]} (constant predictor)`, xs, [v, v], null, {
        color: k === best.cls ? '#555555' : '#999999',
        dash: 'dot',
        marker: 'line-ew',
      }),
    );
  }
  traces.push(...seedTraces);
  const fig = which === 'accuracy' ? 'Fig. 5 · Accuracy' : `Fig. 6 · F1 (${f1Def})`;
  const bandText =
    which === 'accuracy'
      ? 'shaded: 95 % Wilson CI ∪ range over noise draws'
      : 'shaded: range over noise draws';
  return {
    data: traces,
    layout: baseLayout(`${fig} under Gaussian noise (${bandText})`, {
      xaxis: {
        title: { text: 'noise σ (% of pixel range)' },
        type: 'log',
        tickvals: PAPER_NOISE_LEVELS.map((l) => l * 100),
        ticktext: PAPER_NOISE_LEVELS.map(pct),
        tickangle: 0,
        showline: true,
        linecolor: '#444',
        ticks: 'outside',
      },
      yaxis: {
        title: { text: which === 'accuracy' ? 'accuracy' : 'F1' },
        range: [0, 0.8],
        gridcolor: '#e5e5e5',
        showline: true,
        linecolor: '#444',
      },
    }),
  };
}

/**
 * Fig. 5: accuracy against noise level; with several training seeds in `seedEvals`, their range
 * is drawn as a dotted band beside the noise-draw band.
 */
export const fig5Accuracy = (
  r: ResultsByModel,
  seedEvals: readonly EvalResult[] = [],
): PlotlyFigure => noiseFigure(r, 'accuracy', 'weighted', seedEvals);
/** Fig. 6: F1 against noise level under one averaging (weighted reproduces Table 4's pattern). */
export const fig6F1 = (
  r: ResultsByModel,
  def: Exclude<Averaging, 'keras'> = 'weighted',
  seedEvals: readonly EvalResult[] = [],
): PlotlyFigure => noiseFigure(r, 'f1', def, seedEvals);

/** Fig. 7: simple vs complex emotions, accuracy and F1 (group averaging `def`), with CIs. */
export function fig7Groups(
  r: ResultsByModel,
  def: 'macro' | 'weighted' | 'micro' = 'macro',
): PlotlyFigure {
  const cats = ['simple · accuracy', 'simple · F1', 'complex · accuracy', 'complex · F1'];
  const ciKey = { macro: 'f1Macro', weighted: 'f1Weighted', micro: 'f1Micro' } as const;
  const series = models(r).flatMap((m) => {
    const rows = (r[m] as EvalResult).table5.rows;
    const g = (name: 'simple' | 'complex') => {
      const row = rows.find((x) => x.group === name);
      if (!row) throw new FerError(`${m}: Table 5 has no '${name}' row`);
      return row;
    };
    const cells = [
      [g('simple'), 'accuracy'],
      [g('simple'), 'f1'],
      [g('complex'), 'accuracy'],
      [g('complex'), 'f1'],
    ] as const;
    const val = ([row, k]: (typeof cells)[number]) =>
      k === 'accuracy' ? row.metrics.accuracy : row.metrics[def].f1;
    const ci = ([row, k]: (typeof cells)[number]) =>
      row.ci ? (k === 'accuracy' ? row.ci.accuracy : row.ci[ciKey[def]]) : null;
    const cis = cells.map(ci);
    return [
      {
        name: `${MODEL_LABEL[m]} (ours)`,
        values: cells.map(val),
        color: OURS_COLOR[m],
        errors: cis.every((c) => c !== null) ? cis.map((c) => ({ lo: c!.lo, hi: c!.hi })) : null,
      },
      {
        name: `${MODEL_LABEL[m]} (paper)`,
        values: [
          PAPER.table5[m].simple.accuracy,
          PAPER.table5[m].simple.f1,
          PAPER.table5[m].complex.accuracy,
          PAPER.table5[m].complex.f1,
        ],
        color: PAPER_COLOR[m],
        hatched: true,
      },
    ];
  });
  return groupedBars(
    `Fig. 7 · Simple vs complex emotions (F1: group ${def}; bars: 95 % CI)`,
    cats,
    series,
    {
      yTitle: 'score',
      yRange: [0, 1],
    },
  );
}

/** Confusion matrix of one model on the clean test set. */
export function confusionFigure(res: EvalResult): PlotlyFigure {
  const m = asPaperModel(res.model.meta.architecture);
  return confusionHeatmap(
    `Confusion matrix · ${MODEL_LABEL[m]} (${res.model.name}, clean test, n = ${res.table1.n.toLocaleString('en-US')})`,
    [...EMOTIONS],
    res.table1.report.confusion,
  );
}

export interface NamedFigure {
  name: string;
  title: string;
  figure: PlotlyFigure;
}

/** Every results figure, named fig1-… to fig7-… (without fig4) plus confusion-<model>. */
export function paperFigures(
  r: ResultsByModel,
  defs: {
    table1: Averaging;
    table4: Exclude<Averaging, 'keras'>;
    table5: 'macro' | 'weighted' | 'micro';
  },
  seedEvals: readonly EvalResult[] = [],
): NamedFigure[] {
  const out: NamedFigure[] = [
    { name: 'fig1-metrics', title: 'Table 1 metrics', figure: fig1Metrics(r, defs.table1) },
  ];
  const withTiming = models(r).some((m) => (r[m] as EvalResult).table2 !== null);
  if (withTiming) out.push({ name: 'fig2-time', title: 'Time per image', figure: fig2Time(r) });
  out.push(
    { name: 'fig3-params', title: 'Parameters', figure: fig3Params(r) },
    {
      name: 'fig5-accuracy-noise',
      title: 'Accuracy under noise',
      figure: fig5Accuracy(r, seedEvals),
    },
    {
      name: 'fig6-f1-noise',
      title: 'F1 under noise',
      figure: fig6F1(r, defs.table4, seedEvals),
    },
    { name: 'fig7-groups', title: 'Emotion groups', figure: fig7Groups(r, defs.table5) },
  );
  for (const m of models(r))
    out.push({
      name: `confusion-${m}`,
      title: `Confusion matrix ${MODEL_LABEL[m]}`,
      figure: confusionFigure(r[m] as EvalResult),
    });
  const profiles = [...new Set(models(r).map((m) => (r[m] as EvalResult).model.meta.profile))];
  if (profiles.some((x) => x !== 'paper')) for (const f of out) markScale(f, profiles);
  return out;
}

/**
 * Say in a figure's title (and its listed title) that it shows models below paper scale, so a
 * figure read on its own cannot be mistaken for the paper-scale result.
 */
export function markScale(f: NamedFigure, profiles: string[]): void {
  const note = ` · ${profiles.join('/')}-profile models (not paper scale)`;
  f.title += note;
  const t = f.figure.layout.title;
  if (t && typeof t === 'object' && typeof (t as { text?: unknown }).text === 'string')
    (t as { text: string }).text += note;
}
