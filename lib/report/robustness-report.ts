/**
 * The report's "Robustness beyond the paper" section and its figures (Figs. 8–17), from
 * results/robustness/*.json only (written by `fer robustness` and notebook 07). The suite on
 * the paper-scale models is the main result; the small models' (with FER+ and noise-augmented
 * training, run only at that scale) follow, labelled as such. The section is left out when that
 * folder holds no results.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AugmentationResult, RobustnessResult } from '../robustness/run';
import { readJsonFile } from '../util/atomic';
import { FerError } from '../util/errors';
import { type Block, h, p, table, ul } from './blocks';
import type { NamedFigure } from './paper-figures';
import {
  augmentationFigure,
  corruptionErrorBars,
  ferPlusFigure,
  modelLabel,
  robustnessCurves,
  robustnessHeatmap,
} from './robustness-figures';
import type { Row } from './tables';
import { pval, signed } from './format';

export interface RobustnessInputs {
  /**
   * The paper-scale CNN and hybrid (meta.json profile `paper`: models/cnn, models/cnn-lstm), CNN
   * first; empty when their suite has not been run.
   */
  paper: RobustnessResult[];
  /** The small models' CNN and hybrid (plain training, below paper scale), CNN first. */
  pair: RobustnessResult[];
  /** Every small-model result on the pair's rows and corruptions, the pair's first. */
  models: RobustnessResult[];
  /** Noise-augmented training (small models only). */
  augmentation: AugmentationResult | null;
}

const isAugmented = (r: RobustnessResult): boolean =>
  typeof r.model.meta.config.augmentNoise === 'number' && r.model.meta.config.augmentNoise > 0;

const isPaperScale = (r: RobustnessResult): boolean => r.model.meta.profile === 'paper';

/**
 * The newest plain hybrid result of `all` whose plain CNN reference has its own result in `all`,
 * with every other result on the same rows and corruptions; null when there is no such pair.
 */
function findPair(
  all: RobustnessResult[],
): { pair: RobustnessResult[]; models: RobustnessResult[] } | null {
  const hybrids = all
    .filter((r) => r.model.meta.architecture === 'cnn-lstm' && !isAugmented(r) && r.reference)
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  for (const hyb of hybrids) {
    const cnn = all.find(
      (r) =>
        r.model.name === hyb.reference!.name &&
        r.model.meta.createdAt === hyb.reference!.meta.createdAt &&
        !isAugmented(r),
    );
    if (!cnn) continue;
    const same = (r: RobustnessResult): boolean =>
      r.run.seed === hyb.run.seed &&
      r.run.rows.length === hyb.run.rows.length &&
      r.run.rows.every((v, i) => v === hyb.run.rows[i]) &&
      r.run.cells.length === hyb.run.cells.length;
    const others = all.filter((r) => r !== cnn && r !== hyb && same(r));
    return { pair: [cnn, hyb], models: [cnn, hyb, ...others] };
  }
  return null;
}

/**
 * Read results/robustness/. Paper-scale and small models are paired separately (a small model
 * is never compared with a paper-scale one); null when the folder is missing or holds no pair
 * and no augmentation result.
 */
export function loadRobustnessResults(resultsDir: string): RobustnessInputs | null {
  const dir = path.join(resultsDir, 'robustness');
  if (!fs.existsSync(dir)) return null;
  const all: RobustnessResult[] = [];
  let augmentation: AugmentationResult | null = null;
  for (const f of fs
    .readdirSync(dir)
    .filter((x) => x.endsWith('.json'))
    .sort()) {
    const j = readJsonFile<{ schema?: string }>(path.join(dir, f));
    if (j.schema === 'fer-robustness/1') all.push(j as RobustnessResult);
    else if (j.schema === 'fer-augmentation/1') augmentation = j as AugmentationResult;
  }
  const paper = findPair(all.filter(isPaperScale));
  const small = findPair(all.filter((r) => !isPaperScale(r)));
  if (!paper && !small && !augmentation) return null;
  return {
    paper: paper?.pair ?? [],
    pair: small?.pair ?? [],
    models: small?.models ?? [],
    augmentation,
  };
}

/**
 * File names of the robustness figures, numbered after the paper's seven (notebook 07 exports
 * its corruption examples under `examples`). Figs. 9–13 are the small models'.
 */
export const ROBUSTNESS_FIGURE_NAMES = {
  examples: 'fig8-corruption-examples',
  heatmap: 'fig9-robustness-heatmap',
  curves: 'fig10-robustness-curves',
  ce: 'fig11-corruption-error',
  ferplus: 'fig12-ferplus',
  augmentation: 'fig13-noise-augmentation',
} as const;

/**
 * File names of the paper-scale suite's figures: numbered after the small models' Figs. 9–13,
 * so that each file name keeps one meaning whichever results exist.
 */
export const PAPER_ROBUSTNESS_FIGURE_NAMES = {
  heatmap: 'fig14-robustness-heatmap-paper-scale',
  curves: 'fig15-robustness-curves-paper-scale',
  ce: 'fig16-corruption-error-paper-scale',
  ferplus: 'fig17-ferplus-paper-scale',
} as const;

/** "Fig. N · " from the file name, as the paper's own figures are titled, and `note` after. */
function titleFigures(figs: NamedFigure[], note: string): NamedFigure[] {
  for (const f of figs) {
    const n = /^fig(\d+)-/.exec(f.name)?.[1];
    const t = f.figure.layout.title as { text?: string } | undefined;
    if (n && t && typeof t.text === 'string') t.text = `Fig. ${n} · ${t.text}${note}`;
    f.title += note;
  }
  return figs;
}

const trainingSeeds = (pair: RobustnessResult[]): string =>
  [...new Set(pair.map((r) => r.model.meta.seed))].join('/');

/** "paper-scale models, training seed 1": what the paper-scale figures' titles say. */
export function paperScaleNote(pair: RobustnessResult[]): string {
  return `paper-scale models, training seed ${trainingSeeds(pair)}`;
}

/** "small quick-profile models, not paper scale": what the small models' titles say. */
export function smallScaleNote(profiles: string[]): string {
  return `small ${profiles.join('/')}-profile models, not paper scale`;
}

/** Figs. 14–17: the paper-scale pair's heat map, curves, CE bars and FER+ (when scored). */
export function paperRobustnessFigures(pair: RobustnessResult[]): NamedFigure[] {
  if (pair.length !== 2) return [];
  const N = PAPER_ROBUSTNESS_FIGURE_NAMES;
  const out: NamedFigure[] = [
    { name: N.heatmap, title: 'Accuracy under corruption', figure: robustnessHeatmap(pair) },
    { name: N.curves, title: 'Accuracy vs severity', figure: robustnessCurves(pair) },
    { name: N.ce, title: 'CE and relative CE vs the CNN', figure: corruptionErrorBars(pair) },
  ];
  if (pair.some((r) => r.ferplus))
    out.push({ name: N.ferplus, title: 'FER2013 vs FER+ labels', figure: ferPlusFigure(pair) });
  return titleFigures(out, ` · ${paperScaleNote(pair)}`);
}

/**
 * Figs. 14–17 for the paper-scale models, then Figs. 9–13 for the small ones: heat map, curves,
 * CE bars, FER+, augmentation (those with data).
 */
export function robustnessFigures(inp: RobustnessInputs): NamedFigure[] {
  const out: NamedFigure[] = [];
  const N = ROBUSTNESS_FIGURE_NAMES;
  if (inp.pair.length === 2) {
    out.push(
      {
        name: N.heatmap,
        title: 'Accuracy under corruption',
        figure: robustnessHeatmap(inp.pair),
      },
      {
        name: N.curves,
        title: 'Accuracy vs severity',
        figure: robustnessCurves(inp.models),
      },
      {
        name: N.ce,
        title: 'CE and relative CE vs the CNN',
        figure: corruptionErrorBars(inp.models),
      },
    );
    if (inp.models.some((r) => r.ferplus))
      out.push({
        name: N.ferplus,
        title: 'FER2013 vs FER+ labels',
        figure: ferPlusFigure(inp.models),
      });
  }
  if (inp.augmentation)
    out.push({
      name: N.augmentation,
      title: 'Noise-augmented training',
      figure: augmentationFigure(inp.augmentation),
    });
  const profiles = smallProfiles(inp);
  titleFigures(out, profiles.some((x) => x !== 'paper') ? ` · ${smallScaleNote(profiles)}` : '');
  return [...paperRobustnessFigures(inp.paper), ...out];
}

/** The training profiles of the small models (and of the augmentation experiment's). */
function smallProfiles(inp: RobustnessInputs): string[] {
  return [
    ...new Set([
      ...inp.models.map((r) => r.model.meta.profile),
      ...(inp.augmentation?.models.map((m) => m.meta.profile) ?? []),
    ]),
  ];
}

const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');

/** Per family: mean accuracy over severities for every model. */
export function familyTable(models: RobustnessResult[]): Row[] {
  const fams = models[0].familyMeans.map((f) => f.family);
  const rows: Row[] = [
    {
      family: 'clean',
      ...Object.fromEntries(
        models.map((m) => [modelLabel(m.model.meta), f3(m.run.clean.accuracy)]),
      ),
    },
  ];
  for (const fam of fams)
    rows.push({
      family: fam,
      ...Object.fromEntries(
        models.map((m) => [
          modelLabel(m.model.meta),
          f3(m.familyMeans.find((x) => x.family === fam)!.accuracy),
        ]),
      ),
    });
  return rows;
}

/** CE, relative CE and the paired sign test of each model that has a reference. */
export function ceTable(models: RobustnessResult[]): Row[] {
  const rows: Row[] = [];
  for (const m of models.filter((x) => x.reference)) {
    const ref = m.reference!;
    for (const f of ref.families) {
      const t = ref.pairedTests.find((x) => x.family === f.family)!;
      const sig = t.perSeverity.filter((s) => s.pValue < 0.05).length;
      rows.push({
        model: modelLabel(m.model.meta),
        family: f.family,
        CE: f3(f.ce),
        'relative CE': f3(f.relativeCe),
        'images better / worse': `${t.signTest.aBetter} / ${t.signTest.bBetter}`,
        'sign test p': pval(t.signTest.pValue),
        'severities with McNemar p < 0.05': `${sig} of ${t.perSeverity.length}`,
      });
    }
    rows.push({
      model: modelLabel(m.model.meta),
      family: '**mean (mCE)**',
      CE: f3(ref.mCE),
      'relative CE': f3(ref.relativeMCE),
      'images better / worse': '',
      'sign test p': '',
      'severities with McNemar p < 0.05': '',
    });
  }
  return rows;
}

export function ferPlusTable(models: RobustnessResult[]): Row[] {
  return models
    .filter((m) => m.ferplus)
    .map((m) => {
      const fp = m.ferplus!;
      return {
        model: modelLabel(m.model.meta),
        'FER2013, all test rows': f3(fp.allRows.original.accuracy),
        'FER2013, FER+ rows': f3(fp.ferplusRows.original.accuracy),
        'FER+, FER+ rows': f3(fp.ferplusRows.ferplus.accuracy),
        'weighted F1 FER2013 / FER+ (FER+ rows)': `${f3(fp.ferplusRows.original.weightedF1)} / ${f3(fp.ferplusRows.ferplus.weightedF1)}`,
        rows: `${fp.nWithFerPlus} of ${fp.nTest}`,
      };
    });
}

export function augmentationTable(a: AugmentationResult): Row[] {
  return a.levels.map((level) => {
    const row: Row = { noise: level === 0 ? 'clean' : `${+(level * 100).toFixed(2)} %` };
    for (const m of a.models) {
      const l = m.table34.levels.find((x) => x.level === level)!;
      row[modelLabel(m.meta)] = `${f3(l.accuracy.mean)} / ${f3(l.f1.weighted.mean)}`;
    }
    const g = a.gaps.find((x) => x.level === level)!;
    row['hybrid − CNN plain / aug.'] =
      `${signed(g.plain.accuracy)} / ${signed(g.augmented.accuracy)}`;
    return row;
  });
}

function describeModels(models: RobustnessResult[]): string {
  const m = models[0].model.meta;
  const c = m.config;
  return (
    `profile ${m.profile}, width ${m.widthMultiplier}, ${String(c.trainImages ?? '?')} training images, ` +
    `${m.epochsRun} epochs, dropout ${String(c.dropout ?? '?')}, lr ${String(c.learningRate ?? '?')}, batch ${String(c.batchSize ?? '?')}`
  );
}

/** Test images, corruption seed, and the backend (and its threads) that ran the suite. */
function runDescription(r: RobustnessResult): string {
  const threads =
    r.threads === undefined ? '' : `, ${r.threads} thread${r.threads === 1 ? '' : 's'}`;
  return (
    `Test images: ${r.data.nTest}${r.data.limited ? ` (stratified subset of ${r.data.nTestFull})` : ''}, ` +
    `corruption seed ${r.run.seed}, backend ${r.backend}${threads}.`
  );
}

/** The paper-scale pair: folder, parameters, epochs and seed of each, and the shared recipe. */
function describePaperPair(pair: RobustnessResult[]): string {
  const each = pair.map((r) => {
    const m = r.model.meta;
    return `\`${r.model.dir}\` (${modelLabel(m)}, ${m.params.toLocaleString('en-US')} parameters, best epoch ${m.bestEpoch} of ${m.epochsRun}, training seed ${m.seed})`;
  });
  const c = pair[0].model.meta.config;
  return (
    `${each.join(' and ')}, trained with the ${pair[0].model.meta.profile} profile ` +
    `(width ${pair[0].model.meta.widthMultiplier}, ${String(c.trainImages ?? '?')} training images, dropout ${String(c.dropout ?? '?')}, lr ${String(c.learningRate ?? '?')}, batch ${String(c.batchSize ?? '?')})`
  );
}

const familyList = (xs: string[]): string =>
  xs.length ? `${xs.length} (${xs.join(', ')})` : 'none';

/**
 * What the suite says about a hybrid against its CNN reference beyond mCE, computed from the
 * numbers: in how many families CE and relative CE are above or below 1, the per-family sign
 * tests at `alpha`, and the paper's own corruption (Gaussian noise). Empty for a result without
 * a reference.
 */
export function ceFindings(hyb: RobustnessResult, alpha = 0.05): string[] {
  const ref = hyb.reference;
  if (!ref || ref.families.length === 0) return [];
  const fams = ref.families;
  const n = fams.length;
  const ces = fams.map((f) => f.ce);
  const sig = ref.pairedTests.filter((t) => t.signTest.pValue < alpha);
  // A = the hybrid, B = the CNN.
  const hybBetter = sig.filter((t) => t.signTest.aBetter > t.signTest.bBetter).map((t) => t.family);
  const cnnBetter = sig.filter((t) => t.signTest.aBetter < t.signTest.bBetter).map((t) => t.family);
  const out = [
    `CE above 1 (more errors under the corruption than the CNN) in ${fams.filter((f) => f.ce > 1).length} of ${n} families (CE ${f3(Math.min(...ces))}–${f3(Math.max(...ces))}); ` +
      `relative CE below 1 (less of its clean accuracy lost than the CNN loses) in ${fams.filter((f) => f.relativeCe < 1).length} of ${n}.`,
    `Sign test per family on the same images (p < ${alpha}): the CNN better in ${familyList(cnnBetter)}; the hybrid better in ${familyList(hybBetter)}; no significant difference in ${ref.pairedTests.length - sig.length}.`,
  ];
  const gn = fams.find((f) => f.family === 'gaussian-noise');
  if (gn)
    out.push(
      `Gaussian noise, the paper's corruption: CE ${f3(gn.ce)}, relative CE ${f3(gn.relativeCe)}.`,
    );
  return out;
}

/**
 * Per family, each scale's CNN and hybrid accuracy (means over severities) and the hybrid's CE
 * and relative CE against its CNN, side by side; first row clean accuracy, last row mCE and
 * relative mCE. Each `hybrid` must hold its reference.
 */
export function scaleComparisonTable(scales: { label: string; hybrid: RobustnessResult }[]): Row[] {
  const refs = scales.map((x) => {
    if (!x.hybrid.reference) throw new FerError(`${x.label}: the hybrid's result has no reference`);
    return x.hybrid.reference;
  });
  const acc = (cnn: number, hyb: number): string => `${f3(cnn)} / ${f3(hyb)}`;
  const rows: Row[] = [];
  const clean: Row = { family: 'clean' };
  scales.forEach((x, i) => {
    clean[`${x.label}: accuracy CNN / CNN+LSTM`] = acc(
      refs[i].clean.accuracy,
      x.hybrid.run.clean.accuracy,
    );
    clean[`${x.label}: CE`] = '';
    clean[`${x.label}: relative CE`] = '';
  });
  rows.push(clean);
  for (const fam of refs[0].families.map((f) => f.family)) {
    const row: Row = { family: fam };
    scales.forEach((x, i) => {
      const f = refs[i].families.find((q) => q.family === fam);
      const cnnAcc = refs[i].familyMeans.find((q) => q.family === fam)?.accuracy ?? NaN;
      row[`${x.label}: accuracy CNN / CNN+LSTM`] = acc(cnnAcc, f?.meanAccuracy ?? NaN);
      row[`${x.label}: CE`] = f3(f?.ce ?? NaN);
      row[`${x.label}: relative CE`] = f3(f?.relativeCe ?? NaN);
    });
    rows.push(row);
  }
  const mean: Row = { family: '**mean (mCE)**' };
  scales.forEach((x, i) => {
    mean[`${x.label}: accuracy CNN / CNN+LSTM`] = '';
    mean[`${x.label}: CE`] = f3(refs[i].mCE);
    mean[`${x.label}: relative CE`] = f3(refs[i].relativeMCE);
  });
  rows.push(mean);
  return rows;
}

const sameRows = (a: RobustnessResult, b: RobustnessResult): boolean =>
  a.run.seed === b.run.seed &&
  a.run.rows.length === b.run.rows.length &&
  a.run.rows.every((v, i) => v === b.run.rows[i]);

/** The report section: the paper-scale suite first, then the small models'. */
export function robustnessBlocks(inp: RobustnessInputs): Block[] {
  const below = smallProfiles(inp).filter((x) => x !== 'paper');
  const paper = inp.paper.length === 2;
  const small = inp.pair.length === 2;
  const smallHeading = `Small models (${below.join('/')} profile, not paper scale)`;
  const B: Block[] = [
    h(
      2,
      !paper && below.length
        ? `Robustness beyond the paper (${below.join('/')}-profile models, not paper scale)`
        : 'Robustness beyond the paper',
    ),
  ];
  B.push(
    p(
      'The paper tests one corruption (Gaussian noise). Here both models also face salt-and-pepper noise, blur, a square occluder, brightness, contrast, JPEG compression and downscaling, 5 severities each (ImageNet-C protocol, `lib/robustness/corruptions.ts`), on the same test images with the same corruption seed. ' +
        "CE = summed errors over severities relative to the CNN (below 1: more robust); relative CE = summed *loss* relative to the clean accuracy, relative to the CNN's loss. Written by `fer robustness` and notebook `07-robustness`." +
        (paper && (small || inp.augmentation)
          ? ' The main result is the suite on the paper-scale models; the small models trained for this study follow, with noise-augmented training, which was run at that scale only.'
          : ''),
    ),
  );
  if (paper) {
    const [cnn, hyb] = inp.paper;
    const ref = hyb.reference!;
    B.push(
      h(3, `Paper-scale models, training seed ${trainingSeeds(inp.paper)}`),
      p(
        `Models: ${describePaperPair(inp.paper)}. ${runDescription(hyb)} ` +
          `**mCE of the hybrid vs the CNN: ${f3(ref.mCE)}; relative mCE: ${f3(ref.relativeMCE)}.** Clean accuracy ${f3(cnn.run.clean.accuracy)} (CNN) vs ${f3(hyb.run.clean.accuracy)} (hybrid).`,
      ),
      ul(ceFindings(hyb)),
      table(
        familyTable(inp.paper),
        {},
        'Paper-scale models: mean accuracy over the 5 severities, per corruption family',
      ),
      table(
        ceTable(inp.paper),
        {},
        'Paper-scale models: corruption error of the hybrid vs the CNN, with paired tests on the same images (A = the hybrid, B = the CNN)',
      ),
    );
    if (small)
      B.push(
        table(
          scaleComparisonTable([
            { label: 'paper scale', hybrid: hyb },
            { label: 'small', hybrid: inp.pair[1] },
          ]),
          {},
          `The hybrid vs the CNN at both scales${sameRows(hyb, inp.pair[1]) ? ', on the same test images and corruptions' : ''}: accuracy (mean over severities), CE and relative CE`,
        ),
      );
  }
  if (small) {
    const [cnn, hyb] = inp.pair;
    const ref = hyb.reference!;
    const cap = (s: string): string =>
      paper ? `Small models: ${s[0].toLowerCase()}${s.slice(1)}` : s;
    if (paper) B.push(h(3, smallHeading));
    B.push(
      p(
        `Models: ${describeModels(inp.pair)}. ${runDescription(hyb)} ` +
          `**mCE of the hybrid vs the CNN: ${f3(ref.mCE)}; relative mCE: ${f3(ref.relativeMCE)}.** Clean accuracy ${f3(cnn.run.clean.accuracy)} (CNN) vs ${f3(hyb.run.clean.accuracy)} (hybrid).`,
      ),
    );
    B.push(
      table(
        familyTable(inp.models),
        {},
        cap('Mean accuracy over the 5 severities, per corruption family'),
      ),
    );
    B.push(
      table(
        ceTable(inp.models),
        {},
        cap(
          'Corruption error vs the CNN, with paired tests on the same images (A = the model, B = the CNN)',
        ),
      ),
    );
  }
  const fpPaper = paper ? ferPlusTable(inp.paper) : [];
  const fpSmall = small ? ferPlusTable(inp.models) : [];
  if (fpPaper.length || fpSmall.length) {
    const any = [...(paper ? inp.paper : []), ...(small ? inp.models : [])].find(
      (m) => m.ferplus,
    )!.ferplus!;
    B.push(
      h(3, 'FER+ labels'),
      p(
        `The clean predictions scored against FER+ majority labels (Barsoum et al., 2016; unknown / not-a-face / contempt / no-majority rows dropped) and against the original labels on the same rows. FER+ and FER2013 agree on ${(any.labelAgreement * 100).toFixed(1)} % of these test rows. ` +
          `Published: ${any.published.map((x) => `${x.method} ${x.accuracy}`).join('; ')}. ${any.comparability}`,
      ),
    );
    if (fpPaper.length)
      B.push(table(fpPaper, {}, 'Paper-scale models: accuracy against each label set'));
    if (fpSmall.length)
      B.push(
        table(
          fpSmall,
          {},
          paper
            ? 'Small models: accuracy against each label set'
            : 'Accuracy against each label set',
        ),
      );
  }
  const a = inp.augmentation;
  if (a) {
    B.push(
      h(
        3,
        paper
          ? 'Noise-augmented training (small models, not paper scale)'
          : 'Noise-augmented training',
      ),
      p(
        `Both models retrained with Gaussian-noise augmentation (σ ~ U(0, ${a.models[2]?.augmentNoise ?? '?'}) per training image, \`fer train --augment-noise\`), evaluated at the paper's noise levels on ${a.data.nTest} test images (${a.noiseSeeds.length} noise seed(s)); cells are accuracy / weighted F1. ` +
          `Mean over ${a.summary.highNoise.map((l) => `${l * 100} %`).join(', ')}: hybrid − CNN ${signed(a.summary.plainGap.accuracy)} plain, ${signed(a.summary.augmentedGap.accuracy)} augmented; augmented CNN − plain hybrid ${signed(a.summary.augmentedCnnVsPlainHybrid.accuracy)}.`,
      ),
      table(augmentationTable(a), {}, 'Accuracy / weighted F1 by test noise level'),
      p(`**Verdict (computed):** ${a.summary.verdict}`),
    );
  }
  return B;
}
