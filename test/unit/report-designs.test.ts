import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../lib/config';
import type { EvalResult } from '../../lib/eval/types';
import type { DesignName } from '../../lib/models/designs';
import { bandEvidence } from '../../lib/report/analysis-report';
import { renderMarkdown } from '../../lib/report/blocks';
import {
  DESIGNS_FIGURE,
  designBlocks,
  designFindings,
  designRows,
  designSummaries,
  designsFigures,
} from '../../lib/report/designs-report';
import { publishedTrainings } from '../../lib/study/trainings';
import { syntheticStudy } from '../fixtures/report-fixtures';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** `e` as another design / seed, with its clean and noisy accuracies shifted by `shift`. */
function variant(e: EvalResult, arch: DesignName, seed: number, shift: number): EvalResult {
  const c = clone(e);
  c.model.meta.architecture = arch;
  c.model.meta.seed = seed;
  c.model.name = `${arch}-s${seed}`;
  for (const r of c.table1.rows) r.accuracy += shift;
  for (const l of c.table34.levels) l.accuracy.mean += shift;
  return c;
}

describe('report: designs comparison', () => {
  const study = syntheticStudy(300);
  const [cnn, lstm] = study.evals;
  const band = bandEvidence(cnn, lstm, study.compare, 'weighted').band;
  const acc0 = (e: EvalResult) => e.table1.rows[0].accuracy;
  const at = (e: EvalResult, lv: number) =>
    e.table34.levels.find((l) => Math.abs(l.level - lv) < 1e-9)!.accuracy.mean;
  const evals = [
    cnn,
    variant(cnn, 'cnn', 2, 0.02),
    variant(cnn, 'cnn', 3, -0.05),
    lstm,
    variant(lstm, 'cnn-dense-control', 1, 0.01),
    variant(lstm, 'cnn-dense-control', 2, 0.04),
  ];

  it('gives mean ± sd over seeds per design and the difference from the CNN', () => {
    assert.ok(band.levels.length >= 2);
    const s = designSummaries(evals, band);
    assert.deepEqual(
      s.map((d) => d.design),
      ['cnn', 'cnn-lstm', 'cnn-dense-control'],
    );
    const [c, , ctrl] = s;
    assert.deepEqual(c.seeds, [cnn.model.meta.seed, 2, 3]);
    // Hand-computed: values a, a + 0.02, a - 0.05 have mean a - 0.01 and sd
    // sqrt((0.01² + 0.03² + 0.04²) / 2) = sqrt(0.0013).
    const a = acc0(cnn);
    assert.ok(Math.abs(c.clean.mean - (a - 0.01)) < 1e-12);
    assert.ok(Math.abs((c.clean.std as number) - Math.sqrt(0.0013)) < 1e-12);
    // Control: b + 0.01, b + 0.04: mean b + 0.025, sd 0.03 / √2.
    const b = acc0(lstm);
    assert.ok(Math.abs(ctrl.clean.mean - (b + 0.025)) < 1e-12);
    assert.ok(Math.abs((ctrl.clean.std as number) - 0.03 / Math.SQRT2) < 1e-12);
    assert.ok(Math.abs((ctrl.cleanVsCnn as number) - (b + 0.025 - (a - 0.01))) < 1e-12);
    assert.ok(Math.abs((ctrl.at10 as number) - (at(lstm, 0.1) + 0.025)) < 1e-12);
    assert.ok(Math.abs((c.at30 as number) - (at(cnn, 0.3) - 0.01)) < 1e-12);
    // A constant shift of every level shifts the band average by the same amount.
    assert.ok(Math.abs((ctrl.bandVsCnn as number) - (s[1].bandVsCnn as number) - 0.025) < 1e-9);
    const ctrlToLstm = Math.abs((ctrl.bandAverage as number) - (s[1].bandAverage as number));
    const ctrlToCnn = Math.abs((ctrl.bandAverage as number) - (c.bandAverage as number));
    assert.match(
      designFindings(s),
      new RegExp(`nearer the ${ctrlToLstm <= ctrlToCnn ? 'CNN\\+LSTM' : 'CNN '}`),
    );
    const rows = designRows(s);
    assert.equal(rows[0]['clean − CNN'], null);
    assert.equal(rows[2]['training seeds'], 2);
    assert.equal(rows[2].parameters, lstm.model.meta.params);
    assert.equal(
      rows[0]['clean accuracy'],
      `${(a - 0.01).toFixed(3)} ± ${Math.sqrt(0.0013).toFixed(3)}`,
    );
  });

  it('draws one line per design, the pair thick and the control dashed, only beyond the pair', () => {
    assert.deepEqual(designsFigures([cnn, lstm]), []);
    const [f] = designsFigures(evals);
    assert.equal(f.name, DESIGNS_FIGURE);
    assert.equal(f.figure.data.length, 3);
    const ctrl = f.figure.data[2];
    assert.equal((ctrl.line as { dash: string }).dash, 'dash');
    assert.ok(
      (f.figure.data[0].line as { width: number }).width > (ctrl.line as { width: number }).width,
    );
    assert.ok(
      Math.abs(
        (ctrl.y as number[])[0] -
          (evals[4].table34.levels[1].accuracy.mean + evals[5].table34.levels[1].accuracy.mean) / 2,
      ) < 1e-12,
    );
  });

  it('names the trainings not trained yet when only the paper pair is evaluated', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-designs-'));
    try {
      const config = loadConfig('paper');
      const trained = publishedTrainings(config, root);
      fs.mkdirSync(path.join(root, 'models', 'cnn-bilstm-s1'), { recursive: true });
      fs.writeFileSync(path.join(root, 'models', 'cnn-bilstm-s1', 'meta.json'), '{}');
      const t = publishedTrainings(config, root);
      assert.ok(trained.every((x) => !x.exists));
      const md = renderMarkdown(designBlocks([cnn, lstm], band, t));
      assert.match(md, /Only the paper’s pair has been evaluated/);
      assert.match(
        md,
        /Not trained yet \(`npm run train-all`\): `cnn-s2`, `cnn-lstm-s2`, `cnn-s3`, `cnn-lstm-s3`, `cnn-dense-control-s1`, `cnn-lstm-spatial-s1`, `cnn-lstm-seq1-s1`\./,
      );
      assert.match(md, /Trained but not evaluated yet .*`cnn-bilstm-s1`\./);
      assert.ok(!/cnn-s1|cnn-lstm-s1`/.test(md), 'the headline pair is never pending');
      assert.ok(!/\|/.test(md), 'no table without a design to compare');
      const full = renderMarkdown(designBlocks(evals, band, t));
      assert.match(full, /\| CNN\+Dense control \(`cnn-dense-control`\) \| control \|/);
      assert.ok(!/cnn-dense-control-s1/.test(full), 'an evaluated training is not pending');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('study: published trainings', () => {
  it('lists every training of the config with its folder, whether it exists and the headline', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-published-'));
    try {
      for (const d of ['cnn', 'cnn-lstm', 'cnn-s2']) {
        fs.mkdirSync(path.join(root, 'models', d), { recursive: true });
        fs.writeFileSync(path.join(root, 'models', d, 'meta.json'), '{}');
      }
      fs.mkdirSync(path.join(root, 'models', 'cnn-lstm-s2')); // no meta.json: not finished
      const t = publishedTrainings(loadConfig('paper'), root);
      assert.equal(t.length, loadConfig('paper').trainings.length);
      assert.deepEqual(
        t.slice(0, 4).map((x) => [x.name, x.rel, x.exists, x.headline]),
        [
          ['cnn-s1', path.join('models', 'cnn'), true, true],
          ['cnn-lstm-s1', path.join('models', 'cnn-lstm'), true, true],
          ['cnn-s2', path.join('models', 'cnn-s2'), true, false],
          ['cnn-lstm-s2', path.join('models', 'cnn-lstm-s2'), false, false],
        ],
      );
      const ctrl = t.find((x) => x.entry.model === 'cnn-dense-control')!;
      assert.equal(ctrl.dir, path.join(root, 'models', 'cnn-dense-control-s1'));
      assert.equal(ctrl.headline, false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
