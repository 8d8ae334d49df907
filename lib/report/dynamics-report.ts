/**
 * The report's "Emotion dynamics beyond the paper (Table 6)" section, from
 * results/dynamics/table6.json only (written by `fer dynamics` and notebook 08). Left out when
 * there is no such file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DynamicsResult } from '../dynamics/experiment';
import { readJsonFile } from '../util/atomic';
import { FerError } from '../util/errors';
import { type Block, h, p, table, ul } from './blocks';

export function loadDynamicsResult(resultsDir: string): DynamicsResult | null {
  const file = path.join(resultsDir, 'dynamics', 'table6.json');
  if (!fs.existsSync(file)) return null;
  const r = readJsonFile<DynamicsResult>(file);
  if (r.experiment !== 'emotion-dynamics' || !Array.isArray(r.rows))
    throw new FerError('not an emotion-dynamics result (experiment, rows)', file);
  return r;
}

const pct = (v: number): string => (100 * v).toFixed(1);
const task = (t: string): string => (t === 'current' ? '(a) current frame' : '(b) next state');

/** The next-state comparison of the CNN+LSTM with persistence and the HMM, clean, in words. */
export function dynamicsEvidence(d: DynamicsResult): string | null {
  const find = (b: string) =>
    d.comparisons.find(
      (c) => c.noise === 0 && c.task === 'next' && c.a === 'CNN+LSTM' && c.b === b,
    );
  const persist = find('per-frame CNN');
  const hmm = find('HMM filter');
  if (!persist) return null;
  const diff = (c: NonNullable<typeof persist>) =>
    `${c.accuracyDiff.estimate >= 0 ? '+' : ''}${pct(c.accuracyDiff.estimate)} pp (McNemar p = ${c.mcnemar.pValue.toPrecision(2)})`;
  return (
    `on synthetic Markov sequences of FER2013 test faces (notebook 08, ${persist.mcnemar.n.toLocaleString('en-US')} sequences) a CNN+LSTM predicts the next emotion ${diff(persist)} better than persistence` +
    (hmm ? `, but only ${diff(hmm)} better than a non-learned HMM filter on the same CNN` : '')
  );
}

export function dynamicsBlocks(d: DynamicsResult): Block[] {
  const n = d.rows[0]?.n ?? 0;
  return [
    h(2, 'Emotion dynamics beyond the paper (Table 6)'),
    p(
      'The paper proposes, as future work, that LSTM layers could follow how emotions change over time; FER2013 has only still images, so it cannot test this. ' +
        `We build sequences of T = ${d.config.T} FER2013 faces whose emotions follow a documented Markov chain (\`lib/dynamics/markov.ts\`), test faces only in test sequences, and compare a per-frame CNN, an HMM forward filter on the same CNN's outputs (knows the chain, learns nothing), a CNN+LSTM trained on training sequences, and an oracle that knows the true current state. ` +
        `Task (a): the emotion of the last frame; task (b): the emotion of the next, unseen frame. ${n.toLocaleString('en-US')} test sequences, 95 % bootstrap CIs, McNemar on the same sequences. ` +
        `Per-frame CNN: ${d.frameModel.architecture}, width ${d.frameModel.widthMultiplier ?? '—'}, ${d.frameModel.params.toLocaleString('en-US')} parameters.`,
    ),
    table(
      d.rows.map((r) => ({
        condition: r.condition,
        task: task(r.task),
        model: r.model,
        'accuracy %': pct(r.accuracy.estimate),
        '95 % CI': `${pct(r.accuracy.lo)}–${pct(r.accuracy.hi)}`,
        'weighted F1 %': pct(r.weightedF1.estimate),
      })),
      {},
      'Table 6: emotion dynamics on synthetic sequences',
    ),
    table(
      d.comparisons.map((c) => ({
        condition: c.condition,
        task: task(c.task),
        'A vs B': `${c.a} vs ${c.b === 'per-frame CNN' && c.task === 'next' ? 'persistence' : c.b}`,
        'Δ accuracy pp': (c.accuracyDiff.estimate >= 0 ? '+' : '') + pct(c.accuracyDiff.estimate),
        '95 % CI': `${pct(c.accuracyDiff.lo)} to ${pct(c.accuracyDiff.hi)}`,
        'McNemar p': c.mcnemar.pValue.toPrecision(2),
        verdict: c.verdict,
      })),
      {},
      'Paired comparisons',
    ),
    ul(d.verdict),
  ];
}
