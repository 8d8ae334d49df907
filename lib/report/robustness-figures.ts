/**
 * Figures of the robustness study (beyond the paper): accuracy heat maps (family x severity, one
 * panel per model and a hybrid-minus-CNN panel), accuracy-vs-severity curves per family, CE and
 * relative CE against the CNN, the noise-augmentation experiment and the FER+ comparison. All
 * built from results/robustness/*.json only.
 */
import { EMOTIONS, PIXELS_PER_IMAGE } from '../data/classes';
import { CORRUPTIONS, SEVERITIES, corrupt, type CorruptionName } from '../robustness/corruptions';
import type { FerDataset } from '../data/dataset';
import { PAPER } from '../eval/paper';
import { PAPER_NOISE_LEVELS } from '../data/noise';
import { imageGridFigure } from './data-figures';
import type { AugmentationResult, RobustnessResult } from '../robustness/run';
import { baseLayout, COLORS, type PlotlyFigure, type PlotlyTrace } from './figures';

/** A short display name: architecture, plus the training noise when augmented. */
export function modelLabel(meta: {
  architecture: string;
  config: Record<string, unknown>;
}): string {
  const base = meta.architecture === 'cnn' ? 'CNN' : 'CNN+LSTM';
  const s = meta.config.augmentNoise;
  return typeof s === 'number' && s > 0 ? `${base}, noise-aug. σ≤${s}` : base;
}

function styleOf(meta: { architecture: string; config: Record<string, unknown> }): {
  color: string;
  dash: string;
} {
  const aug = typeof meta.config.augmentNoise === 'number' && meta.config.augmentNoise > 0;
  const color = meta.architecture === 'cnn' ? COLORS.cnn : COLORS.lstm;
  return { color, dash: aug ? 'dash' : 'solid' };
}

const axisName = (i: number, kind: 'x' | 'y'): string => (i === 0 ? kind : `${kind}${i + 1}`);
const layoutKey = (i: number, kind: 'x' | 'y'): string => `${kind}axis${i === 0 ? '' : i + 1}`;

/** Severity columns: clean first, then s1..s5. */
function severityColumns(r: RobustnessResult): string[] {
  return ['clean', ...r.corruptions.severities.map((s) => `s${s}`)];
}

function accuracyGrid(r: RobustnessResult): number[][] {
  const fams = r.familyMeans.map((f) => f.family);
  return fams.map((family) => [
    r.run.clean.accuracy,
    ...r.corruptions.severities.map(
      (s) => r.run.cells.find((c) => c.family === family && c.severity === s)?.accuracy ?? NaN,
    ),
  ]);
}

/**
 * Heat map of accuracy, family x severity, one panel per model; with exactly two models of
 * different architectures a third panel shows hybrid minus CNN (red: the hybrid is better).
 */
export function robustnessHeatmap(results: RobustnessResult[]): PlotlyFigure {
  const families = results[0].familyMeans.map((f) => f.family);
  const cols = severityColumns(results[0]);
  const panels: { title: string; z: number[][]; diff: boolean }[] = results.map((r) => ({
    title: modelLabel(r.model.meta),
    z: accuracyGrid(r),
    diff: false,
  }));
  const cnn = results.find((r) => r.model.meta.architecture === 'cnn');
  const hyb = results.find((r) => r.model.meta.architecture === 'cnn-lstm');
  if (results.length === 2 && cnn && hyb) {
    const a = accuracyGrid(hyb);
    const b = accuracyGrid(cnn);
    panels.push({
      title: 'CNN+LSTM − CNN',
      z: a.map((row, i) => row.map((v, j) => v - b[i][j])),
      diff: true,
    });
  }
  const n = panels.length;
  const gap = 0.06;
  const w = (1 - gap * (n - 1)) / n;
  const maxDiff = Math.max(
    0.05,
    ...panels.filter((p) => p.diff).flatMap((p) => p.z.flat().map(Math.abs)),
  );
  const data: PlotlyTrace[] = panels.map((p, i) => ({
    type: 'heatmap',
    x: cols,
    y: families,
    z: p.z,
    text: p.z.map((row) =>
      row.map((v) => (p.diff ? `${v >= 0 ? '+' : ''}${v.toFixed(2)}` : v.toFixed(2))),
    ),
    texttemplate: '%{text}',
    xaxis: axisName(i, 'x'),
    yaxis: axisName(i, 'y'),
    colorscale: p.diff
      ? [
          [0, COLORS.cnn],
          [0.5, '#ffffff'],
          [1, COLORS.lstm],
        ]
      : [
          [0, '#fff5eb'],
          [0.5, '#fd8d3c'],
          [1, '#7f2704'],
        ],
    zmin: p.diff ? -maxDiff : 0,
    zmax: p.diff
      ? maxDiff
      : Math.max(0.3, ...panels.filter((q) => !q.diff).flatMap((q) => q.z.flat())),
    showscale: p.diff || i === 0,
    colorbar: p.diff
      ? { x: 1.02, len: 0.9, title: { text: 'Δ acc.' } }
      : { x: -0.32, len: 0.9, title: { text: 'accuracy' } },
    hovertemplate: `${p.title}<br>%{y}, %{x}: %{z:.3f}<extra></extra>`,
  }));
  const layout = baseLayout('Accuracy under corruption (family × severity)', {
    width: 330 * n + 160,
    height: 460,
    margin: { l: 170, r: 90, t: 90, b: 50 },
    annotations: panels.map((p, i) => ({
      text: `<b>${p.title}</b>`,
      x: i * (w + gap) + w / 2,
      y: 1.06,
      xref: 'paper',
      yref: 'paper',
      showarrow: false,
      font: { size: 12 },
    })),
  });
  panels.forEach((_, i) => {
    layout[layoutKey(i, 'x')] = {
      domain: [i * (w + gap), i * (w + gap) + w],
      anchor: axisName(i, 'y'),
    };
    layout[layoutKey(i, 'y')] = {
      anchor: axisName(i, 'x'),
      autorange: 'reversed',
      showticklabels: i === 0,
    };
  });
  return { data, layout };
}

/** Accuracy vs severity (0 = clean), one small panel per family, one line per model. */
export function robustnessCurves(results: RobustnessResult[]): PlotlyFigure {
  const families = results[0].familyMeans.map((f) => f.family);
  const cols = 4;
  const rows = Math.ceil(families.length / cols);
  const data: PlotlyTrace[] = [];
  results.forEach((r, m) => {
    const st = styleOf(r.model.meta);
    families.forEach((family, i) => {
      const sevs = r.corruptions.severities;
      data.push({
        type: 'scatter',
        mode: 'lines+markers',
        name: modelLabel(r.model.meta),
        legendgroup: String(m),
        showlegend: i === 0,
        x: [0, ...sevs],
        y: [
          r.run.clean.accuracy,
          ...sevs.map(
            (s) =>
              r.run.cells.find((c) => c.family === family && c.severity === s)?.accuracy ?? null,
          ),
        ],
        line: { color: st.color, dash: st.dash, width: 2 },
        marker: { color: st.color, size: 5 },
        xaxis: axisName(i, 'x'),
        yaxis: axisName(i, 'y'),
      });
    });
  });
  const yMax = Math.min(1, Math.max(...results.map((r) => r.run.clean.accuracy)) + 0.1);
  const layout = baseLayout('Accuracy vs corruption severity (0 = clean)', {
    width: 1000,
    height: 300 * rows + 120,
    margin: { l: 60, r: 20, t: 70, b: 90 },
    legend: { orientation: 'h', y: -0.12 },
    annotations: [] as unknown[],
  });
  const hg = 0.05;
  const vg = 0.12;
  const w = (1 - hg * (cols - 1)) / cols;
  const h = (1 - vg * (rows - 1)) / rows;
  families.forEach((family, i) => {
    const c = i % cols;
    const rr = Math.floor(i / cols);
    const x0 = c * (w + hg);
    const y1 = 1 - rr * (h + vg);
    layout[layoutKey(i, 'x')] = {
      domain: [x0, x0 + w],
      anchor: axisName(i, 'y'),
      dtick: 1,
      range: [-0.3, 5.3],
      showline: true,
      linecolor: '#444',
      title: rr === rows - 1 ? { text: 'severity' } : undefined,
    };
    layout[layoutKey(i, 'y')] = {
      domain: [y1 - h, y1],
      anchor: axisName(i, 'x'),
      range: [0, yMax],
      gridcolor: '#e5e5e5',
      showline: true,
      linecolor: '#444',
      title: c === 0 ? { text: 'accuracy' } : undefined,
    };
    (layout.annotations as unknown[]).push({
      text: `<b>${family}</b>`,
      x: x0 + w / 2,
      y: y1 + 0.02,
      xref: 'paper',
      yref: 'paper',
      xanchor: 'center',
      yanchor: 'bottom',
      showarrow: false,
      font: { size: 12 },
    });
  });
  return { data, layout };
}

/** CE and relative CE per family of each non-reference model against the reference (= 1). */
export function corruptionErrorBars(results: RobustnessResult[]): PlotlyFigure {
  const withRef = results.filter((r) => r.reference !== null);
  const families = withRef[0]?.reference?.families.map((f) => f.family) ?? [];
  const cats = [...families, 'mean (mCE)'];
  const data: PlotlyTrace[] = [];
  for (const r of withRef) {
    const ref = r.reference!;
    const st = styleOf(r.model.meta);
    for (const [kind, pick, mean] of [
      ['CE', (f: (typeof ref.families)[number]) => f.ce, ref.mCE],
      ['relative CE', (f: (typeof ref.families)[number]) => f.relativeCe, ref.relativeMCE],
    ] as const)
      data.push({
        type: 'bar',
        name: `${modelLabel(r.model.meta)}: ${kind}`,
        x: cats,
        y: [...ref.families.map(pick), mean],
        marker: {
          color: st.color,
          opacity: kind === 'CE' ? 1 : 0.55,
          line: { color: '#333', width: 0.5 },
          ...(st.dash === 'dash'
            ? {
                pattern: {
                  shape: '/',
                  fillmode: 'overlay',
                  fgcolor: '#444',
                  size: 6,
                  solidity: 0.2,
                },
              }
            : {}),
        },
        texttemplate: '%{y:.2f}',
        textposition: 'outside',
        cliponaxis: false,
      });
  }
  const refName = withRef[0] ? modelLabel(withRef[0].reference!.meta) : 'reference';
  return {
    data,
    layout: baseLayout(
      `Corruption error relative to the ${refName} (1 = the same; below 1 = more robust)`,
      {
        barmode: 'group',
        width: 1000,
        height: 480,
        shapes: [
          {
            type: 'line',
            xref: 'paper',
            x0: 0,
            x1: 1,
            y0: 1,
            y1: 1,
            line: { color: '#333', dash: 'dot', width: 1.5 },
          },
        ],
        xaxis: { tickangle: -20, showline: true, linecolor: '#444' },
        yaxis: { title: { text: 'CE / relative CE' }, gridcolor: '#e5e5e5', zeroline: false },
      },
    ),
  };
}

/** Accuracy vs the paper's noise levels: plain (solid) and noise-augmented (dashed) models. */
export function augmentationFigure(
  r: AugmentationResult,
  metric: 'accuracy' | 'f1' = 'accuracy',
): PlotlyFigure {
  // Categorical x: the levels are uneven (0.5 % ... 30 %) and a log axis cannot show clean.
  const lab = (l: number): string => (l === 0 ? 'clean' : `${+(l * 100).toFixed(2)}%`);
  const x = r.levels.map(lab);
  const data: PlotlyTrace[] = r.models.map((m) => {
    const st = styleOf(m.meta);
    return {
      type: 'scatter',
      mode: 'lines+markers',
      name: modelLabel(m.meta),
      x,
      y: r.levels.map((l) => {
        const v = m.table34.levels.find((q) => q.level === l)!;
        return metric === 'accuracy' ? v.accuracy.mean : v.f1.weighted.mean;
      }),
      line: { color: st.color, dash: st.dash, width: 2 },
      marker: { color: st.color, size: 6 },
    };
  });
  // The paper's published curves, for orientation (its models are full-size and trained longer).
  const table = metric === 'accuracy' ? PAPER.table3 : PAPER.table4;
  for (const arch of ['cnn', 'cnn-lstm'] as const) {
    const rows = table[arch];
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: `paper ${arch === 'cnn' ? 'CNN' : 'CNN+LSTM'}`,
      x: PAPER_NOISE_LEVELS.map(lab),
      y: rows,
      line: { color: arch === 'cnn' ? COLORS.cnnPaper : COLORS.lstmPaper, dash: 'dot', width: 2 },
    });
  }
  return {
    data,
    layout: baseLayout(
      `Noise-augmented training: ${metric === 'accuracy' ? 'accuracy' : 'weighted F1'} vs test noise (${r.data.nTest} test images)`,
      {
        width: 900,
        height: 500,
        xaxis: {
          title: { text: 'test noise σ (% of the pixel range)' },
          type: 'category',
          showline: true,
          linecolor: '#444',
        },
        yaxis: {
          title: { text: metric === 'accuracy' ? 'accuracy' : 'weighted F1' },
          range: [0, 0.75],
          gridcolor: '#e5e5e5',
        },
      },
    ),
  };
}

/** Accuracy against FER2013 (all rows; rows with a FER+ label) and against FER+, per model. */
export function ferPlusFigure(results: RobustnessResult[]): PlotlyFigure {
  const rs = results.filter((r) => r.ferplus !== null);
  const cats = [
    'FER2013 labels, all test rows',
    'FER2013 labels, FER+ rows',
    'FER+ labels, FER+ rows',
  ];
  const data: PlotlyTrace[] = rs.map((r) => {
    const fp = r.ferplus!;
    const st = styleOf(r.model.meta);
    return {
      type: 'bar',
      name: modelLabel(r.model.meta),
      x: cats,
      y: [
        fp.allRows.original.accuracy,
        fp.ferplusRows.original.accuracy,
        fp.ferplusRows.ferplus.accuracy,
      ],
      marker: {
        color: st.color,
        line: { color: '#333', width: 0.5 },
        ...(st.dash === 'dash'
          ? {
              pattern: { shape: '/', fillmode: 'overlay', fgcolor: '#444', size: 6, solidity: 0.2 },
            }
          : {}),
      },
      texttemplate: '%{y:.3f}',
      textposition: 'outside',
      cliponaxis: false,
    };
  });
  const pub = rs[0]?.ferplus?.published[0];
  return {
    data,
    layout: baseLayout('The same predictions scored against FER2013 and FER+ labels', {
      barmode: 'group',
      width: 900,
      height: 480,
      yaxis: { title: { text: 'accuracy' }, range: [0, 1], gridcolor: '#e5e5e5' },
      shapes: pub
        ? [
            {
              type: 'line',
              xref: 'paper',
              x0: 0,
              x1: 1,
              y0: pub.accuracy,
              y1: pub.accuracy,
              line: { color: COLORS.grey, dash: 'dot', width: 1.5 },
            },
          ]
        : [],
      annotations: pub
        ? [
            {
              text: `${pub.method}, trained on FER+ (${pub.source}): ${pub.accuracy} — not comparable`,
              xref: 'paper',
              x: 0.01,
              xanchor: 'left',
              y: pub.accuracy,
              yanchor: 'bottom',
              showarrow: false,
              font: { size: 11, color: '#555' },
            },
          ]
        : [],
    }),
  };
}

/**
 * A few test faces under every corruption family (rows) at every severity (columns), corrupted
 * exactly as the suite corrupts them (same seed, ids = dataset rows).
 */
export function corruptionExamplesFigure(
  ds: FerDataset,
  row: number,
  seed = 0,
  families: readonly CorruptionName[] = CORRUPTIONS,
): PlotlyFigure {
  const clean = ds.pixels.slice(row * PIXELS_PER_IMAGE, (row + 1) * PIXELS_PER_IMAGE);
  const tiles = families.map((f) => [
    clean,
    ...SEVERITIES.map((s) => corrupt(clean, f, s, { seed, ids: [row] })),
  ]);
  return imageGridFigure(
    `Corruptions at severities 1–5 (test face ${row}, ${EMOTIONS[ds.labels[row]]}; seed ${seed})`,
    tiles,
    [...families],
    ['clean', ...SEVERITIES.map((s) => `s${s}`)],
  );
}
