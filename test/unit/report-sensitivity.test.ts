import { strict as assert } from 'node:assert';
import { renderMarkdown } from '../../lib/report/blocks';
import { claimVerdicts } from '../../lib/report/claims';
import { byModel } from '../../lib/report/paper-figures';
import {
  sensitivityVerdictBlocks,
  sensitivityVerdictRows,
} from '../../lib/report/sensitivity-report';
import { SENSITIVITY_VARIANTS, studyVariantSuffix } from '../../lib/study';
import { syntheticStudy } from '../fixtures/report-fixtures';

describe('report: claim verdicts under the sensitivity checks', () => {
  const study = syntheticStudy(300);
  const [cnn, lstm] = study.evals;
  const r = byModel(study.evals);
  const headline = claimVerdicts(r, study.compare, 'weighted');

  it('files each variant under its own suffix, the main evaluation under none', () => {
    assert.equal(studyVariantSuffix(), '');
    assert.deepEqual(
      SENSITIVITY_VARIANTS.map((v) => studyVariantSuffix(v.variant)),
      ['-deleaked', '-bn-recalibrated'],
    );
  });

  it('gives no rows without both models and the paired comparison of a variant', () => {
    assert.deepEqual(sensitivityVerdictRows(r, null, 'weighted', headline), []);
    const noCompare = { deleaked: { cnn, 'cnn-lstm': lstm }, bnRecalibrated: {} };
    assert.deepEqual(sensitivityVerdictRows(r, noCompare, 'weighted', headline), []);
    const oneModel = {
      deleaked: { cnn },
      bnRecalibrated: {},
      compare: { deleaked: study.compare },
    };
    assert.deepEqual(sensitivityVerdictRows(r, oneModel, 'weighted', headline), []);
  });

  it('computes claims 1, 3 and 4 per variant as the claims table does', () => {
    const s = {
      deleaked: { cnn, 'cnn-lstm': lstm },
      bnRecalibrated: {},
      compare: { deleaked: study.compare },
    };
    const rows = sensitivityVerdictRows(r, s, 'weighted', headline);
    assert.deepEqual(
      rows.map((x) => x.claim),
      ['1', '3', '4'],
    );
    for (const row of rows) {
      assert.equal(row.variant, 'de-leaked test set');
      assert.equal(row['test images'], 300);
      assert.equal(row.verdict, headline.find((h) => h.id === row.claim)?.verdict);
    }
    assert.match(
      renderMarkdown(sensitivityVerdictBlocks(r, s, 'weighted', headline)),
      /No verdict changes/,
    );
  });

  it('names a verdict that changes', () => {
    const s = {
      deleaked: { cnn, 'cnn-lstm': lstm },
      bnRecalibrated: {},
      compare: { deleaked: study.compare },
    };
    const other = headline.map((h) => (h.id === '4' ? { ...h, verdict: 'undecided' as const } : h));
    const md = renderMarkdown(sensitivityVerdictBlocks(r, s, 'weighted', other));
    assert.match(md, /Verdicts that change: claim 4 on the de-leaked test set \(undecided → /);
  });
});
