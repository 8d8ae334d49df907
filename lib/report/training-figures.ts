/**
 * Learning curves from a saved model's `train-log.jsonl`: loss and accuracy per epoch, training
 * beside validation, as two Plotly panels (Keras `History` plots, as the paper's source
 * notebooks draw them).
 */
import { NUM_CLASSES } from '../data/classes';
import type { FerDataset } from '../data/dataset';
import type { EpochLog } from '../train/checkpoint';
import { FerError } from '../util/errors';
import { baseLayout, COLORS, type PlotlyFigure, type PlotlyTrace } from './figures';

export interface CurveOptions {
  title: string;
  /** The epoch whose weights were kept (marked on both panels). */
  bestEpoch?: number;
  /** Accuracy of always predicting the most common class (a dotted line). */
  baseline?: number;
}

export function learningCurvesFigure(history: EpochLog[], opts: CurveOptions): PlotlyFigure {
  if (history.length === 0) throw new FerError('learning curves: the training log is empty');
  const x = history.map((h) => h.epoch);
  const line = (
    name: string,
    y: number[],
    color: string,
    dash: string,
    axis: 1 | 2,
    showlegend = true,
  ): PlotlyTrace => ({
    type: 'scatter',
    mode: 'lines+markers',
    name,
    legendgroup: name,
    showlegend,
    x,
    y,
    line: { color, width: 2, dash },
    marker: { color, size: 6 },
    xaxis: axis === 1 ? 'x' : 'x2',
    yaxis: axis === 1 ? 'y' : 'y2',
  });
  const data: PlotlyTrace[] = [
    line(
      'training',
      history.map((h) => h.loss),
      COLORS.cnn,
      'solid',
      1,
    ),
    line(
      'validation',
      history.map((h) => h.val_loss),
      COLORS.lstm,
      'solid',
      1,
    ),
    line(
      'training',
      history.map((h) => h.accuracy),
      COLORS.cnn,
      'solid',
      2,
      false,
    ),
    line(
      'validation',
      history.map((h) => h.val_accuracy),
      COLORS.lstm,
      'solid',
      2,
      false,
    ),
  ];
  const x0 = Math.min(...x) - 0.3;
  const x1 = Math.max(...x) + 0.3;
  if (opts.baseline !== undefined)
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: 'most common class',
      x: [x0, x1],
      y: [opts.baseline, opts.baseline],
      line: { color: COLORS.grey, width: 1.5, dash: 'dot' },
      xaxis: 'x2',
      yaxis: 'y2',
      hoverinfo: 'skip',
    });
  const shapes =
    opts.bestEpoch !== undefined && opts.bestEpoch > 0
      ? (['x', 'x2'] as const).map((xref) => ({
          type: 'line',
          xref,
          yref: xref === 'x' ? 'y domain' : 'y2 domain',
          x0: opts.bestEpoch,
          x1: opts.bestEpoch,
          y0: 0,
          y1: 1,
          line: { color: '#999', width: 1, dash: 'dash' },
        }))
      : [];
  const axis = (domain: [number, number], anchor: string, title: string) => ({
    domain,
    anchor,
    title: { text: title },
    showline: true,
    linecolor: '#444',
    ticks: 'outside',
    gridcolor: '#e5e5e5',
    zeroline: false,
  });
  const accs = history.flatMap((h) => [h.accuracy, h.val_accuracy]);
  return {
    data,
    layout: baseLayout(opts.title, {
      width: 900,
      height: 420,
      shapes,
      xaxis: {
        ...axis([0, 0.44], 'y', 'epoch'),
        range: [x0, x1],
        dtick: history.length > 15 ? 5 : 1,
      },
      yaxis: axis([0, 1], 'x', 'loss (cross-entropy)'),
      xaxis2: {
        ...axis([0.56, 1], 'y2', 'epoch'),
        range: [x0, x1],
        dtick: history.length > 15 ? 5 : 1,
      },
      yaxis2: {
        ...axis([0, 1], 'x2', 'accuracy'),
        range: [0, Math.min(1, Math.max(0.5, ...accs, opts.baseline ?? 0) + 0.05)],
      },
      annotations:
        opts.bestEpoch !== undefined && opts.bestEpoch > 0
          ? [
              {
                xref: 'x2',
                yref: 'y2 domain',
                x: opts.bestEpoch,
                y: 1,
                text: `kept: epoch ${opts.bestEpoch}`,
                showarrow: false,
                yanchor: 'bottom',
                font: { size: 11, color: '#666' },
              },
            ]
          : [],
    }),
  };
}

/** Share of the most common class among `rows` (the accuracy of always guessing it). */
export function majorityShare(ds: FerDataset, rows: ArrayLike<number>): number {
  if (rows.length === 0) throw new FerError('majorityShare: no rows');
  const c = new Array<number>(NUM_CLASSES).fill(0);
  for (let i = 0; i < rows.length; i++) c[ds.labels[rows[i]]]++;
  return Math.max(...c) / rows.length;
}
