/** Readable text tables of eval/compare results, for the terminal. */
import { EMOTIONS } from '../data/classes';
import { f3, pct, pval as pv } from '../util/format';
import { PAPER } from './paper';
import { PAPER_NOISE_LEVELS } from '../data/noise';
import { interimProgress } from '../models/meta';
import type { CompareResult, ConfidenceInterval, EvalResult, SpreadStat } from './types';
import { paperCounterpart } from '../models/designs';

/** A padded text table: first column left-aligned, the rest right-aligned. */
export function textTable(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
}

const ci = (c: ConfidenceInterval | undefined): string => (c ? `[${f3(c.lo)}, ${f3(c.hi)}]` : '');
const pm = (s: SpreadStat): string => (s.std === null ? f3(s.mean) : `${f3(s.mean)}±${f3(s.std)}`);

export function formatEval(r: EvalResult): string {
  const L: string[] = [];
  const m = r.model.meta;
  const paperKey = paperCounterpart(m.architecture);
  L.push(
    `model ${r.model.name} (${m.architecture}, ${m.params.toLocaleString('en-US')} params, seed ${m.seed})` +
      ` on ${r.data.nTest} test images of split '${r.data.split}'${r.data.limited ? ` (subset of ${r.data.nTestFull})` : ''}, backend ${r.backend}`,
  );
  if (m.interim)
    L.push(
      `INTERIM: the best weights (epoch ${m.bestEpoch}) of an unfinished run, read from ` +
        `${m.interim.checkpoint} after ${interimProgress(m.interim)}; not the run's result`,
    );
  if (r.bnRecalibration)
    L.push(
      `BatchNorm statistics re-estimated on ${r.bnRecalibration.images} training images ` +
        `(${r.bnRecalibration.layers.length} layers; not the paper's recipe)`,
    );
  const p1 = PAPER.table1[paperKey];
  L.push('', 'Table 1: clean test set (95 % bootstrap CI)');
  L.push(
    textTable(
      ['averaging', 'accuracy', 'precision', 'recall', 'F1', 'F1 CI'],
      [
        ...r.table1.rows.map((x) => [
          x.averaging,
          f3(x.accuracy),
          f3(x.precision),
          f3(x.recall),
          f3(x.f1),
          ci(x.ci?.f1),
        ]),
        ['paper', f3(p1.accuracy), f3(p1.precision), f3(p1.recall), f3(p1.f1), ''],
      ],
    ),
  );
  L.push('', 'per class');
  L.push(
    textTable(
      ['class', 'precision', 'recall', 'F1', 'support'],
      r.table1.report.perClass.map((c, i) => [
        EMOTIONS[i] ?? String(i),
        f3(c.precision),
        f3(c.recall),
        f3(c.f1),
        String(c.support),
      ]),
    ),
  );
  if (r.table2) {
    const t = r.table2;
    L.push('', `Table 2: cost (backend ${t.backend})`);
    L.push(
      textTable(
        ['', 'ours', 'paper'],
        [
          [
            'parameters',
            t.params.toLocaleString('en-US'),
            PAPER.table2[paperKey].params.toLocaleString('en-US'),
          ],
          [
            'FLOPs / image',
            t.flopsPerImage === null ? 'n/a' : (t.flopsPerImage / 1e6).toPrecision(4) + ' M',
            '',
          ],
          [
            'size on disk',
            t.sizeOnDiskBytes === null ? 'n/a' : (t.sizeOnDiskBytes / 2 ** 20).toFixed(2) + ' MiB',
            '',
          ],
          [
            'batch-1 ms (median)',
            t.latencyBatch1.medianMs.toFixed(2),
            PAPER.table2[paperKey].msPerImage.toFixed(2),
          ],
          ['batch-1 ms (p95)', t.latencyBatch1.p95Ms.toFixed(2), ''],
          [`batch-${t.throughput.batchSize} ms/img`, t.throughput.msPerImage.toFixed(3), ''],
        ],
      ),
    );
  }
  L.push(
    '',
    `Tables 3/4: noise (mean±std over ${r.table34.levels.at(-1)?.seeds.length ?? 1} noise seed(s))`,
  );
  L.push(
    textTable(
      ['noise', 'accuracy', 'paper', 'F1 weighted', 'F1 macro', 'paper F1', 'top class'],
      r.table34.levels.map((l) => {
        const i = PAPER_NOISE_LEVELS.findIndex((x) => Math.abs(x - l.level) < 1e-9);
        return [
          l.level === 0 ? 'clean' : pct(l.level),
          pm(l.accuracy),
          i >= 0 ? f3(PAPER.table3[paperKey][i]) : '',
          pm(l.f1.weighted),
          pm(l.f1.macro),
          i >= 0 ? f3(PAPER.table4[paperKey][i]) : '',
          `${EMOTIONS[l.topClass]} ${(100 * l.topClassShare.mean).toFixed(0)}%`,
        ];
      }),
    ),
  );
  L.push('', 'Table 5: emotion groups (F1 over the group labels on the group samples)');
  L.push(
    textTable(
      [
        'group',
        'n',
        'accuracy',
        'acc CI',
        'F1 macro',
        'F1 weighted',
        'F1 micro',
        'paper acc',
        'paper F1',
      ],
      r.table5.rows.map((x) => [
        x.group,
        String(x.metrics.n),
        f3(x.metrics.accuracy),
        ci(x.ci?.accuracy),
        f3(x.metrics.macro.f1),
        f3(x.metrics.weighted.f1),
        f3(x.metrics.micro.f1),
        f3(PAPER.table5[paperKey][x.group].accuracy),
        f3(PAPER.table5[paperKey][x.group].f1),
      ]),
    ),
  );
  L.push(
    '',
    "Metric-definition audit (which definition reproduces the paper's pattern on our numbers)",
  );
  for (const c of r.audit)
    L.push(`  ${c.id}: ${c.reproducedBy.length ? c.reproducedBy.join(', ') : 'none'}`);
  return L.join('\n');
}

export function formatCompare(r: CompareResult): string {
  const L: string[] = [
    `McNemar exact test, A = ${r.a.name} (${r.a.meta.architecture}) vs B = ${r.b.name} (${r.b.meta.architecture}),` +
      ` ${r.data.nTest} paired test images, backend ${r.backend}`,
    'b = A right & B wrong, c = A wrong & B right; p of the first noise seed, and in how many seeds p < 0.05',
    '',
  ];
  L.push(
    textTable(
      ['noise', 'acc A', 'acc B', 'b', 'c', 'p', 'seeds p<.05'],
      r.levels.map((l) => {
        const t = l.tests[0];
        const mean = (f: (x: (typeof l.tests)[number]) => number): number =>
          l.tests.reduce((s, x) => s + f(x), 0) / l.tests.length;
        return [
          l.level === 0 ? 'clean' : pct(l.level),
          f3(mean((x) => x.accuracyA)),
          f3(mean((x) => x.accuracyB)),
          String(t.b),
          String(t.c),
          pv(t.pValue),
          `${l.significantSeeds}/${l.tests.length}`,
        ];
      }),
    ),
  );
  return L.join('\n');
}
