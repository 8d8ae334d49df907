import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EvalResult } from '../lib/eval/types';
import { PAPER } from '../lib/paper';
import { inlineHtml, renderHtml, renderMarkdown } from '../lib/report/blocks';
import { chromiumPath } from '../lib/report/export';
import {
  byModel,
  fig1Metrics,
  fig5Accuracy,
  paperFigures,
  wilsonInterval,
} from '../lib/report/paper-figures';
import { claimVerdicts, generateReport, loadResults, reportBlocks } from '../lib/report/report';
import { FerError } from '../lib/util/errors';
import { syntheticStudy } from './report-fixtures';

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

  it('bases each claim verdict on the numbers it quotes', () => {
    const v = claimVerdicts(byModel(study.evals), study.compare, 'weighted');
    assert.equal(v.length, 5);
    const accC = cnn.table1.rows[0].accuracy;
    const accL = lstm.table1.rows[0].accuracy;
    assert.equal(v[0].verdict === 'does not hold', accC <= accL);
    assert.ok(v[0].evidence.includes(accC.toFixed(3)) && v[0].evidence.includes(accL.toFixed(3)));
    // Synthetic timings: hybrid 5 ms vs CNN 4 ms, so "twice as fast" cannot fully hold.
    assert.notEqual(v[1].verdict, 'holds');
    assert.match(v[1].evidence, /0\.80×/);
    assert.equal(v[4].verdict, 'not tested');
    const one = claimVerdicts(byModel([cnn]), null, 'weighted');
    assert.deepEqual(
      one.map((c) => c.verdict),
      ['not tested'],
    );
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
