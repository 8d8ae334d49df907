/**
 * Figures about the data: class balance, sample faces per class, and the noise examples at each
 * of the paper's levels (its Fig. 4, which the text describes but does not show).
 *
 * Face grids are PNGs we encode ourselves (./png.ts), placed in a Plotly figure as one image
 * trace whose axis ticks name the rows and columns, so they export like every other figure.
 */
import { EMOTIONS, IMAGE_SIZE, PIXELS_PER_IMAGE, USAGES } from '../data/classes';
import type { FerDataset } from '../data/dataset';
import { addGaussianNoise } from '../data/noise';
import { Rng } from '../util/rng';
import { baseLayout, type PlotlyFigure } from './figures';
import { encodePng, floatsToGrey, pngDataUri, tileGrid } from './png';

/** counts[usage][class] over the whole file. */
export function classCounts(ds: FerDataset): number[][] {
  const c = USAGES.map(() => new Array<number>(EMOTIONS.length).fill(0));
  for (let i = 0; i < ds.n; i++) c[ds.usage[i]][ds.labels[i]]++;
  return c;
}

const USAGE_COLORS = ['#4c78a8', '#f58518', '#54a24b'];

/** Stacked bars: images per emotion, split by the CSV's Usage column. */
export function classBalanceFigure(ds: FerDataset): PlotlyFigure {
  const counts = classCounts(ds);
  return {
    data: USAGES.map((u, k) => ({
      type: 'bar' as const,
      name: u,
      x: [...EMOTIONS],
      y: counts[k],
      marker: { color: USAGE_COLORS[k] },
    })),
    layout: baseLayout(`FER2013: images per emotion (${ds.n.toLocaleString('en-US')} rows)`, {
      barmode: 'stack',
      legend: { orientation: 'h', y: -0.18, traceorder: 'normal' },
      yaxis: { title: { text: 'images' }, gridcolor: '#e5e5e5', showline: true, linecolor: '#444' },
    }),
  };
}

/** Up to `perClass` rows of each class, drawn without replacement by a seeded shuffle. */
export function sampleRowsPerClass(
  ds: FerDataset,
  perClass: number,
  seed: number,
  from?: ArrayLike<number>,
): number[][] {
  const rows = EMOTIONS.map(() => [] as number[]);
  const all = from ? Array.from(from) : Array.from({ length: ds.n }, (_, i) => i);
  new Rng(seed).shuffle(all);
  for (const i of all) if (rows[ds.labels[i]].length < perClass) rows[ds.labels[i]].push(i);
  return rows;
}

function rowPixels(ds: FerDataset, i: number): Uint8Array {
  return ds.pixels.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE);
}

/**
 * A grid image as a Plotly figure: ticks at the centre of each tile name its row and column.
 * `scale` enlarges each 48-pixel tile (nearest neighbour) so faces stay crisp in the PNG.
 */
export function imageGridFigure(
  title: string,
  tiles: (Uint8Array | null)[][],
  rowLabels: string[],
  colLabels: string[],
  opts: { scale?: number; gap?: number } = {},
): PlotlyFigure {
  const scale = opts.scale ?? 2;
  const gap = opts.gap ?? 4;
  const g = tileGrid(tiles, IMAGE_SIZE, IMAGE_SIZE, { scale, gap });
  const png = encodePng(g.pixels, g.width, g.height);
  const step = IMAGE_SIZE * scale + gap;
  const centre = (k: number) => gap + k * step + (IMAGE_SIZE * scale) / 2;
  return {
    data: [{ type: 'image', source: pngDataUri(png), hoverinfo: 'skip' }],
    layout: baseLayout(title, {
      width: g.width + 140,
      height: g.height + 110,
      margin: { l: 110, r: 20, t: 60, b: 40 },
      xaxis: {
        tickvals: colLabels.map((_, k) => centre(k)),
        ticktext: colLabels,
        side: 'top',
        ticks: colLabels.some((l) => l !== '') ? 'outside' : '',
        showgrid: false,
        zeroline: false,
        range: [0, g.width],
      },
      yaxis: {
        tickvals: rowLabels.map((_, k) => centre(k)),
        ticktext: rowLabels,
        showgrid: false,
        zeroline: false,
        range: [g.height, 0],
        scaleanchor: 'x',
      },
    }),
  };
}

/** `perClass` random faces of each emotion, one row per emotion. */
export function sampleFacesFigure(ds: FerDataset, perClass = 8, seed = 0): PlotlyFigure {
  const rows = sampleRowsPerClass(ds, perClass, seed);
  return imageGridFigure(
    `Sample faces per emotion (seed ${seed})`,
    rows.map((r) => r.map((i) => rowPixels(ds, i))),
    [...EMOTIONS],
    Array.from({ length: perClass }, () => ''),
  );
}

/**
 * The paper's Fig. 4 as images: each row one face, each column one noise level, with noise
 * added exactly as in evaluation (lib/data addGaussianNoise on [0, 1] pixels, then clipped).
 */
export function noiseExamplesFigure(
  ds: FerDataset,
  rows: number[],
  levels: readonly number[],
  seed = 0,
): PlotlyFigure {
  const tiles = rows.map((i) => {
    const clean = rowPixels(ds, i);
    return [0, ...levels].map((sigma, k) => {
      const x = Float32Array.from(clean, (v) => v / 255);
      // One stream per (row, level) so that adding a level does not change the other tiles.
      addGaussianNoise(x, sigma, new Rng(seed * 1_000_003 + i * 31 + k));
      return floatsToGrey(x);
    });
  });
  return imageGridFigure(
    "Fig. 4: Gaussian noise at the paper's levels (σ as % of the pixel range)",
    tiles,
    rows.map((i) => EMOTIONS[ds.labels[i]]),
    ['clean', ...levels.map((l) => `${+(l * 100).toFixed(1)}%`)],
  );
}

export interface NoiseStatRow {
  /** σ on the [0, 1] scale. */
  level: number;
  /** Peak signal-to-noise ratio of noisy vs clean, in dB (peak 1). */
  psnrDb: number;
  /** Mean |x' - x| over pixels. */
  meanAbsChange: number;
  /** Share of pixels that the clip to [0, 1] hit. */
  clippedShare: number;
}

/**
 * How much each noise level actually changes the images (clipping makes the effective noise
 * smaller than σ near black and white), measured on `rows` with the evaluation's noise function.
 */
export function noiseStats(
  ds: FerDataset,
  rows: ArrayLike<number>,
  levels: readonly number[],
  seed = 0,
): NoiseStatRow[] {
  return levels.map((sigma) => {
    const rng = new Rng(seed);
    let se = 0;
    let ae = 0;
    let clipped = 0;
    let count = 0;
    const x = new Float32Array(PIXELS_PER_IMAGE);
    for (let k = 0; k < rows.length; k++) {
      const clean = rowPixels(ds, rows[k]);
      for (let j = 0; j < PIXELS_PER_IMAGE; j++) x[j] = clean[j] / 255;
      addGaussianNoise(x, sigma, rng);
      for (let j = 0; j < PIXELS_PER_IMAGE; j++) {
        const d = x[j] - clean[j] / 255;
        se += d * d;
        ae += Math.abs(d);
        if (sigma > 0 && (x[j] === 0 || x[j] === 1)) clipped++;
      }
      count += PIXELS_PER_IMAGE;
    }
    const mse = se / count;
    return {
      level: sigma,
      psnrDb: mse === 0 ? Infinity : 10 * Math.log10(1 / mse),
      meanAbsChange: ae / count,
      clippedShare: clipped / count,
    };
  });
}
