/**
 * The report's "Robustness beyond the paper" section and its figures (Figs. 8–13), from
 * results/robustness/*.json only (written by `fer robustness` and notebook 07). The section is
 * left out when that folder holds no results.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AugmentationResult, RobustnessResult } from '../robustness/run';
import { readJsonFile } from '../util/atomic';
import { type Block, h, p, table } from './blocks';
import { markScale, type NamedFigure } from './paper-figures';
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
  /** The CNN and the hybrid of the main comparison (plain training), CNN first. */
  pair: RobustnessResult[];
  /** Every model result on the same rows and corruptions, the pair's first. */
  models: RobustnessResult[];
  augmentation: AugmentationResult | null;
}

const isAugmented = (r: RobustnessResult): boolean =>
  typeof r.model.meta.config.augmentNoise === 'number' && r.model.meta.config.augmentNoise > 0;

/**
 * Read results/robustness/. The main pair is the newest plain hybrid result that has a plain CNN
 * reference whose own result is there; null when the folder is missing or holds no such pair
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
    return { pair: [cnn, hyb], models: [cnn, hyb, ...others], augmentation };
  }
  return augmentation ? { pair: [], models: [], augmentation } : null;
}

/**
 * File names of the robustness figures, numbered after the paper's seven (notebook 07 exports
 * its corruption examples under `examples`).
 */
export const ROBUSTNESS_FIGURE_NAMES = {
  examples: 'fig8-corruption-examples',
  heatmap: 'fig9-robustness-heatmap',
  curves: 'fig10-robustness-curves',
  ce: 'fig11-corruption-error',
  ferplus: 'fig12-ferplus',
  augmentation: 'fig13-noise-augmentation',
} as const;

/** Figs. 9–13: heat map, curves, CE bars, FER+, augmentation (those with data). */
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
  for (const f of out) {
    // "Fig. N · " from the file name, as the paper's own figures are titled.
    const n = /^fig(\d+)-/.exec(f.name)?.[1];
    const t = f.figure.layout.title as { text?: string } | undefined;
    if (n && t && typeof t.text === 'string') t.text = `Fig. ${n} · ${t.text}`;
  }
  const profiles = inputProfiles(inp);
  if (profiles.some((x) => x !== 'paper')) for (const f of out) markScale(f, profiles);
  return out;
}

/** The training profiles of every model the robustness results hold. */
function inputProfiles(inp: RobustnessInputs): string[] {
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

/** The report section. */
export function robustnessBlocks(inp: RobustnessInputs): Block[] {
  const profiles = inputProfiles(inp);
  const below = profiles.filter((x) => x !== 'paper');
  const B: Block[] = [
    h(
      2,
      below.length
        ? `Robustness beyond the paper (${below.join('/')}-profile models, not paper scale)`
        : 'Robustness beyond the paper',
    ),
  ];
  B.push(
    p(
      'The paper tests one corruption (Gaussian noise). Here both models also face salt-and-pepper noise, blur, a square occluder, brightness, contrast, JPEG compression and downscaling, 5 severities each (ImageNet-C protocol, `lib/robustness/corruptions.ts`), on the same test images with the same corruption seed. ' +
        "CE = summed errors over severities relative to the CNN (below 1: more robust); relative CE = summed *loss* relative to the clean accuracy, relative to the CNN's loss. Written by `fer robustness` and notebook `07-robustness`.",
    ),
  );
  if (inp.pair.length === 2) {
    const [cnn, hyb] = inp.pair;
    const ref = hyb.reference!;
    B.push(
      p(
        `Models: ${describeModels(inp.pair)}. Test images: ${hyb.data.nTest}${hyb.data.limited ? ` (stratified subset of ${hyb.data.nTestFull})` : ''}, corruption seed ${hyb.run.seed}. ` +
          `**mCE of the hybrid vs the CNN: ${f3(ref.mCE)}; relative mCE: ${f3(ref.relativeMCE)}.** Clean accuracy ${f3(cnn.run.clean.accuracy)} (CNN) vs ${f3(hyb.run.clean.accuracy)} (hybrid).`,
      ),
    );
    B.push(
      table(
        familyTable(inp.models),
        {},
        'Mean accuracy over the 5 severities, per corruption family',
      ),
    );
    B.push(
      table(
        ceTable(inp.models),
        {},
        'Corruption error vs the CNN, with paired tests on the same images (A = the model, B = the CNN)',
      ),
    );
    const fp = ferPlusTable(inp.models);
    if (fp.length) {
      const any = inp.models.find((m) => m.ferplus)!.ferplus!;
      B.push(
        h(3, 'FER+ labels'),
        p(
          `The clean predictions scored against FER+ majority labels (Barsoum et al., 2016; unknown / not-a-face / contempt / no-majority rows dropped) and against the original labels on the same rows. FER+ and FER2013 agree on ${(any.labelAgreement * 100).toFixed(1)} % of these test rows. ` +
            `Published: ${any.published.map((x) => `${x.method} ${x.accuracy}`).join('; ')}. ${any.comparability}`,
        ),
        table(fp, {}, 'Accuracy against each label set'),
      );
    }
  }
  const a = inp.augmentation;
  if (a) {
    B.push(
      h(3, 'Noise-augmented training'),
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
