/**
 * The corruption suite's paper-scale results beside the small models': which results pair with
 * which (a paper-scale CNN never serves as a small hybrid's reference), the report section and
 * its figure names, the computed findings, the side-by-side CE table, and notebook 07's
 * load-or-compute of the paper-scale pair.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CORRUPTIONS, CORRUPTION_SPECS, SEVERITIES } from '../../lib/robustness/corruptions';
import {
  corruptionErrors,
  familyMeans,
  pairedFamilyTests,
  runRobustness,
  type Predictor,
  type RobustnessRun,
} from '../../lib/robustness/suite';
import type { RobustnessResult } from '../../lib/robustness/run';
import {
  isStandardSuiteOf,
  paperRobustnessModels,
  paperSuitesFor,
} from '../../lib/robustness/study';
import {
  ceFindings,
  loadRobustnessResults,
  PAPER_ROBUSTNESS_FIGURE_NAMES,
  robustnessBlocks,
  robustnessFigures,
  scaleComparisonTable,
} from '../../lib/report/robustness-report';
import { renderMarkdown } from '../../lib/report/blocks';
import type { StudyModelMeta } from '../../lib/models/meta';
import { syntheticFer } from '../../lib/train/synthetic';
import type { FerDataset } from '../../lib/data';
import type { StudyEnv } from '../../lib/env';
import { tinyMeta } from '../fixtures/tiny-model';

/**
 * A model that answers right on a fixed share of images, less often as severity grows: the
 * share falls by `drop` per severity level, and which images it gets right is fixed per seed.
 */
function fakePredictor(skill: number, drop: number, seed: number): Predictor {
  return (ds, idx) => {
    const sev = Number(/ s(\d)\]$/.exec(ds.source)?.[1] ?? 0);
    const out = new Float32Array(idx.length * 7);
    idx.forEach((r, k) => {
      const u = Math.abs(Math.sin((k + 1) * 12.9898 + seed * 78.233) * 43758.5453) % 1;
      const y = ds.labels[r];
      out[k * 7 + (u < skill - drop * sev ? y : (y + 1) % 7)] = 1;
    });
    return Promise.resolve(out);
  };
}

interface Made {
  meta: StudyModelMeta;
  run: RobustnessRun;
}

function resultOf(
  ds: FerDataset,
  name: string,
  self: Made,
  ref: { name: string; made: Made } | null,
  createdAt: string,
): RobustnessResult {
  const yTrue = self.run.rows.map((r) => ds.labels[r]);
  return {
    schema: 'fer-robustness/1',
    createdAt,
    model: { name, dir: `models/${name}`, meta: self.meta },
    data: {
      datasetSha256: ds.sha256,
      split: 'official',
      splitSeed: 0,
      nTest: self.run.rows.length,
      nTestFull: self.run.rows.length,
      limited: false,
    },
    backend: 'cpu',
    threads: 1,
    seconds: 0,
    corruptions: {
      seed: 0,
      severities: [...SEVERITIES],
      families: CORRUPTIONS.map((f) => CORRUPTION_SPECS[f]),
    },
    run: self.run,
    reused: false,
    computed: { at: createdAt, seconds: 0 },
    familyMeans: familyMeans(self.run),
    reference: ref && {
      name: ref.name,
      dir: `models/${ref.name}`,
      meta: ref.made.meta,
      clean: ref.made.run.clean,
      cells: ref.made.run.cells,
      familyMeans: familyMeans(ref.made.run),
      ...corruptionErrors(self.run, ref.made.run),
      pairedTests: pairedFamilyTests(self.run, ref.made.run, yTrue),
      reused: false,
    },
    ferplus: null,
  };
}

describe('robustness suite at paper scale beside the small models', () => {
  const ds = syntheticFer({ n: 60, seed: 5 });
  const rows = Int32Array.from({ length: ds.n }, (_, i) => i);
  let dir: string;
  let paperCnn: RobustnessResult;
  let paperHyb: RobustnessResult;
  let smallCnn: RobustnessResult;
  let smallHyb: RobustnessResult;

  const made = async (
    arch: StudyModelMeta['architecture'],
    seed: number,
    profile: string,
    createdAt: string,
    skill: number,
  ): Promise<Made> => ({
    meta: { ...tinyMeta(ds, arch, 1), profile, createdAt },
    run: await runRobustness(fakePredictor(skill, 0.1, seed), ds, rows),
  });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-robust-paper-'));
    // Both CNNs are called 'cnn' so that only the profile and createdAt tell them apart.
    const pc = await made('cnn', 1, 'paper', '2020-02-01T00:00:00.000Z', 0.75);
    const ph = await made('cnn-lstm', 2, 'paper', '2020-02-02T00:00:00.000Z', 0.7);
    const sc = await made('cnn', 3, 'quick', '2020-01-01T00:00:00.000Z', 0.5);
    const sh = await made('cnn-lstm', 4, 'quick', '2020-01-02T00:00:00.000Z', 0.45);
    paperCnn = resultOf(ds, 'cnn', pc, null, '2020-03-01T00:00:00.000Z');
    paperHyb = resultOf(ds, 'cnn-lstm', ph, { name: 'cnn', made: pc }, '2020-03-02T00:00:00.000Z');
    smallCnn = resultOf(ds, 'cnn', sc, null, '2020-03-03T00:00:00.000Z');
    // The newest hybrid result is the small one: pairing must still not cross scales.
    smallHyb = resultOf(
      ds,
      'robust-cnn-lstm',
      sh,
      { name: 'cnn', made: sc },
      '2020-03-04T00:00:00.000Z',
    );
    const rd = path.join(dir, 'results', 'robustness');
    fs.mkdirSync(rd, { recursive: true });
    for (const [f, r] of [
      ['robust-paper-cnn.json', paperCnn],
      ['robust-paper-cnn-lstm.json', paperHyb],
      ['robust-cnn.json', smallCnn],
      ['robust-cnn-lstm.json', smallHyb],
    ] as const)
      fs.writeFileSync(path.join(rd, f), JSON.stringify(r));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('pairs paper-scale and small models separately', () => {
    const inp = loadRobustnessResults(path.join(dir, 'results'))!;
    assert.deepEqual(
      inp.paper.map((r) => [r.model.name, r.model.meta.profile]),
      [
        ['cnn', 'paper'],
        ['cnn-lstm', 'paper'],
      ],
    );
    assert.deepEqual(
      inp.pair.map((r) => [r.model.name, r.model.meta.profile]),
      [
        ['cnn', 'quick'],
        ['robust-cnn-lstm', 'quick'],
      ],
    );
    assert.ok(inp.models.every((r) => r.model.meta.profile !== 'paper'));
    assert.equal(inp.augmentation, null);
  });

  it('figures: paper-scale first under their own names and titles, small ones labelled', () => {
    const inp = loadRobustnessResults(path.join(dir, 'results'))!;
    const figs = robustnessFigures(inp);
    const N = PAPER_ROBUSTNESS_FIGURE_NAMES;
    assert.deepEqual(
      figs.map((f) => f.name),
      [
        N.heatmap,
        N.curves,
        N.ce,
        'fig9-robustness-heatmap',
        'fig10-robustness-curves',
        'fig11-corruption-error',
      ],
    );
    assert.equal(new Set(figs.map((f) => f.name)).size, figs.length);
    const title = (i: number): string => (figs[i].figure.layout.title as { text: string }).text;
    assert.match(title(0), /^Fig\. 14 · .* · paper-scale models, training seed 1$/);
    assert.match(title(3), /^Fig\. 9 · .* · small quick-profile models, not paper scale$/);
    // The paper-scale heat map is of the paper-scale pair: its difference panel is theirs.
    const z = figs[0].figure.data.map((t) => t.z as number[][]);
    const acc = (r: RobustnessResult, fam: string, s: number): number =>
      r.run.cells.find((c) => c.family === fam && c.severity === s)!.accuracy;
    assert.ok(
      Math.abs(z[2][1][2] - (acc(paperHyb, CORRUPTIONS[1], 2) - acc(paperCnn, CORRUPTIONS[1], 2))) <
        1e-12,
    );
  });

  it('report section: the paper-scale suite first, then the small models, each named', () => {
    const md = renderMarkdown(robustnessBlocks(loadRobustnessResults(path.join(dir, 'results'))!));
    assert.match(md, /^## Robustness beyond the paper\n/);
    const paperAt = md.indexOf('### Paper-scale models, training seed 1');
    const smallAt = md.indexOf('### Small models (quick profile, not paper scale)');
    assert.ok(paperAt > 0 && smallAt > paperAt, md);
    const m = (r: RobustnessResult): string =>
      `mCE of the hybrid vs the CNN: ${r.reference!.mCE.toFixed(3)}`;
    assert.ok(md.indexOf(m(paperHyb)) > paperAt && md.indexOf(m(paperHyb)) < smallAt);
    assert.ok(md.lastIndexOf(m(smallHyb)) > smallAt);
    assert.match(md, /backend cpu, 1 thread\./);
    assert.match(md, /The hybrid vs the CNN at both scales, on the same test images/);
  });

  it('findings are computed from the CE values and sign tests', () => {
    const ref = paperHyb.reference!;
    const [ce, sign, gn] = ceFindings(paperHyb);
    const above = ref.families.filter((f) => f.ce > 1).length;
    assert.ok(
      ce.startsWith(`CE above 1 (more errors under the corruption than the CNN) in ${above} of 8`),
    );
    const cnnBetter = ref.pairedTests.filter(
      (t) => t.signTest.pValue < 0.05 && t.signTest.aBetter < t.signTest.bBetter,
    );
    assert.ok(
      sign.includes(`the CNN better in ${cnnBetter.length ? `${cnnBetter.length} (` : 'none'}`),
    );
    const g = ref.families.find((f) => f.family === 'gaussian-noise')!;
    assert.equal(
      gn,
      `Gaussian noise, the paper's corruption: CE ${g.ce.toFixed(3)}, relative CE ${g.relativeCe.toFixed(3)}.`,
    );
    assert.deepEqual(ceFindings(paperCnn), []);
  });

  it('the side-by-side table holds each scale’s numbers', () => {
    const rows = scaleComparisonTable([
      { label: 'paper scale', hybrid: paperHyb },
      { label: 'small', hybrid: smallHyb },
    ]);
    assert.equal(rows.length, 1 + CORRUPTIONS.length + 1);
    assert.equal(
      rows[0]['small: accuracy CNN / CNN+LSTM'],
      `${smallCnn.run.clean.accuracy.toFixed(3)} / ${smallHyb.run.clean.accuracy.toFixed(3)}`,
    );
    const jpeg = rows.find((r) => r.family === 'jpeg')!;
    const f = paperHyb.reference!.families.find((x) => x.family === 'jpeg')!;
    assert.equal(jpeg['paper scale: CE'], f.ce.toFixed(3));
    assert.equal(jpeg['paper scale: relative CE'], f.relativeCe.toFixed(3));
    const cnnJpeg = paperCnn.familyMeans.find((x) => x.family === 'jpeg')!.accuracy;
    assert.equal(
      jpeg['paper scale: accuracy CNN / CNN+LSTM'],
      `${cnnJpeg.toFixed(3)} / ${f.meanAccuracy.toFixed(3)}`,
    );
    assert.equal(rows[rows.length - 1]['small: CE'], smallHyb.reference!.mCE.toFixed(3));
    assert.throws(() => scaleComparisonTable([{ label: 'x', hybrid: paperCnn }]), /no reference/);
  });

  it('a saved suite counts only when it is the full suite of that very model', () => {
    const meta = paperHyb.model.meta;
    assert.equal(isStandardSuiteOf(paperHyb, meta), true);
    assert.equal(isStandardSuiteOf(paperHyb, { ...meta, createdAt: 'other' }), false);
    assert.equal(isStandardSuiteOf(paperHyb, meta, 30), false); // 60 images, not 30
    const fewer = { ...paperHyb, run: { ...paperHyb.run, cells: paperHyb.run.cells.slice(1) } };
    assert.equal(isStandardSuiteOf(fewer, meta), false);
    const seeded = { ...paperHyb, run: { ...paperHyb.run, seed: 1 } };
    assert.equal(isStandardSuiteOf(seeded, meta), false);
  });

  it('notebook 07 reads the paper-scale pair from the committed results when this run has none', async () => {
    const ms = paperRobustnessModels(dir);
    assert.deepEqual(
      ms.map((m) => [path.relative(dir, m.dir), m.file]),
      [
        [path.join('models', 'cnn'), 'robust-paper-cnn.json'],
        [path.join('models', 'cnn-lstm'), 'robust-paper-cnn-lstm.json'],
      ],
    );
    for (const [m, r] of [
      [ms[0], paperCnn],
      [ms[1], paperHyb],
    ] as const) {
      fs.mkdirSync(m.dir, { recursive: true });
      fs.writeFileSync(path.join(m.dir, 'meta.json'), JSON.stringify(r.model.meta));
    }
    const env = {
      resultsDir: path.join(dir, 'run', 'results'),
      retrain: false,
      csv: null,
    } as unknown as StudyEnv;
    const got = await paperSuitesFor(env, { root: dir });
    assert.equal(got.from, path.join(dir, 'results', 'robustness', ''));
    assert.equal(got.hybrid.reference!.mCE, paperHyb.reference!.mCE);
    assert.equal(got.cnn.model.meta.createdAt, paperCnn.model.meta.createdAt);
  });
});
