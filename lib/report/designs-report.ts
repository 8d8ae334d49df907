/**
 * Every design of the registry side by side under noise (docs/designs.md): the paper pair at
 * all its training seeds, the other hybrids and the non-recurrent control. One row per design
 * with mean ± sd over training seeds, and one figure of accuracy against σ.
 */
import { PAPER_NOISE_LEVELS } from '../data/noise';
import { seedSpread } from '../eval/seeds';
import type { InformativeBand } from '../eval/band';
import type { EvalResult, SpreadStat } from '../eval/types';
import { DESIGNS, DESIGN_NAMES, isPaperModel, type DesignName } from '../models/designs';
import type { PublishedTraining } from '../study/trainings';
import { pct } from '../util/format';
import { bandText, seedMetrics } from './analysis-report';
import { type Block, p, table } from './blocks';
import { COLORS, baseLayout, type PlotlyFigure, type PlotlyTrace } from './figures';
import type { NamedFigure } from './paper-figures';
import type { Row } from './tables';

export const DESIGNS_FIGURE = 'fig18-designs-noise';

export interface DesignSummary {
  design: DesignName;
  label: string;
  role: 'paper' | 'hybrid' | 'control';
  /** Parameters of the evaluated model (meta.json). */
  params: number;
  /** Training seeds evaluated, increasing. */
  seeds: number[];
  clean: SpreadStat;
  /** Means over seeds (null where a seed lacks the level or the band). */
  bandAverage: number | null;
  at5: number | null;
  at10: number | null;
  at30: number | null;
  /** Mean clean accuracy minus the CNN's (null without a CNN evaluation). */
  cleanVsCnn: number | null;
  bandVsCnn: number | null;
}

/** One evaluation per design and training seed (the newest when a seed was evaluated twice). */
export function designGroups(evals: readonly EvalResult[]): Map<DesignName, EvalResult[]> {
  const out = new Map<DesignName, EvalResult[]>();
  for (const d of DESIGN_NAMES) {
    const bySeed = new Map<number, EvalResult>();
    for (const e of evals.filter((x) => x.model.meta.architecture === d)) {
      const cur = bySeed.get(e.model.meta.seed);
      if (!cur || Date.parse(e.createdAt) > Date.parse(cur.createdAt))
        bySeed.set(e.model.meta.seed, e);
    }
    if (bySeed.size)
      out.set(
        d,
        [...bySeed.values()].sort((a, b) => a.model.meta.seed - b.model.meta.seed),
      );
  }
  return out;
}

const meanOf = (vals: (number | null)[]): number | null => {
  const v = vals.filter((x): x is number => x !== null);
  return v.length === vals.length && v.length > 0 ? seedSpread(v).mean : null;
};

/** Mean ± sd over seeds per design, on the headline pair's informative band. */
export function designSummaries(
  evals: readonly EvalResult[],
  band: InformativeBand,
): DesignSummary[] {
  const groups = designGroups(evals);
  const rows = [...groups.entries()].map(
    ([design, list]): Omit<DesignSummary, 'cleanVsCnn' | 'bandVsCnn'> => {
      const per = list.map((e) => seedMetrics(e, band));
      const col = (k: string) => meanOf(per.map((x) => x[k]));
      return {
        design,
        label: DESIGNS[design].label,
        role: DESIGNS[design].role,
        params: list[0].model.meta.params,
        seeds: list.map((e) => e.model.meta.seed),
        clean: seedSpread(list.map((e) => e.table1.rows[0].accuracy)),
        bandAverage: col('band-average accuracy'),
        at5: col('accuracy at σ = 5 %'),
        at10: col('accuracy at σ = 10 %'),
        at30: col('accuracy at σ = 30 %'),
      };
    },
  );
  const cnn = rows.find((r) => r.design === 'cnn');
  return rows.map((r) => ({
    ...r,
    cleanVsCnn: cnn ? r.clean.mean - cnn.clean.mean : null,
    bandVsCnn:
      cnn && cnn.bandAverage !== null && r.bandAverage !== null
        ? r.bandAverage - cnn.bandAverage
        : null,
  }));
}

/**
 * What the table says, in words: each design against the CNN+LSTM and the CNN on the band, and
 * whether the control sits nearer the hybrid or the CNN.
 */
export function designFindings(s: readonly DesignSummary[]): string {
  const by = (d: DesignName) => s.find((x) => x.design === d);
  const seeds = (d: DesignSummary) => `${d.seeds.length} seed${d.seeds.length === 1 ? '' : 's'}`;
  const band = (d: DesignSummary) => (d.bandAverage === null ? '—' : d.bandAverage.toFixed(3));
  const out = s.map(
    (d) =>
      `${d.label} (${seeds(d)}): clean ${d.clean.mean.toFixed(3)}, band-average ${band(d)}` +
      (d.design !== 'cnn' && d.bandVsCnn !== null
        ? ` (${d.bandVsCnn >= 0 ? '+' : ''}${d.bandVsCnn.toFixed(3)} vs the CNN)`
        : ''),
  );
  const ctrl = by('cnn-dense-control');
  const lstm = by('cnn-lstm');
  const cnn = by('cnn');
  let verdict = '';
  if (ctrl?.bandAverage != null && lstm?.bandAverage != null && cnn?.bandAverage != null) {
    const toLstm = Math.abs(ctrl.bandAverage - lstm.bandAverage);
    const toCnn = Math.abs(ctrl.bandAverage - cnn.bandAverage);
    verdict = ` Under noise the non-recurrent control lies nearer the ${toLstm <= toCnn ? 'CNN+LSTM' : 'CNN'} (band-average ${toLstm.toFixed(3)} from the hybrid, ${toCnn.toFixed(3)} from the CNN)${toLstm <= toCnn ? ': the hybrid’s difference from the CNN under noise then belongs to the architecture rather than to the LSTM' : ''}.`;
  }
  return `${out.join('; ')}.${verdict}`;
}

/** The designs table's rows. */
export function designRows(s: readonly DesignSummary[]): Row[] {
  return s.map((d) => ({
    design: `${d.label} (\`${d.design}\`)`,
    role: d.role,
    parameters: d.params,
    'training seeds': d.seeds.length,
    'clean accuracy': `${d.clean.mean.toFixed(3)} ± ${d.clean.std === null ? '—' : d.clean.std.toFixed(3)}`,
    'band-average accuracy': d.bandAverage,
    'accuracy at σ = 5 %': d.at5,
    'accuracy at σ = 10 %': d.at10,
    'accuracy at σ = 30 %': d.at30,
    'clean − CNN': d.design === 'cnn' ? null : d.cleanVsCnn,
    'band-average − CNN': d.design === 'cnn' ? null : d.bandVsCnn,
  }));
}

const DESIGN_COLOR: Record<DesignName, string> = {
  cnn: COLORS.cnn,
  'cnn-lstm': COLORS.lstm,
  'cnn-lstm-spatial': '#2ca02c',
  'cnn-lstm-seq1': '#9467bd',
  'cnn-bilstm': '#ff7f0e',
  'cnn-dense-control': '#333333',
};

/**
 * Accuracy against σ, one line per design (mean over its training seeds): the paper's pair
 * thick, the non-recurrent control dashed, the other hybrids thin.
 */
export function designsFigure(evals: readonly EvalResult[]): PlotlyFigure {
  const traces: PlotlyTrace[] = [];
  for (const [design, list] of designGroups(evals)) {
    const x = PAPER_NOISE_LEVELS.map((l) => l * 100);
    const y = PAPER_NOISE_LEVELS.map((lv) =>
      meanOf(
        list.map(
          (e) => e.table34.levels.find((l) => Math.abs(l.level - lv) < 1e-9)?.accuracy.mean ?? null,
        ),
      ),
    );
    const spec = DESIGNS[design];
    traces.push({
      type: 'scatter',
      name: `${spec.label} (${list.length} seed${list.length === 1 ? '' : 's'})`,
      x,
      y,
      mode: 'lines+markers',
      line: {
        color: DESIGN_COLOR[design],
        width: spec.role === 'paper' ? 3.5 : 1.5,
        dash: spec.role === 'control' ? 'dash' : 'solid',
      },
      marker: { color: DESIGN_COLOR[design], size: spec.role === 'paper' ? 7 : 5 },
    });
  }
  return {
    data: traces,
    layout: baseLayout(
      'Fig. 18 · Accuracy under Gaussian noise, every design (mean over training seeds)',
      {
        xaxis: {
          title: { text: 'noise σ (% of pixel range)' },
          type: 'log',
          tickvals: PAPER_NOISE_LEVELS.map((l) => l * 100),
          ticktext: PAPER_NOISE_LEVELS.map(pct),
          showline: true,
          linecolor: '#444',
          ticks: 'outside',
        },
        yaxis: {
          title: { text: 'accuracy' },
          range: [0, 0.8],
          gridcolor: '#e5e5e5',
          showline: true,
          linecolor: '#444',
        },
      },
    ),
  };
}

/** The figure, only when a design beyond the paper pair has been evaluated. */
export function designsFigures(evals: readonly EvalResult[]): NamedFigure[] {
  if (!evals.some((e) => !isPaperModel(e.model.meta.architecture))) return [];
  return [{ name: DESIGNS_FIGURE, title: 'Designs under noise', figure: designsFigure(evals) }];
}

/**
 * The report's section. `evals`: the paper pair at every seed and every other design, all of
 * the headline's profile and test set; `trainings`: the config's trainings (publishedTrainings),
 * to name what is not trained or not evaluated yet.
 */
export function designBlocks(
  evals: readonly EvalResult[],
  band: InformativeBand,
  trainings: readonly PublishedTraining[] | null,
): Block[] {
  const has = (t: PublishedTraining) =>
    evals.some(
      (e) => e.model.meta.architecture === t.entry.model && e.model.meta.seed === t.entry.seed,
    );
  const pending = (trainings ?? []).filter((t) => !t.headline && !has(t));
  const untrained = pending.filter((t) => !t.exists).map((t) => `\`${t.name}\``);
  const unevaluated = pending.filter((t) => t.exists).map((t) => `\`${t.name}\``);
  const status = [
    untrained.length ? `Not trained yet (\`npm run train-all\`): ${untrained.join(', ')}.` : '',
    unevaluated.length
      ? `Trained but not evaluated yet (notebook 06, \`evaluateTrainings\`): ${unevaluated.join(', ')}.`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
  const intro =
    'The paper never defines its hybrid, so the study trains other ways of joining a CNN to an LSTM and a non-recurrent control with the hybrid’s trunk, head and parameter count (`docs/designs.md`). ' +
    'If the control behaves like the CNN+LSTM under noise, the behaviour belongs to the architecture, not to the LSTM.';
  const others = evals.filter((e) => !isPaperModel(e.model.meta.architecture));
  if (others.length === 0)
    return [
      p(
        `${intro} Only the paper’s pair has been evaluated, so there is no comparison of designs yet.` +
          (status ? ` ${status}` : ''),
      ),
    ];
  const s = designSummaries(evals, band);
  return [
    p(
      `${intro} Mean over training seeds; ± is the sd over training seeds (— for one seed). Band-average accuracy is over the headline pair’s informative band (${bandText(band)}). Fig. 18 draws every design’s accuracy against σ.` +
        (status ? ` ${status}` : ''),
    ),
    table(
      designRows(s),
      { digits: 3 },
      'Every design under Gaussian noise (accuracy; differences from the CNN are of the means)',
    ),
    p(designFindings(s)),
  ];
}
