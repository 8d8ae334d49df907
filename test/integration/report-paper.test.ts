import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EvalResult, McNemarResult } from '../../lib/eval/types';
import { PAPER } from '../../lib/eval/paper';
import { inlineHtml, renderHtml, renderMarkdown } from '../../lib/report/blocks';
import { chromiumPath } from '../../lib/report/export';
import {
  byModel,
  fig1Metrics,
  fig5Accuracy,
  paperFigures,
  wilsonInterval,
} from '../../lib/report/paper-figures';
import { claimVerdicts, generateReport, loadResults, reportBlocks } from '../../lib/report/report';
import { bandEvidence } from '../../lib/report/analysis-report';
import type { DynamicsResult } from '../../lib/dynamics/experiment';
import type { RunStatus } from '../../lib/train/status';
import { FerError } from '../../lib/util/errors';
import { syntheticStudy } from '../fixtures/report-fixtures';

const interimInfo = {
  checkpoint: 'models/cnn.checkpoint',
  epochsDone: 13,
  partial: { epoch: 14, batch: 211, batches: 404 },
};

describe('report: paper figures and the reproduction report (synthetic results)', function () {
  this.timeout(120000);
  const study = syntheticStudy(300);
  const [cnn, lstm] = study.evals;
  let dir = '';

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-report-'));
    const results = path.join(dir, 'results');
    for (const e of study.evals) {
      fs.mkdirSync(path.join(results, e.model.name), { recursive: true });
      fs.writeFileSync(path.join(results, e.model.name, 'eval.json'), JSON.stringify(e));
    }
    fs.writeFileSync(
      path.join(results, 'compare-cnn-quick-cnn-lstm-quick.json'),
      JSON.stringify(study.compare),
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('Wilson interval matches the closed form and stays inside [0, 1]', () => {
    const w = wilsonInterval(0.5, 100);
    assert.ok(Math.abs(w.lo - 0.4038) < 1e-3 && Math.abs(w.hi - 0.5962) < 1e-3);
    assert.equal(wilsonInterval(0, 10).lo, 0);
    assert.ok(wilsonInterval(1, 10).hi <= 1);
  });

  it('puts the paper values beside ours in every figure', () => {
    const r = byModel(study.evals);
    const f1 = fig1Metrics(r, 'weighted');
    const paperCnn = f1.data.find((t) => t.name === 'CNN (paper)');
    assert.deepEqual(paperCnn?.y, [0.65, 0.65, 0.66, 0.64]);
    const ours = f1.data.find((t) => t.name === 'CNN (ours)');
    const w = cnn.table1.rows.find((x) => x.averaging === 'weighted');
    assert.deepEqual(ours?.y, [w?.f1, w?.accuracy, w?.precision, w?.recall]);
    const f5 = fig5Accuracy(r);
    assert.deepEqual(
      f5.data.find((t) => t.name === 'CNN+LSTM (paper)')?.y,
      PAPER.table3['cnn-lstm'],
    );
    const names = paperFigures(r, { table1: 'keras', table4: 'weighted', table5: 'macro' }).map(
      (f) => f.name,
    );
    assert.deepEqual(names, [
      'fig1-metrics',
      'fig2-time',
      'fig3-params',
      'fig5-accuracy-noise',
      'fig6-f1-noise',
      'fig7-groups',
      'confusion-cnn',
      'confusion-cnn-lstm',
    ]);
  });

  it('refuses two results of one architecture', () => {
    assert.throws(() => byModel([cnn, cnn]), FerError);
  });

  it('bases each claim verdict on the numbers it quotes, at 95 % confidence', () => {
    const v = claimVerdicts(byModel(study.evals), study.compare, 'weighted');
    assert.deepEqual(
      v.map((c) => c.id),
      ['1', '2a', '2b', '3', '4', '5'],
    );
    const accC = cnn.table1.rows[0].accuracy;
    const accL = lstm.table1.rows[0].accuracy;
    assert.ok(v[0].evidence.includes(accC.toFixed(3)) && v[0].evidence.includes(accL.toFixed(3)));
    const t0 = study.compare.levels[0].tests[0];
    const expect1 = t0.pValue >= 0.05 ? 'undecided' : t0.b > t0.c ? 'reproduced' : 'contradicted';
    assert.equal(v[0].verdict, expect1);
    // 2,000,000 < 4,478,727 parameters; synthetic timings: hybrid 5 ms vs CNN 4 ms is slower.
    assert.equal(v[1].verdict, 'reproduced by design');
    assert.equal(v[2].verdict, 'contradicted');
    assert.match(v[2].evidence, /0\.80× as fast/);
    assert.equal(v[5].verdict, 'not tested');
    const one = claimVerdicts(byModel([cnn]), null, 'weighted');
    assert.deepEqual(
      one.map((c) => c.verdict),
      ['not tested'],
    );
  });

  it('turns McNemar p-values and CI overlap into reproduced / contradicted / undecided', () => {
    const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
    const cmp = clone(study.compare);
    const test = (b: number, c: number, pValue: number): McNemarResult => ({
      ...cmp.levels[0].tests[0],
      b,
      c,
      pValue,
    });
    const verdict1 = (t: McNemarResult) => {
      cmp.levels[0].tests = [t];
      return claimVerdicts(byModel(study.evals), cmp, 'weighted')[0].verdict;
    };
    assert.equal(verdict1(test(60, 20, 1e-5)), 'reproduced');
    assert.equal(verdict1(test(20, 60, 1e-5)), 'contradicted');
    assert.equal(verdict1(test(45, 40, 0.66)), 'undecided');
    assert.equal(claimVerdicts(byModel(study.evals), null, 'weighted')[0].verdict, 'undecided');

    // Claim 3 is judged on the informative band: the CI of hybrid - CNN band AUC decides it;
    // inside the noise, the paper's 30 % cells (constant predictors on this test set or not)
    // decide between 'not supported (artefact)' and 'undecided'.
    const verdict3 = (lo: number, hi: number) => {
      cmp.band = { ...cmp.band!, aucDifference: { estimate: (lo + hi) / 2, lo, hi } };
      return claimVerdicts(byModel(study.evals), cmp, 'weighted')[3].verdict;
    };
    const heavy = bandEvidence(cnn, lstm, cmp, 'weighted').heavy;
    assert.equal(verdict3(0.001, 0.01), 'reproduced');
    assert.equal(verdict3(-0.01, -0.001), 'contradicted');
    assert.equal(
      verdict3(-0.01, 0.01),
      heavy.allConstant ? 'not supported (artefact)' : 'undecided',
    );
    // Without the band's CI or per-image correctness there is nothing paired to judge on.
    const bare = clone(cmp);
    delete bare.band;
    delete bare.correctness;
    assert.equal(
      claimVerdicts(byModel(study.evals), bare, 'weighted')[3].verdict,
      heavy.allConstant ? 'not supported (artefact)' : 'not tested',
    );

    // Claim 4: CIs apart for both models -> reproduced; reversed and apart -> contradicted.
    const groups = (e: EvalResult, simple: number, complex: number) => {
      const x = clone(e);
      for (const row of x.table5.rows) {
        const acc = row.group === 'simple' ? simple : complex;
        row.metrics.accuracy = acc;
        if (row.ci) row.ci.accuracy = { ...row.ci.accuracy, lo: acc - 0.02, hi: acc + 0.02 };
      }
      return x;
    };
    const verdict4 = (a: EvalResult, b: EvalResult) =>
      claimVerdicts(byModel([a, b]), study.compare, 'weighted')[4].verdict;
    assert.equal(verdict4(groups(cnn, 0.6, 0.4), groups(lstm, 0.6, 0.4)), 'reproduced');
    assert.equal(verdict4(groups(cnn, 0.6, 0.4), groups(lstm, 0.5, 0.49)), 'undecided');
    assert.equal(verdict4(groups(cnn, 0.6, 0.4), groups(lstm, 0.3, 0.5)), 'contradicted');
  });

  it('loads results, preferring the requested profile, and reports bad JSON with its file', () => {
    const loaded = loadResults(path.join(dir, 'results'));
    assert.equal(loaded.evals.length, 2);
    assert.ok(loaded.compare);
    assert.equal(loaded.dataAudit, null);
    const bad = path.join(dir, 'bad-results');
    fs.mkdirSync(path.join(bad, 'x'), { recursive: true });
    fs.writeFileSync(path.join(bad, 'x', 'eval.json'), '{oops');
    assert.throws(
      () => loadResults(bad),
      (e: unknown) => e instanceof FerError && e.file?.endsWith('eval.json') === true,
    );
    // Two CNN results: the one of the asked profile wins over a newer one.
    const two = path.join(dir, 'two');
    const paperCnn: EvalResult = {
      ...cnn,
      createdAt: '2020-01-01T00:00:00.000Z',
      model: { ...cnn.model, name: 'cnn-paper', meta: { ...cnn.model.meta, profile: 'paper' } },
    };
    for (const e of [cnn, paperCnn]) {
      fs.mkdirSync(path.join(two, e.model.name), { recursive: true });
      fs.writeFileSync(path.join(two, e.model.name, 'eval.json'), JSON.stringify(e));
    }
    assert.equal(loadResults(two, { profile: 'paper' }).evals[0].model.name, 'cnn-paper');
    assert.equal(loadResults(two, { profile: 'quick' }).evals[0].model.name, 'cnn-quick');
    // A checkpoint's interim evaluation never takes a table's place, though newer and 'paper'.
    const interimCnn: EvalResult = {
      ...paperCnn,
      createdAt: '2030-01-01T00:00:00.000Z',
      model: {
        ...paperCnn.model,
        name: 'cnn.checkpoint',
        meta: { ...paperCnn.model.meta, interim: interimInfo },
      },
    };
    fs.mkdirSync(path.join(two, 'cnn.checkpoint'));
    fs.writeFileSync(path.join(two, 'cnn.checkpoint', 'eval.json'), JSON.stringify(interimCnn));
    const withInterim = loadResults(two, { profile: 'paper' });
    assert.equal(withInterim.evals[0].model.name, 'cnn-paper');
    assert.deepEqual(
      withInterim.interim?.map((e) => e.model.name),
      ['cnn.checkpoint'],
    );
    // The finished paper-profile CNN is listed for the paper-scale run section, the quick one not.
    assert.deepEqual(
      loadResults(two, { profile: 'quick' }).paperFinished?.map((e) => e.model.name),
      ['cnn-paper'],
    );
  });

  it('writes every section with our numbers and the paper numbers, and nothing undefined', () => {
    const md = renderMarkdown(
      reportBlocks({ ...loadResults(path.join(dir, 'results')), provenance: null }, []),
    );
    for (const s of [
      'Method',
      'Table 1',
      'Table 2',
      'Tables 3 and 4',
      'Table 5',
      'Metric-definition audit',
      'Data audit',
      "The paper's claims",
      'Environment and provenance',
    ])
      assert.ok(md.includes(`## ${s}`), s);
    assert.ok(md.includes(cnn.table1.rows[0].accuracy.toFixed(3)));
    assert.ok(md.includes('4,478,727') && md.includes('3,121,287') && md.includes('32.66'));
    assert.ok(!/undefined|NaN|\[object/.test(md), 'no unformatted values');
    assert.match(md, /McNemar/);
  });

  it('shows how far the paper-scale run has got while the report is of the quick profile', () => {
    const inputs = { ...loadResults(path.join(dir, 'results')), provenance: null };
    assert.ok(!renderMarkdown(reportBlocks(inputs, [])).includes('## The paper-scale run'));
    const log = (epoch: number, valAcc: number) => ({
      epoch,
      loss: 1.5,
      accuracy: 0.41,
      val_loss: 1.6,
      val_accuracy: valAcc,
      lr: 5e-4,
      seconds: 2220,
      backend: 'wasm',
    });
    const running: RunStatus = {
      out: 'models/cnn',
      checkpointDir: 'models/cnn.checkpoint',
      state: 'in progress',
      model: 'cnn',
      profile: 'paper',
      epochsDone: 2,
      maxEpochs: 60,
      best: { epoch: 2, valLoss: 1.6, valAccuracy: 0.383 },
      lr: 5e-4,
      history: [log(1, 0.21), log(2, 0.383)],
      wallSeconds: 4440,
      backend: 'wasm',
      stoppedEarly: false,
      partial: null,
    };
    const md = renderMarkdown(
      reportBlocks(
        {
          ...inputs,
          paperRun: [
            running,
            {
              ...running,
              state: 'not started',
              model: 'cnn-lstm',
              epochsDone: 0,
              maxEpochs: null,
              best: null,
              history: [],
              wallSeconds: 0,
            },
          ],
        },
        [],
      ),
    );
    assert.match(md, /## The paper-scale run/);
    assert.match(md, /0 of 2 paper-profile models have finished/);
    assert.match(
      md,
      /\| cnn \| in progress \| 2 of ≤ 60 \| 0\.383 \(epoch 2\) \| 0\.410 \| 37 \| wasm \| 1\.2 \|/,
    );
    // The per-epoch curve of the model that has a log; none for the one not started.
    assert.match(md, /\| epoch \| cnn val acc \| cnn val loss \| cnn lr \|/);
    assert.match(
      md,
      /\| 1 \| 0\.210 \| 1\.600 \| 5\.0e-4 \|\n\| 2 \| 0\.383 \| 1\.600 \| 5\.0e-4 \|/,
    );
    assert.doesNotMatch(md, /cnn-lstm val acc/);
    assert.doesNotMatch(md, /Interim/);

    // With an interim evaluation of the running CNN's best weights: its own table, labelled.
    const q = inputs.evals[0];
    const interim: EvalResult = {
      ...q,
      model: { ...q.model, meta: { ...q.model.meta, profile: 'paper', interim: interimInfo } },
    };
    const withInterim = renderMarkdown(
      reportBlocks({ ...inputs, paperRun: [running], interim: [interim] }, []),
    );
    assert.match(withInterim, /\*\*Interim test numbers\.\*\*/);
    const acc = q.table1.rows[0];
    assert.ok(acc.ci);
    const row = `| cnn | epoch 2 (val acc 0.500) | 13 epochs + 211/404 batches | ${q.data.nTest} | ${acc.accuracy.toFixed(3)} [${acc.ci.accuracy.lo.toFixed(3)}, ${acc.ci.accuracy.hi.toFixed(3)}] |`;
    assert.ok(withInterim.includes(row), row);
    // The tables below still show the quick evaluation, once.
    assert.equal(withInterim.split('## Table 1').length, 2);

    // Once the CNN has finished: its own evaluation replaces its stale interim one, and the
    // hybrid's interim row stays.
    const finishedCnn: EvalResult = {
      ...q,
      model: { ...q.model, meta: { ...q.model.meta, profile: 'paper', epochsRun: 21 } },
    };
    const l = inputs.evals[1];
    const interimLstm: EvalResult = {
      ...l,
      model: { ...l.model, meta: { ...l.model.meta, profile: 'paper', interim: interimInfo } },
    };
    const mixed = renderMarkdown(
      reportBlocks(
        {
          ...inputs,
          paperRun: [{ ...running, state: 'finished' }],
          interim: [interim, interimLstm],
          paperFinished: [finishedCnn],
        },
        [],
      ),
    );
    assert.match(mixed, /\*\*Interim test numbers\.\*\*.*and the finished models/);
    assert.ok(mixed.includes(`| cnn | epoch 2 (val acc 0.500) | 21 epochs, finished |`));
    assert.ok(!mixed.includes(row), 'the stale interim CNN row is left out');
    assert.match(
      mixed,
      /\| cnn-lstm \| epoch \d+ \(val acc [\d.]+\) \| 13 epochs \+ 211\/404 batches \|/,
    );
    const onlyFinished = renderMarkdown(
      reportBlocks(
        { ...inputs, paperRun: [{ ...running, state: 'finished' }], paperFinished: [finishedCnn] },
        [],
      ),
    );
    assert.match(onlyFinished, /\*\*Test numbers of the finished paper-profile models\.\*\*/);
    assert.doesNotMatch(onlyFinished, /Interim/);

    // A report of the paper profile: how the models trained, after the method, and no second
    // table of test numbers (Table 1 has them) and no 'quick profile' caveat.
    const paperEvals = inputs.evals.map((e) => ({
      ...e,
      model: { ...e.model, meta: { ...e.model.meta, profile: 'paper' } },
    }));
    const paperMd = renderMarkdown(
      reportBlocks(
        {
          ...inputs,
          evals: paperEvals,
          paperRun: [{ ...running, state: 'finished' }],
          paperFinished: [finishedCnn],
        },
        [],
      ),
    );
    assert.doesNotMatch(
      paperMd,
      /## The paper-scale run|quick profile|Test numbers of the finished/,
    );
    const training = paperMd.indexOf('## Training (paper profile)');
    assert.ok(training > paperMd.indexOf('## Method'), 'training section after the method');
    assert.ok(training < paperMd.indexOf('## Table 1'), 'and before Table 1');
    assert.match(paperMd, /Paper-profile training \(seed 1, official split\)/);
    assert.match(paperMd, /\| 1 \| 0\.210 \| 1\.600 \| 5\.0e-4 \|/);
  });

  it("adds the emotion-dynamics section and quotes it as claim 5's evidence", () => {
    const ci = (estimate: number) => ({ estimate, lo: estimate - 0.02, hi: estimate + 0.02 });
    const row = (model: 'per-frame CNN' | 'CNN+LSTM', acc: number) => ({
      condition: 'clean',
      noise: 0,
      task: 'next' as const,
      model,
      predicts: 'x',
      n: 2000,
      accuracy: ci(acc),
      weightedF1: ci(acc - 0.01),
    });
    const cmp = (b: 'per-frame CNN' | 'HMM filter', diff: number, pValue: number) => ({
      condition: 'clean',
      noise: 0,
      task: 'next' as const,
      a: 'CNN+LSTM' as const,
      b,
      accuracyDiff: ci(diff),
      mcnemar: {
        n: 2000,
        b: 300,
        c: 90,
        accuracyA: 0.478,
        accuracyB: 0.372,
        pValue,
        chi2: 1,
        chi2PValue: 1,
      },
      verdict: 'helps' as const,
    });
    const dyn = {
      experiment: 'emotion-dynamics',
      config: { T: 8 },
      frameModel: { architecture: 'cnn', widthMultiplier: 0.125, params: 71527 },
      rows: [row('per-frame CNN', 0.372), row('CNN+LSTM', 0.478)],
      comparisons: [cmp('per-frame CNN', 0.105, 1.2e-17), cmp('HMM filter', 0.011, 0.09)],
      verdict: ['Task (b): the temporal context helps.'],
    } as unknown as DynamicsResult;
    const inputs = { ...loadResults(path.join(dir, 'results')), provenance: null, dynamics: dyn };
    const md = renderMarkdown(reportBlocks(inputs, []));
    assert.match(md, /## Emotion dynamics beyond the paper \(Table 6\)/);
    assert.match(
      md,
      /\| clean \| \(b\) next state \| CNN\+LSTM \| 47\.8 \| 45\.8–49\.8 \| 46\.8 \|/,
    );
    assert.match(md, /Task \(b\): the temporal context helps\./);
    const five = claimVerdicts(byModel(study.evals), study.compare, 'weighted', dyn)[5];
    assert.equal(five.verdict, 'not tested');
    assert.match(
      five.evidence,
      /\+10\.5 pp \(McNemar p = 1\.2e-17\) better than persistence, but only \+1\.1 pp/,
    );
  });

  it('renders inline Markdown to escaped HTML and embeds figures', () => {
    assert.equal(
      inlineHtml('a **b** *c* `<d>` [e](f.html) <x>'),
      'a <strong>b</strong> <em>c</em> <code>&lt;d&gt;</code> <a href="f.html">e</a> &lt;x&gt;',
    );
    const html = renderHtml(
      [{ kind: 'figure', title: 'T', png: 'a.png' }],
      't',
      (rel) => `data:${rel}`,
    );
    assert.match(html, /<img alt="T" src="data:a.png">/);
  });

  it('generates the Markdown and the self-contained HTML report without Chromium', async () => {
    const out = await generateReport({
      resultsDir: path.join(dir, 'results'),
      figuresDir: path.join(dir, 'figures'),
      paperDir: path.join(dir, 'paper'),
      noImages: true,
    });
    assert.ok(fs.readFileSync(out.md, 'utf8').startsWith('# Reproduction report'));
    assert.match(fs.readFileSync(out.html, 'utf8'), /^<!doctype html>/);
  });

  it('exports every figure and embeds them in the HTML report', async function () {
    if (!chromiumPath()) this.skip();
    const out = await generateReport({
      resultsDir: path.join(dir, 'results'),
      figuresDir: path.join(dir, 'figures'),
      paperDir: path.join(dir, 'paper'),
    });
    assert.equal(out.figures.length, 8);
    for (const f of out.figures) {
      const png = fs.readFileSync(path.join(dir, 'paper', f.png));
      assert.equal(png.toString('latin1', 1, 4), 'PNG');
      assert.ok(png.length > 20000, `${f.name}.png is ${png.length} bytes`);
    }
    const md = fs.readFileSync(out.md, 'utf8');
    assert.match(md, /!\[Fig\. 1 [^\]]*\]\(\.\.\/figures\/fig1-metrics\.png\)/);
    const html = fs.readFileSync(out.html, 'utf8');
    assert.equal((html.match(/src="data:image\/png;base64,/g) ?? []).length, 8);
  });
});
