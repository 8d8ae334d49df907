// %% [markdown]
// # 01 · Data: FER2013
//
// **What the paper did.** It used FER2013 — 35,887 grey 48×48 faces in 7 emotion classes — and
// split it train:test = 80:20, without saying how and without mentioning a validation set.
//
// **What we do.** We read the original Kaggle `fer2013.csv` (path in `FER2013_CSV`; it is never
// committed), check that it is byte-identical to the original by its SHA-256, and look at what
// the paper did not report: the class balance, exact duplicate images (some with conflicting
// labels), and test images that also occur in the training set. The CSV's own `Usage` column
// gives Training = 28,709 and PublicTest + PrivateTest = 7,178, exactly 80:20, so our main split
// (`official`) uses it, with 10 % of Training held out for validation. Finally we show the
// Gaussian noise of the paper's Tables 3–4 at each of its ten levels (the paper's Fig. 4 shows
// only the code, and that figure is missing from the text).

// %%
import { execFileSync } from 'child_process';
// Rebuilds ./.lib (the bridge to ../lib) if lib/ changed; see the note in 00-environment.
console.log(execFileSync('../node_modules/.bin/tsx', ['../scripts/reproduce.ts', '--prepare'], { encoding: 'utf8' }).trim());

// %%
import { readStudyEnv } from './.lib/env';
import {
  loadFer2013, auditDuplicates, makeSplit, splitLeakage, SPLIT_NAMES,
  PAPER_NOISE_LEVELS, ORIGINAL_SHA256, EMOTIONS, USAGES,
} from './.lib/data';
import {
  classCounts, classBalanceFigure, sampleFacesFigure, noiseExamplesFigure, sampleRowsPerClass, noiseStats,
} from './.lib/report/data-figures';
import { showFigure, showTable, showMarkdown } from './.lib/notebook/display';

const env = readStudyEnv();
const t0 = Date.now();
const ds = await loadFer2013({ csv: env.csv ?? undefined, log: console.log });
console.log(`${ds.n.toLocaleString('en-US')} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// %% [markdown]
// ## Is this the original file?

// %%
const original = ds.sha256 === ORIGINAL_SHA256;
showTable([
  { check: 'rows', value: ds.n, expected: 35887, ok: ds.n === 35887 ? 'yes' : 'NO' },
  { check: 'SHA-256 of the CSV', value: ds.sha256.slice(0, 16) + '…', expected: ORIGINAL_SHA256.slice(0, 16) + '…', ok: original ? 'yes' : 'NO' },
]);
showMarkdown(
  original
    ? 'The file is byte-identical to the original Kaggle release, so every count below is the one a reader gets.'
    : '**The file differs from the original release**: the counts below describe *this* file and may not match the paper.',
);

// %% [markdown]
// ## Class balance
//
// FER2013 is far from balanced: *disgust* has fewer than 600 images, *happy* about 9,000. The
// paper reports accuracy and F1 without saying how F1 is averaged over classes; with this
// imbalance a support-weighted average and a plain (macro) average differ noticeably, which is
// why notebook 04 computes every convention.

// %%
const counts = classCounts(ds);
showTable(
  EMOTIONS.map((e, c) => {
    const row: Record<string, number | string> = { emotion: e };
    USAGES.forEach((u, k) => (row[u] = counts[k][c]));
    const total = counts.reduce((s, r) => s + r[c], 0);
    row.total = total;
    row['share %'] = +((100 * total) / ds.n).toFixed(1);
    return row;
  }),
  { caption: 'Images per emotion and Usage', digits: 1 },
);
await showFigure(classBalanceFigure(ds));

// %% [markdown]
// ## Sample faces

// %%
await showFigure(sampleFacesFigure(ds, 8, 0), 1);

// %% [markdown]
// ## Duplicates and leakage
//
// Images are compared byte for byte (after a 64-bit hash to find candidates). The paper does not
// mention duplicates. They matter twice: identical faces with different labels cap the accuracy
// any model can reach, and test images that also occur in the training data inflate test scores.

// %%
const audit = auditDuplicates(ds);
showTable([
  { quantity: 'rows', value: audit.rows },
  { quantity: 'distinct images', value: audit.distinct },
  { quantity: 'groups of identical images', value: audit.duplicateGroups },
  { quantity: 'rows in those groups', value: audit.rowsInDuplicateGroups },
  { quantity: 'groups whose copies carry different labels', value: audit.conflictingLabelGroups },
], { caption: 'Exact duplicates in the whole file' });
showTable(
  USAGES.map((u) => ({ 'rows of': u, ...audit.usageOverlap[u] })),
  { caption: 'Rows of one Usage with an identical image elsewhere in the given Usage' },
);

// %% [markdown]
// ## The splits
//
// * `official` — test = PublicTest + PrivateTest (the 80:20 that the `Usage` column defines);
//   validation = a stratified 10 % of Training. This is the split of the main experiments.
// * `paper-random` — a stratified random 80:20 over all rows (another reading of the paper).
// * `public-private` — train on Training, validate on PublicTest, test on PrivateTest (the
//   Kaggle challenge's protocol).
//
// "Leak" counts test rows whose exact pixels also occur in train or validation. We report the
// main results on the full test set, as the paper must have, and check them without the leaked
// rows (`dropLeakedTest`).

// %%
showTable(
  SPLIT_NAMES.map((name) => {
    const s = makeSplit(ds, name, { seed: 0 });
    const leak = splitLeakage(ds, s);
    const noLeak = makeSplit(ds, name, { seed: 0, dropLeakedTest: true });
    return {
      split: name,
      train: s.train.length,
      val: s.val.length,
      test: s.test.length,
      'test rows also in train': leak.testInTrain,
      'test rows also in train or val': leak.testInTrainOrVal,
      'val rows also in train': leak.valInTrain,
      'test without leaked rows': noLeak.test.length,
    };
  }),
  { caption: 'Split sizes (seed 0) and leakage' },
);

// %% [markdown]
// ## Noise (the paper's Fig. 4)
//
// The paper adds Gaussian noise "of 10 intensities" to the test images; the code figure is
// missing. We read the levels 0.5 % … 30 % as σ on the [0, 1] pixel scale:
// x' = clip(x + N(0, σ²), 0, 1), exactly as `lib/data/noise.ts` applies it in evaluation. The
// same test faces are shown at every level.

// %%
const official = makeSplit(ds, 'official', { seed: 0 });
const noiseRows = sampleRowsPerClass(ds, 1, 3, official.test).map((r) => r[0]).filter((i) => i !== undefined).slice(0, 4);
await showFigure(noiseExamplesFigure(ds, noiseRows, PAPER_NOISE_LEVELS, 0), 1);

// %% [markdown]
// How much each level changes the pixels, over 500 test images: PSNR in dB (higher = closer to
// the clean image), the mean absolute change, and how many pixels the clip to [0, 1] hits.

// %%
const statRows = official.test.slice(0, 500);
showTable(
  noiseStats(ds, statRows, PAPER_NOISE_LEVELS, 0).map((r) => ({
    'noise σ': `${+(r.level * 100).toFixed(1)} %`,
    'PSNR dB': r.psnrDb,
    'mean |Δx|': r.meanAbsChange,
    'clipped %': 100 * r.clippedShare,
  })),
  { caption: 'Noise strength at the paper’s levels (500 test images, seed 0)', digits: { 'PSNR dB': 1, 'mean |Δx|': 4, 'clipped %': 2 } },
);

// %% [markdown]
// ## Saved for the report
//
// The counts above go to `results/data-audit.json`, from which notebook 09 writes the data
// section of `paper/REPRODUCTION.md`.

// %%
import { buildDataAudit } from './.lib/report/data-audit';
import { writeJsonAtomic } from './.lib/util/atomic';
import * as path from 'path';
const auditFile = path.join(env.resultsDir, 'data-audit.json');
writeJsonAtomic(auditFile, buildDataAudit(ds, 0));
console.log(`wrote ${auditFile}`);
