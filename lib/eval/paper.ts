/**
 * Every number the paper publishes (Vitkovskyi, Potapova & Martynova; see
 * shared/paper/PAPER-NOTES.md), typed, and `compareWithPaper()` to put ours beside them.
 * The paper's "LSTM" model is our 'cnn-lstm'. Its metric definitions are not stated; the
 * evaluation's metric-definition audit decides which of ours to compare against.
 */
import { PAPER_NOISE_LEVELS } from '../data/noise';
import type { ModelName } from '../models/meta';
import type { Averaging, EvalResult, PaperComparisonRow } from './types';

export interface PaperTable1Row {
  f1: number;
  accuracy: number;
  precision: number;
  recall: number;
}

export interface PaperTable2Row {
  msPerImage: number;
  params: number;
}

export interface PaperTable5Row {
  accuracy: number;
  f1: number;
}

export interface PaperNumbers {
  /** Table 1: clean test set. */
  table1: Record<ModelName, PaperTable1Row>;
  /** Table 2: time per image (ms, hardware and batch size not stated) and parameter count. */
  table2: Record<ModelName, PaperTable2Row>;
  /** Table 3: accuracy at PAPER_NOISE_LEVELS[i]. */
  table3: Record<ModelName, number[]>;
  /** Table 4: F1 at PAPER_NOISE_LEVELS[i]. */
  table4: Record<ModelName, number[]>;
  /** Table 5: emotion groups. */
  table5: Record<ModelName, { simple: PaperTable5Row; complex: PaperTable5Row }>;
  /** Dataset size and split as stated. */
  dataset: { images: number; classes: number; trainFraction: number };
  /** Training settings as stated. */
  training: { optimizer: 'adam'; learningRate: number; loss: 'categorical_crossentropy' };
}

export const PAPER: PaperNumbers = {
  table1: {
    cnn: { f1: 0.65, accuracy: 0.65, precision: 0.66, recall: 0.64 },
    'cnn-lstm': { f1: 0.61, accuracy: 0.63, precision: 0.64, recall: 0.59 },
  },
  table2: {
    cnn: { msPerImage: 32.66, params: 4_478_727 },
    'cnn-lstm': { msPerImage: 17.45, params: 3_121_287 },
  },
  table3: {
    cnn: [0.65, 0.65, 0.57, 0.42, 0.26, 0.21, 0.18, 0.18, 0.18, 0.18],
    'cnn-lstm': [0.63, 0.62, 0.55, 0.43, 0.29, 0.23, 0.2, 0.23, 0.24, 0.25],
  },
  table4: {
    cnn: [0.65, 0.65, 0.57, 0.41, 0.19, 0.12, 0.06, 0.05, 0.05, 0.05],
    'cnn-lstm': [0.63, 0.62, 0.55, 0.4, 0.23, 0.16, 0.1, 0.14, 0.13, 0.11],
  },
  table5: {
    cnn: { simple: { accuracy: 0.74, f1: 0.81 }, complex: { accuracy: 0.55, f1: 0.64 } },
    'cnn-lstm': { simple: { accuracy: 0.72, f1: 0.8 }, complex: { accuracy: 0.53, f1: 0.6 } },
  },
  dataset: { images: 35_887, classes: 7, trainFraction: 0.8 },
  training: { optimizer: 'adam', learningRate: 0.0005, loss: 'categorical_crossentropy' },
};

export interface CompareOptions {
  /** Definitions to include for Table 1 P/R/F1 (default: all four). */
  table1?: Averaging[];
  /** F1 definitions for Table 4 (default macro, weighted, micro). */
  table4?: Exclude<Averaging, 'keras'>[];
  /** Group F1 definitions for Table 5 (default macro, weighted, micro). */
  table5?: Exclude<Averaging, 'keras'>[];
}

const levelKey = (l: number): string => `${+(l * 100).toFixed(2)}%`;

/**
 * Ours beside the paper's for one model, one row per (table, metric, definition, key), with
 * diff = ours - paper. Noise levels the result does not contain are skipped; Table 2 compares
 * parameters and the batch-1 median latency (the paper does not say how it timed).
 */
export function compareWithPaper(
  model: ModelName,
  ours: Pick<EvalResult, 'table1' | 'table2' | 'table34' | 'table5'>,
  opts: CompareOptions = {},
): PaperComparisonRow[] {
  const rows: PaperComparisonRow[] = [];
  const add = (
    table: PaperComparisonRow['table'],
    metric: string,
    definition: string,
    key: string,
    paper: number,
    value: number,
  ): void => {
    rows.push({ table, metric, definition, key, paper, ours: value, diff: value - paper });
  };
  const p1 = PAPER.table1[model];
  const t1 = ours.table1.rows;
  const acc = t1[0]?.accuracy;
  if (acc !== undefined) add('table1', 'accuracy', '', '', p1.accuracy, acc);
  for (const def of opts.table1 ?? ['macro', 'weighted', 'micro', 'keras']) {
    const r = t1.find((x) => x.averaging === def);
    if (!r) continue;
    add('table1', 'precision', def, '', p1.precision, r.precision);
    add('table1', 'recall', def, '', p1.recall, r.recall);
    add('table1', 'f1', def, '', p1.f1, r.f1);
  }
  if (ours.table2) {
    add('table2', 'params', '', '', PAPER.table2[model].params, ours.table2.params);
    add(
      'table2',
      'msPerImage',
      'batch-1 median',
      ours.table2.backend,
      PAPER.table2[model].msPerImage,
      ours.table2.latencyBatch1.medianMs,
    );
    add(
      'table2',
      'msPerImage',
      `batch-${ours.table2.throughput.batchSize} throughput`,
      ours.table2.backend,
      PAPER.table2[model].msPerImage,
      ours.table2.throughput.msPerImage,
    );
  }
  PAPER_NOISE_LEVELS.forEach((level, i) => {
    const r = ours.table34.levels.find((x) => Math.abs(x.level - level) < 1e-9);
    if (!r) return;
    add('table3', 'accuracy', '', levelKey(level), PAPER.table3[model][i], r.accuracy.mean);
    for (const def of opts.table4 ?? ['macro', 'weighted', 'micro'])
      add('table4', 'f1', def, levelKey(level), PAPER.table4[model][i], r.f1[def].mean);
  });
  for (const row of ours.table5.rows) {
    const p = PAPER.table5[model][row.group];
    add('table5', 'accuracy', '', row.group, p.accuracy, row.metrics.accuracy);
    for (const def of opts.table5 ?? ['macro', 'weighted', 'micro'])
      add('table5', 'f1', def, row.group, p.f1, row.metrics[def].f1);
  }
  return rows;
}
