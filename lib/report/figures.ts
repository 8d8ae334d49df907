/**
 * Plotly figures as plain typed JSON (`{data, layout}`), so that they can be saved, diffed,
 * rendered to PNG/SVG by headless Chromium (./export.ts) and shown inline in a notebook.
 * The builders for the paper's figures live in ./paper-figures.ts.
 */

/** One Plotly trace. Only the fields we use are typed; Plotly accepts many more. */
export interface PlotlyTrace {
  type: 'bar' | 'scatter' | 'heatmap' | 'image';
  name?: string;
  x?: (number | string)[];
  y?: (number | string | null)[];
  z?: number[][];
  text?: string[] | string[][];
  mode?: string;
  showlegend?: boolean;
  legendgroup?: string;
  marker?: Record<string, unknown>;
  line?: Record<string, unknown>;
  error_y?: Record<string, unknown>;
  fill?: 'tonexty' | 'toself' | 'none';
  fillcolor?: string;
  hoverinfo?: string;
  texttemplate?: string;
  textposition?: string;
  colorscale?: string | [number, string][];
  xaxis?: string;
  yaxis?: string;
  /** `image` traces: a data: URI (PNG). */
  source?: string;
  [extra: string]: unknown;
}

export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout: Record<string, unknown>;
}

/** Figure size in CSS pixels; PNG export multiplies by the scale (300 dpi / 96 dpi). */
export const DEFAULT_WIDTH = 800;
export const DEFAULT_HEIGHT = 480;
export const PRINT_SCALE = 300 / 96;

/** Colours: ours solid, the paper's the same hue, lighter and hatched, so pairs read at once. */
export const COLORS = {
  cnn: '#1f77b4',
  cnnPaper: '#aec7e8',
  lstm: '#d62728',
  lstmPaper: '#ff9896',
  grey: '#7f7f7f',
} as const;

/** A common white layout with readable fonts; `extra` overrides any field. */
export function baseLayout(
  title: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    title: { text: title, x: 0.02, xanchor: 'left', font: { size: 16 } },
    width: DEFAULT_WIDTH,
    height: DEFAULT_HEIGHT,
    font: { family: 'DejaVu Sans, Arial, sans-serif', size: 12 },
    paper_bgcolor: 'white',
    plot_bgcolor: 'white',
    margin: { l: 70, r: 30, t: 60, b: 60 },
    legend: { orientation: 'h', y: -0.18 },
    xaxis: { showline: true, linecolor: '#444', ticks: 'outside' },
    yaxis: {
      showline: true,
      linecolor: '#444',
      ticks: 'outside',
      gridcolor: '#e5e5e5',
      zeroline: false,
    },
    ...extra,
  };
}

/** Grouped bars: one trace per series over the same categories. */
export function groupedBars(
  title: string,
  categories: string[],
  series: {
    name: string;
    values: (number | null)[];
    color: string;
    hatched?: boolean;
    errors?: { lo: number; hi: number }[] | null;
  }[],
  opts: { yTitle?: string; yRange?: [number, number]; textFormat?: string } = {},
): PlotlyFigure {
  const data: PlotlyTrace[] = series.map((s) => {
    const t: PlotlyTrace = {
      type: 'bar',
      name: s.name,
      x: categories,
      y: s.values,
      marker: {
        color: s.color,
        line: { color: '#333', width: 0.5 },
        ...(s.hatched
          ? {
              pattern: { shape: '/', fillmode: 'overlay', fgcolor: '#444', size: 7, solidity: 0.2 },
            }
          : {}),
      },
      texttemplate: opts.textFormat ?? '%{y:.2f}',
      // Error bars would cross a label drawn above the bar, so labelled CI bars go inside.
      textposition: s.errors ? 'inside' : 'outside',
      insidetextanchor: 'middle',
      cliponaxis: false,
    };
    if (s.errors) {
      const ys = s.values;
      t.error_y = {
        type: 'data',
        symmetric: false,
        array: s.errors.map((e, i) => (ys[i] === null ? 0 : e.hi - (ys[i] as number))),
        arrayminus: s.errors.map((e, i) => (ys[i] === null ? 0 : (ys[i] as number) - e.lo)),
        color: '#222',
        thickness: 1,
        width: 3,
      };
    }
    return t;
  });
  return {
    data,
    layout: baseLayout(title, {
      barmode: 'group',
      bargap: 0.2,
      yaxis: {
        title: { text: opts.yTitle ?? '' },
        range: opts.yRange,
        showline: true,
        linecolor: '#444',
        ticks: 'outside',
        gridcolor: '#e5e5e5',
        zeroline: false,
      },
    }),
  };
}

/**
 * A line with a shaded band (e.g. a 95 % CI or min–max over seeds): the band is drawn as a lower
 * invisible line plus an upper line filled down to it, as Plotly expects.
 */
export function lineWithBand(
  name: string,
  x: number[],
  y: number[],
  band: { lo: number[]; hi: number[] } | null,
  style: { color: string; dash?: string; fill?: string; marker?: string },
): PlotlyTrace[] {
  const traces: PlotlyTrace[] = [];
  if (band) {
    traces.push(
      {
        type: 'scatter',
        x,
        y: band.lo,
        mode: 'lines',
        line: { width: 0 },
        showlegend: false,
        legendgroup: name,
        hoverinfo: 'skip',
        name: `${name} lower`,
      },
      {
        type: 'scatter',
        x,
        y: band.hi,
        mode: 'lines',
        line: { width: 0 },
        fill: 'tonexty',
        fillcolor: style.fill ?? 'rgba(0,0,0,0.12)',
        showlegend: false,
        legendgroup: name,
        hoverinfo: 'skip',
        name: `${name} upper`,
      },
    );
  }
  traces.push({
    type: 'scatter',
    name,
    legendgroup: name,
    x,
    y,
    mode: 'lines+markers',
    line: { color: style.color, width: 2, dash: style.dash ?? 'solid' },
    marker: { color: style.color, size: 6, symbol: style.marker ?? 'circle' },
  });
  return traces;
}

/** A confusion matrix heatmap, rows = true class, columns = predicted; cells show row %. */
export function confusionHeatmap(
  title: string,
  labels: string[],
  counts: number[][],
): PlotlyFigure {
  const rowPct = counts.map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (s === 0 ? 0 : v / s));
  });
  const text = counts.map((row, i) =>
    row.map((v, j) => `${v}<br>${(100 * rowPct[i][j]).toFixed(0)}%`),
  );
  return {
    data: [
      {
        type: 'heatmap',
        x: labels,
        y: labels,
        z: rowPct,
        text,
        texttemplate: '%{text}',
        // plotly.js's named 'Blues' runs dark to light; explicit white-to-blue reads better.
        colorscale: [
          [0, '#f7fbff'],
          [0.5, '#6baed6'],
          [1, '#08306b'],
        ],
        zmin: 0,
        zmax: 1,
        colorbar: { title: { text: 'row share' }, tickformat: '.0%' },
        hovertemplate: 'true %{y}, predicted %{x}: %{text}<extra></extra>',
      },
    ],
    layout: baseLayout(title, {
      width: 640,
      height: 600,
      xaxis: { title: { text: 'predicted' }, side: 'bottom', tickangle: -30 },
      yaxis: { title: { text: 'true' }, autorange: 'reversed' },
      margin: { l: 90, r: 30, t: 60, b: 90 },
    }),
  };
}
