/**
 * The rows that notebooks 04–06 show, built from evaluation results (`EvalResult`,
 * `CompareResult`) with the paper's numbers beside ours. Plain typed rows: the notebooks show
 * them as tables, tests check them.
 */
import { EMOTIONS } from '../data/classes';
import type { Averaging, CompareResult, EvalResult } from '../eval/types';
import { PAPER } from '../eval/paper';
import { PAPER_NOISE_LEVELS } from '../data/noise';
import type { ModelName } from '../models/meta';
import { MODEL_LABEL, wilsonInterval, type ResultsByModel } from './paper-figures';
import type { Row } from './tables';
import { pct, pval } from './format';

const ci = (c: { lo: number; hi: number } | null | undefined): string =>
  c ? `${c.lo.toFixed(3)}–${c.hi.toFixed(3)}` : '—';
const levelLabel = (l: number): string => (l === 0 ? 'clean' : pct(l));

function models(r: ResultsByModel): ModelName[] {
  return (['cnn', 'cnn-lstm'] as const).filter((m) => r[m]);
}

/** Table 1 under every averaging, with 95 % CIs, and the paper's row first for each model. */
export function table1Rows(r: ResultsByModel): Row[] {
  return models(r).flatMap((m) => {
    const e = r[m] as EvalResult;
    const p = PAPER.table1[m];
    return [
      {
        model: MODEL_LABEL[m],
        source: 'paper',
        accuracy: p.accuracy,
        precision: p.precision,
        recall: p.recall,
        F1: p.f1,
        'accuracy CI': '',
        'precision CI': '',
        'recall CI': '',
        'F1 CI': '',
      },
      ...e.table1.rows.map((x): Row => ({
        model: MODEL_LABEL[m],
        source: `ours, ${x.averaging}`,
        accuracy: x.accuracy,
        precision: x.precision,
        recall: x.recall,
        F1: x.f1,
        'accuracy CI': ci(x.ci?.accuracy),
        'precision CI': ci(x.ci?.precision),
        'recall CI': ci(x.ci?.recall),
        'F1 CI': ci(x.ci?.f1),
      })),
    ];
  });
}

/** The metric-definition audit: each pattern of the paper and the definitions that show it. */
export function auditRows(r: ResultsByModel): Row[] {
  return models(r).flatMap((m) =>
    (r[m] as EvalResult).audit.map((c): Row => ({
      model: MODEL_LABEL[m],
      check: c.id,
      pattern: c.pattern,
      'holds for': c.reproducedBy.length ? c.reproducedBy.join(', ') : 'none',
      'does not hold for':
        c.outcomes
          .filter((o) => !o.holds)
          .map((o) => o.definition)
          .join(', ') || '—',
      ...(c.note ? { note: c.note } : {}),
    })),
  );
}

/** Table 2: parameters, FLOPs, size on disk and time per image, beside the paper's. */
export function table2Rows(r: ResultsByModel): Row[] {
  return models(r).map((m) => {
    const e = r[m] as EvalResult;
    const t = e.table2;
    return {
      model: MODEL_LABEL[m],
      'params (paper)': PAPER.table2[m].params,
      params: t?.params ?? e.model.meta.params,
      'MFLOPs / image': t?.flopsPerImage != null ? t.flopsPerImage / 1e6 : null,
      'size on disk (MB)': t?.sizeOnDiskBytes != null ? t.sizeOnDiskBytes / 1e6 : null,
      'ms / image (paper)': PAPER.table2[m].msPerImage,
      'batch 1 median ms': t?.latencyBatch1.medianMs ?? null,
      'batch 1 p95 ms': t?.latencyBatch1.p95Ms ?? null,
      [`ms / image at batch ${t?.throughput.batchSize ?? '—'}`]: t?.throughput.msPerImage ?? null,
      backend: t?.backend ?? '—',
    };
  });
}

/**
 * Tables 3 (accuracy) or 4 (F1 under `def`): per level, the paper's value and ours as
 * mean ± sd over noise seeds; for accuracy also a 95 % Wilson interval over the test images.
 */
export function noiseRows(
  r: ResultsByModel,
  which: 'accuracy' | 'f1',
  def: Exclude<Averaging, 'keras'> = 'weighted',
): Row[] {
  const levels = [0, ...PAPER_NOISE_LEVELS];
  return levels.map((level) => {
    const row: Row = { 'noise σ': levelLabel(level) };
    for (const m of models(r)) {
      const e = r[m] as EvalResult;
      const l = e.table34.levels.find((x) => Math.abs(x.level - level) < 1e-9);
      const i = PAPER_NOISE_LEVELS.findIndex((x) => Math.abs(x - level) < 1e-9);
      const paper =
        level === 0
          ? which === 'accuracy'
            ? PAPER.table1[m].accuracy
            : PAPER.table1[m].f1
          : (which === 'accuracy' ? PAPER.table3 : PAPER.table4)[m][i];
      const s = l ? (which === 'accuracy' ? l.accuracy : l.f1[def]) : null;
      const L = MODEL_LABEL[m];
      row[`${L} paper`] = paper;
      row[`${L} ours`] = s ? s.mean : null;
      // The spread over noise draws of one trained model: not replication.
      row[`${L} sd over noise draws`] = s?.std ?? null;
      if (which === 'accuracy')
        row[`${L} 95 % CI`] = s ? ci(wilsonInterval(s.mean, e.table34.n)) : '—';
      row[`${L} top class`] = l
        ? `${EMOTIONS[l.topClass]} ${(100 * l.topClassShare.mean).toFixed(0)} %`
        : '—';
    }
    return row;
  });
}

/** McNemar per level: discordant pairs and p for each noise seed. */
export function mcnemarRows(c: CompareResult): Row[] {
  return c.levels.map((l) => ({
    'noise σ': levelLabel(l.level),
    [`only ${c.a.name} right`]: l.tests.map((t) => t.b).join(' / '),
    [`only ${c.b.name} right`]: l.tests.map((t) => t.c).join(' / '),
    'exact p per noise draw': l.tests.map((t) => pval(t.pValue)).join(' / '),
    'noise draws with p < 0.05': `${l.significantSeeds} of ${l.tests.length}`,
  }));
}

/** Table 5 under every group averaging, with CIs, beside the paper's. */
export function table5Rows(r: ResultsByModel): Row[] {
  return models(r).flatMap((m) =>
    (r[m] as EvalResult).table5.rows.map((g): Row => {
      const p = PAPER.table5[m][g.group];
      return {
        model: MODEL_LABEL[m],
        group: g.group,
        n: g.metrics.n,
        'accuracy (paper)': p.accuracy,
        accuracy: g.metrics.accuracy,
        'accuracy CI': ci(g.ci?.accuracy),
        'F1 (paper)': p.f1,
        'F1 macro': g.metrics.macro.f1,
        'F1 macro CI': ci(g.ci?.f1Macro),
        'F1 weighted': g.metrics.weighted.f1,
        'F1 weighted CI': ci(g.ci?.f1Weighted),
        'F1 micro': g.metrics.micro.f1,
        'F1 micro CI': ci(g.ci?.f1Micro),
      };
    }),
  );
}

/** Per-class precision, recall, F1 and support of each model on the clean test set. */
export function perClassRows(r: ResultsByModel): Row[] {
  const ms = models(r);
  return EMOTIONS.map((emotion, c) => {
    const row: Row = {
      emotion,
      support: (r[ms[0]] as EvalResult).table1.report.perClass[c].support,
    };
    for (const m of ms) {
      const pc = (r[m] as EvalResult).table1.report.perClass[c];
      const L = MODEL_LABEL[m];
      row[`${L} precision`] = pc.precision;
      row[`${L} recall`] = pc.recall;
      row[`${L} F1`] = pc.f1;
    }
    return row;
  });
}
