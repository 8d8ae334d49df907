/**
 * The README's results block, generated from the committed results (never typed by hand):
 * the paper's headline numbers beside ours and the computed claim verdicts. `npm run publish`
 * rewrites it between the README's `<!-- results:start -->` and `<!-- results:end -->`
 * markers; a test checks that the committed README matches the committed results.
 */
import { PAPER_NOISE_LEVELS } from '../data/noise';
import { PAPER } from '../eval/paper';
import { pairedTimingFor, type PairedTimingResult } from '../eval/paired-timing';
import type { Averaging, EvalResult } from '../eval/types';
import type { ModelName } from '../models/meta';
import { type Block, p, renderMarkdown, table } from './blocks';
import { claimVerdicts } from './claims';
import { byModel, MODEL_LABEL } from './paper-figures';
import { chooseDefinitions, loadResults, type ReportInputs } from './report';
import type { Row } from './tables';

export const README_START = '<!-- results:start -->';
export const README_END = '<!-- results:end -->';

const f3 = (x: number): string => x.toFixed(3);
const f2 = (x: number): string => x.toFixed(2);
const at = (e: EvalResult, level: number) =>
  e.table34.levels.find((l) => Math.abs(l.level - level) < 1e-9);
const paperAt = (m: ModelName, table: 'table3' | 'table4', level: number): number =>
  PAPER[table][m][PAPER_NOISE_LEVELS.findIndex((l) => Math.abs(l - level) < 1e-9)];

/** Rows of the headline table: one per paper number, paper and ours per model. */
export function readmeRows(
  cnn: EvalResult,
  lstm: EvalResult,
  timing: PairedTimingResult | null = null,
): Row[] {
  const pair = [
    ['cnn', cnn],
    ['cnn-lstm', lstm],
  ] as const;
  const rows: Row[] = [];
  const add = (what: string, paper: (m: ModelName) => string, ours: (e: EvalResult) => string) => {
    const row: Row = { 'paper table': what };
    for (const [m, e] of pair) {
      row[`paper ${MODEL_LABEL[m]}`] = paper(m);
      row[`ours ${MODEL_LABEL[m]}`] = ours(e);
    }
    rows.push(row);
  };
  const row1 = (e: EvalResult, a: Averaging) => e.table1.rows.find((r) => r.averaging === a);
  add(
    '1: accuracy [95 % CI]',
    (m) => f2(PAPER.table1[m].accuracy),
    (e) => {
      const c = e.table1.rows[0].ci?.accuracy;
      return `${f3(e.table1.rows[0].accuracy)}${c ? ` [${f3(c.lo)}, ${f3(c.hi)}]` : ''}`;
    },
  );
  add(
    '1: precision / recall / F1 (Keras); macro F1',
    (m) =>
      `${f2(PAPER.table1[m].precision)} / ${f2(PAPER.table1[m].recall)} / ${f2(PAPER.table1[m].f1)}`,
    (e) => {
      const k = row1(e, 'keras');
      const macro = row1(e, 'macro');
      return k
        ? `${f3(k.precision)} / ${f3(k.recall)} / ${f3(k.f1)}; ${macro ? f3(macro.f1) : '—'}`
        : '—';
    },
  );
  add(
    '2: parameters',
    (m) => PAPER.table2[m].params.toLocaleString('en-US'),
    (e) => e.table2?.params.toLocaleString('en-US') ?? '—',
  );
  const paired = pairedTimingFor(timing, cnn.table2?.params ?? 0, lstm.table2?.params ?? 0);
  const fw = paired?.tfjs;
  const b1 = fw?.batches.find((b) => b.batchSize === 1);
  const b256 = fw?.batches.find((b) => b.batchSize === 256);
  if (fw && b1 && b256)
    add(
      `2: ms per image, batch 1; batch 256 (median of ${paired.protocol.rounds} interleaved rounds, ${fw.backend}, ${fw.threads ?? '?'} threads)`,
      (m) => f2(PAPER.table2[m].msPerImage),
      (e) => {
        const k = e === cnn ? 'a' : 'b';
        return `${f2(b1[k].estimate)}; ${f2(b256[k].estimate)}`;
      },
    );
  else
    add(
      '2: ms per image, batch 1 (median); batch 256',
      (m) => f2(PAPER.table2[m].msPerImage),
      (e) =>
        e.table2
          ? `${f2(e.table2.latencyBatch1.medianMs)}; ${f2(e.table2.throughput.msPerImage)} (${e.table2.backend})`
          : '—',
    );
  const lv3 = [0.05, 0.08, 0.3];
  add(
    '3: accuracy at σ = 5 %, 8 %, 30 %',
    (m) => lv3.map((l) => f2(paperAt(m, 'table3', l))).join(', '),
    (e) =>
      lv3
        .map((l) =>
          at(e, l) ? f3((at(e, l) as { accuracy: { mean: number } }).accuracy.mean) : '—',
        )
        .join(', '),
  );
  const lv4 = [0.08, 0.3];
  add(
    '4: weighted F1 at σ = 8 %, 30 %',
    (m) => lv4.map((l) => f2(paperAt(m, 'table4', l))).join(', '),
    (e) =>
      lv4
        .map((l) => {
          const x = at(e, l);
          return x ? f3(x.f1.weighted.mean) : '—';
        })
        .join(', '),
  );
  add(
    '5: accuracy on simple / complex emotions',
    (m) => `${f2(PAPER.table5[m].simple.accuracy)} / ${f2(PAPER.table5[m].complex.accuracy)}`,
    (e) => {
      const g = (k: 'simple' | 'complex') =>
        e.table5.rows.find((r) => r.group === k)?.metrics.accuracy;
      const [s, c] = [g('simple'), g('complex')];
      return s !== undefined && c !== undefined ? `${f3(s)} / ${f3(c)}` : '—';
    },
  );
  return rows;
}

/** The whole block between the markers, as Markdown. */
export function readmeBlocks(
  inputs: Pick<ReportInputs, 'evals' | 'compare' | 'dynamics' | 'seedEvals' | 'timing'>,
  f1Def: Exclude<Averaging, 'keras'>,
): Block[] {
  const r = byModel(inputs.evals);
  const cnn = r.cnn;
  const lstm = r['cnn-lstm'];
  if (!cnn || !lstm) return [p('No results of both models yet: run `npm run reproduce`.')];
  const noiseDraws = cnn.table34.levels[1]?.seeds.length ?? 0;
  const claims = claimVerdicts(
    r,
    inputs.compare,
    f1Def,
    inputs.dynamics ?? null,
    inputs.seedEvals ?? null,
  );
  return [
    p(
      `Models \`${cnn.model.dir}\` and \`${lstm.model.dir}\` (${cnn.model.meta.profile} profile, training seed ${cnn.model.meta.seed}) on ${cnn.data.nTest.toLocaleString('en-US')} test images of the ${cnn.data.split} split, ${noiseDraws} noise draws per level, 95 % bootstrap CIs in brackets. ` +
        `Generated from \`results/${cnn.model.name}/eval.json\`, \`results/${lstm.model.name}/eval.json\` and \`results/compare-${cnn.model.name}-${lstm.model.name}.json\` by \`lib/report/readme.ts\`.`,
    ),
    table(readmeRows(cnn, lstm, inputs.timing ?? null), {}),
    table(
      claims.map((c) => ({
        "the paper's claim": `${c.id}. ${c.claim}`,
        verdict: c.verdict,
        'training seeds': c.seeds === undefined ? '—' : `${c.seeds} per model`,
      })),
      {},
    ),
    p(
      'The evidence behind each verdict is in the claims table of [paper/REPRODUCTION.md](paper/REPRODUCTION.md).',
    ),
  ];
}

/** `readme` with the text between the markers replaced by `block`; throws without markers. */
export function replaceReadmeBlock(readme: string, block: string): string {
  const a = readme.indexOf(README_START);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) throw new Error(`README has no ${README_START} … ${README_END} block`);
  return `${readme.slice(0, a + README_START.length)}\n\n${block.trim()}\n\n${readme.slice(b)}`;
}

/** The block as it stands in `readme`, trimmed (null without markers). */
export function currentReadmeBlock(readme: string): string | null {
  const a = readme.indexOf(README_START);
  const b = readme.indexOf(README_END);
  return a < 0 || b < a ? null : readme.slice(a + README_START.length, b).trim();
}

/** The block for the study committed in `resultsDir` (the paper profile's results). */
export function readmeBlockFor(resultsDir: string): string {
  const inputs = loadResults(resultsDir, { profile: 'paper' });
  const defs = chooseDefinitions(byModel(inputs.evals));
  return renderMarkdown(
    readmeBlocks(inputs, defs.table4.definition as Exclude<Averaging, 'keras'>),
  ).trim();
}
