import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { informativeBand } from '../../lib/eval/band';
import { constantPredictorScoresFromSupport } from '../../lib/eval/collapse';
import type { EvalResult } from '../../lib/eval/types';
import { renderMarkdown } from '../../lib/report/blocks';
import {
  bandEvidence,
  calibrationBlocks,
  collapseBlocks,
  constantBaselinesOf,
  seedBlocks,
  seedGroups,
  sensitivityBlocks,
} from '../../lib/report/analysis-report';
import { byModel, fig5Accuracy, fig6F1, paperFigures } from '../../lib/report/paper-figures';
import { EMOTIONS } from '../../lib/data/classes';
import { claimVerdicts, loadResults, reportBlocks } from '../../lib/report/report';
import { REPO_ROOT } from '../../lib/env';
import { syntheticStudy } from '../fixtures/report-fixtures';

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

describe('report: between training seeds', () => {
  const study = syntheticStudy(300);
  const band = bandEvidence(study.evals[0], study.evals[1], study.compare, 'weighted').band;
  // Three seeds per model with clean accuracies set by hand:
  //   CNN 0.62, 0.60, 0.61; hybrid 0.59, 0.60, 0.57 -> hybrid - CNN = (-0.03, 0, -0.04),
  //   d̄ = -0.07/3, s_d = sqrt(0.0078/18), t = d̄ / (s_d/√3) = -1.94145, df 2,
  //   p = 1 - |t|/sqrt(2 + t²) = 0.1917 (scipy ttest_rel: 0.19170962313452386).
  const withSeed = (e: EvalResult, seed: number, acc: number): EvalResult => {
    const x = clone(e);
    x.model.meta.seed = seed;
    x.model.name = `${x.model.name}-s${seed}`;
    for (const row of x.table1.rows) row.accuracy = acc;
    return x;
  };
  const evals = [
    ...[0.62, 0.6, 0.61].map((a, i) => withSeed(study.evals[0], i + 1, a)),
    ...[0.59, 0.6, 0.57].map((a, i) => withSeed(study.evals[1], i + 1, a)),
  ];

  it('groups one evaluation per seed and model', () => {
    const g = seedGroups([...evals, withSeed(study.evals[0], 2, 0.5)]);
    assert.deepEqual(
      g.cnn!.map((e) => e.model.meta.seed),
      [1, 2, 3],
    );
    assert.equal(g['cnn-lstm']!.length, 3);
  });

  it('gives mean ± sd over seeds and the paired t-test computed by hand', () => {
    const md = renderMarkdown(seedBlocks(evals, band));
    const row = md.split('\n').find((l) => l.startsWith('| clean accuracy |'))!;
    const cells = row.split('|').map((c) => c.trim());
    // CNN mean 0.610, sd 0.010; hybrid mean 0.5867, sd sqrt(((0.0033)² + (0.0133)² + (0.0167)²)/2)
    assert.equal(cells[2], '0.610');
    assert.equal(cells[3], '0.010');
    assert.equal(cells[5], '0.587');
    const t = -0.07 / 3 / (Math.sqrt(0.0078 / 18) / Math.sqrt(3));
    const pHand = 1 - Math.abs(t) / Math.sqrt(2 + t * t);
    assert.ok(Math.abs(pHand - 0.19170962313452386) < 1e-10);
    assert.equal(cells[9], pHand.toFixed(4));
    assert.match(cells[8], /^-0\.023 \[/);
    assert.equal(cells[10], '0 / 2');
    assert.match(md, /The class each training seed collapses to/);
  });

  it('says plainly when there is one seed per model', () => {
    assert.match(
      renderMarkdown(seedBlocks(study.evals, band)),
      /one training run per model, so training-seed variance is not measured/,
    );
  });
});

describe('report: claims 1 and 3 across training seeds', () => {
  const study = syntheticStudy(300);
  const [cnn, lstm] = study.evals;
  const withSeed = (e: EvalResult, seed: number, acc: number): EvalResult => {
    const x = clone(e);
    x.model.meta.seed = seed;
    for (const row of x.table1.rows) row.accuracy = acc;
    return x;
  };

  it('judges claim 1 by a paired t-test over seeds and says how many seeds', () => {
    // CNN 0.62, 0.61, 0.63 vs hybrid 0.58, 0.575, 0.59: hybrid - CNN = (-0.04, -0.035, -0.04),
    // a t interval far below 0 -> the CNN is better: claim 1 reproduced, on 3 seeds.
    const seeds = [
      ...[0.62, 0.61, 0.63].map((a, i) => withSeed(cnn, i + 1, a)),
      ...[0.58, 0.575, 0.59].map((a, i) => withSeed(lstm, i + 1, a)),
    ];
    const v = claimVerdicts(byModel(study.evals), study.compare, 'weighted', null, seeds);
    assert.equal(v[0].verdict, 'reproduced');
    assert.equal(v[0].seeds, 3);
    assert.match(
      v[0].evidence,
      /across 3 paired training seeds, clean accuracy hybrid − CNN -0\.038/,
    );
    // Reversed: the hybrid ahead in every seed contradicts claim 1.
    const rev = [
      ...[0.58, 0.575, 0.59].map((a, i) => withSeed(cnn, i + 1, a)),
      ...[0.62, 0.61, 0.63].map((a, i) => withSeed(lstm, i + 1, a)),
    ];
    assert.equal(
      claimVerdicts(byModel(study.evals), study.compare, 'weighted', null, rev)[0].verdict,
      'contradicted',
    );
    // Mixed directions: undecided.
    const mixed = [
      ...[0.62, 0.58, 0.6].map((a, i) => withSeed(cnn, i + 1, a)),
      ...[0.58, 0.62, 0.61].map((a, i) => withSeed(lstm, i + 1, a)),
    ];
    assert.equal(
      claimVerdicts(byModel(study.evals), study.compare, 'weighted', null, mixed)[0].verdict,
      'undecided',
    );
    // One seed: the one-pair verdict, on 1 seed.
    assert.equal(claimVerdicts(byModel(study.evals), study.compare, 'weighted')[0].seeds, 1);
  });

  it('judges claim 3 by the band-average accuracy over seeds', () => {
    // Every seed has the same noise curves here, so each seed's difference is the same d and
    // the t interval is [d, d]: its sign decides.
    const seeds = [1, 2, 3].flatMap((s) => [withSeed(cnn, s, 0.6), withSeed(lstm, s, 0.55)]);
    const v = claimVerdicts(byModel(study.evals), study.compare, 'weighted', null, seeds)[3];
    const e = bandEvidence(cnn, lstm, study.compare, 'weighted');
    const d = e.areas['cnn-lstm']!.meanAccuracy - e.areas.cnn!.meanAccuracy;
    assert.equal(v.seeds, 3);
    assert.equal(v.verdict, d > 0 ? 'reproduced' : 'contradicted');
  });
});

describe('report: Figs. 5-6 show the spread between training seeds apart from noise draws', () => {
  const study = syntheticStudy(300);
  it('draws a dotted min-max band over seeds only when there are two or more', () => {
    const r = byModel(study.evals);
    const shifted = clone(study.evals[0]);
    shifted.model.meta.seed = 2;
    for (const l of shifted.table34.levels) l.accuracy.mean -= 0.01;
    const f = fig5Accuracy(r, [study.evals[0], shifted, study.evals[1]]);
    const band = f.data.filter((t) =>
      String(t.name).startsWith('CNN: range over 2 training seeds'),
    );
    assert.equal(band.length, 2);
    const noisy = study.evals[0].table34.levels.filter((l) => l.level > 0);
    assert.deepEqual(
      band[1].y,
      noisy.map((l) => l.accuracy.mean),
    );
    assert.ok(
      (band[0].y as number[]).every(
        (v, i) => Math.abs(v - (noisy[i].accuracy.mean - 0.01)) < 1e-12,
      ),
    );
    assert.equal(
      fig5Accuracy(r, study.evals).data.filter((t) => String(t.name).includes('training seeds'))
        .length,
      0,
    );
  });
});
