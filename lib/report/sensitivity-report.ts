/**
 * The claim verdicts under each sensitivity check: the same computed verdicts as the claims
 * table (lib/report/claims.ts), from the de-leaked and the BatchNorm-re-estimated evaluations
 * of the same trained models. Only the claims whose numbers a variant changes (1, 3, 4).
 */
import type { Averaging } from '../eval/types';
import { type Block, p, table } from './blocks';
import { SENSITIVITY_FILES, type SensitivityResults } from './analysis-report';
import { claimVerdicts } from './claims';
import type { ResultsByModel } from './paper-figures';
import type { Row } from './tables';

/** One row per variant and claim: verdict and evidence, beside the headline verdict. */
export function sensitivityVerdictRows(
  r: ResultsByModel,
  s: SensitivityResults | null,
  f1Def: Exclude<Averaging, 'keras'>,
  headline: ReturnType<typeof claimVerdicts>,
): Row[] {
  const rows: Row[] = [];
  for (const { key, label: name } of SENSITIVITY_FILES) {
    const evals = s?.[key];
    const compare = s?.compare?.[key];
    if (!evals?.cnn || !evals['cnn-lstm'] || !compare) continue;
    const v: ResultsByModel = { ...r, cnn: evals.cnn, 'cnn-lstm': evals['cnn-lstm'] };
    for (const c of claimVerdicts(v, compare, f1Def).filter((x) => ['1', '3', '4'].includes(x.id)))
      rows.push({
        variant: name,
        'test images': evals.cnn.data.nTest,
        claim: c.id,
        verdict: c.verdict,
        'headline verdict': headline.find((h) => h.id === c.id)?.verdict ?? '—',
        evidence: c.evidence,
      });
  }
  return rows;
}

export function sensitivityVerdictBlocks(
  r: ResultsByModel,
  s: SensitivityResults | null,
  f1Def: Exclude<Averaging, 'keras'>,
  headline: ReturnType<typeof claimVerdicts>,
): Block[] {
  const rows = sensitivityVerdictRows(r, s, f1Def, headline);
  if (!rows.length) return [];
  const changed = rows.filter((x) => x.verdict !== x['headline verdict']);
  return [
    table(
      rows,
      { digits: 3 },
      'Claim verdicts under each sensitivity check (computed as in the claims table)',
    ),
    p(
      changed.length
        ? `Verdicts that change: ${changed.map((x) => `claim ${String(x.claim)} on the ${String(x.variant)} (${String(x['headline verdict'])} → ${String(x.verdict)})`).join('; ')}.`
        : 'No verdict changes under either check.',
    ),
  ];
}
