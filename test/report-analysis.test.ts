import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { informativeBand } from '../lib/eval/band';
import { constantPredictorScoresFromSupport } from '../lib/eval/collapse';
import type { EvalResult } from '../lib/eval/types';
import { renderMarkdown } from '../lib/report/blocks';
import {
  bandEvidence,
  calibrationBlocks,
  collapseBlocks,
  constantBaselinesOf,
  sensitivityBlocks,
} from '../lib/report/analysis-report';
import { byModel, fig5Accuracy, fig6F1, paperFigures } from '../lib/report/paper-figures';
import { EMOTIONS } from '../lib/data/classes';
import { loadResults, reportBlocks } from '../lib/report/report';
import { REPO_ROOT } from '../lib/env';
import { syntheticStudy } from './report-fixtures';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('report: collapse, informative band, calibration and sensitivity blocks', () => {
  const study = syntheticStudy(300);
  const [cnn, lstm] = study.evals;

  it('takes constant baselines as recorded, or from the class supports (same numbers)', () => {
    const bare = clone(cnn);
    delete bare.constantBaselines;
    const a = constantBaselinesOf(cnn);
    const b = constantBaselinesOf(bare);
    a.forEach((x, k) => {
      assert.ok(Math.abs(x.accuracy - b[k].accuracy) < 1e-12);
      assert.ok(Math.abs(x.weightedF1 - b[k].weightedF1) < 1e-12);
    });
  });

  it('selects the band from the eval curves and reads the paired CI from the compare result', () => {
    const e = bandEvidence(cnn, lstm, study.compare, 'weighted');
    const support = cnn.table1.report.perClass.map((c) => c.support);
    const best = Math.max(...constantPredictorScoresFromSupport(support).map((c) => c.accuracy));
    const levels = cnn.table34.levels.map((l) => l.level);
    const expect = informativeBand(
      levels,
      [cnn, lstm].map((x) => x.table34.levels.map((l) => l.accuracy.mean)),
      best,
    );
    assert.deepEqual(e.band.levels, expect.levels);
    assert.ok(e.band.levels.length >= 2);
    assert.equal(e.source, 'compare.band');
    assert.deepEqual(e.difference, study.compare.band!.aucDifference);
    // The same CI recomputed from the per-image correctness bitsets (same resamples and seed).
    const noBand = clone(study.compare);
    delete noBand.band;
    const r = bandEvidence(cnn, lstm, noBand, 'weighted');
    assert.equal(r.source, 'compare.correctness');
    assert.ok(Math.abs(r.difference!.estimate - e.difference!.estimate) < 1e-12);
    assert.ok(Math.abs(r.difference!.lo - e.difference!.lo) < 1e-12);
    assert.ok(Math.abs(r.difference!.hi - e.difference!.hi) < 1e-12);
    // A compare result with the models the other way round is not read as hybrid - CNN.
    const swapped = clone(study.compare);
    swapped.a = study.compare.b;
    swapped.b = study.compare.a;
    assert.equal(bandEvidence(cnn, lstm, swapped, 'weighted').difference, null);
  });

  it('shows entropy and calibration when recorded, and says so when not', () => {
    const r = byModel(study.evals);
    const md = renderMarkdown(collapseBlocks(r, 'weighted'));
    assert.doesNotMatch(md, /predate the recording/);
    const old = byModel(
      study.evals.map((x) => {
        const y = clone(x);
        for (const l of y.table34.levels) delete l.entropyBits;
        delete y.calibration;
        return y;
      }),
    );
    assert.match(renderMarkdown(collapseBlocks(old, 'weighted')), /predate the recording/);
    assert.match(renderMarkdown(calibrationBlocks(r)), /ECE \(15 bins\)/);
    assert.match(renderMarkdown(calibrationBlocks(old)), /predate it/);
  });

  it('lists the sensitivity variants that are missing', () => {
    const e = bandEvidence(cnn, lstm, study.compare, 'weighted');
    const md = renderMarkdown(
      sensitivityBlocks(byModel(study.evals), { deleaked: { cnn }, bnRecalibrated: {} }, e.band),
    );
    assert.match(md, /\| de-leaked test set \| CNN \|/);
    assert.match(md, /Not in the results yet: de-leaked test set \(CNN\+LSTM\); BatchNorm/);
  });

  it('opens the committed report with the summary and one claims table', () => {
    const inputs = {
      ...loadResults(path.join(REPO_ROOT, 'results'), { profile: 'paper' }),
      provenance: null,
    };
    const md = renderMarkdown(reportBlocks(inputs, []));
    const at = (s: string) => md.indexOf(s);
    assert.ok(at('## Reproducibility Summary') > 0);
    assert.ok(at('## Reproducibility Summary') < at("## The paper's claims"));
    assert.ok(at("## The paper's claims") < at('## Table 1'));
    assert.equal(md.split("## The paper's claims").length, 2);
    assert.match(
      md,
      /\| claim \| verdict \| key evidence \| model scale \| training seeds \| main caveat \|/,
    );
    assert.match(md, /\*\*Communication with the original authors\.\*\* None\./);
    assert.match(md, /sd over noise draws/);
    assert.match(md, /always happy/);
    assert.match(md, /reproduced by design/);
    assert.ok(!/undefined|NaN|\[object/.test(md), 'no unformatted values');
    const evals = inputs.evals as EvalResult[];
    assert.equal(evals.length, 2);
  });
});

describe('report: figures say what they show', () => {
  const study = syntheticStudy(300);
  const r = byModel(study.evals);

  it('draws constant-predictor reference lines in Figs. 5 and 6', () => {
    const consts = constantBaselinesOf(study.evals[0]);
    const best = consts.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    const f5 = fig5Accuracy(r);
    const ref = f5.data.filter((t) => String(t.name).includes('constant predictor'));
    assert.ok(ref.length >= 1);
    const bestLine = ref.find((t) => String(t.name).startsWith(`always ${EMOTIONS[best.cls]}`));
    assert.deepEqual(bestLine?.y, [best.accuracy, best.accuracy]);
    const f6 = fig6F1(r, 'weighted');
    const l6 = f6.data.find((t) => String(t.name).startsWith(`always ${EMOTIONS[best.cls]}`));
    assert.deepEqual(l6?.y, [best.weightedF1, best.weightedF1]);
  });

  it('marks every figure of quick-profile models as such, in its title', () => {
    const figs = paperFigures(r, { table1: 'keras', table4: 'weighted', table5: 'macro' });
    for (const f of figs) {
      assert.match(f.title, /quick-profile models \(not paper scale\)/, f.name);
      const t = f.figure.layout.title as { text: string };
      assert.match(t.text, /not paper scale/, f.name);
    }
    const paper = byModel(
      study.evals.map((e) => {
        const x = clone(e);
        x.model.meta.profile = 'paper';
        return x;
      }),
    );
    const pf = paperFigures(paper, { table1: 'keras', table4: 'weighted', table5: 'macro' });
    for (const f of pf) assert.doesNotMatch(f.title, /not paper scale/);
  });
});
