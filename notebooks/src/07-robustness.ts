// %% [markdown]
// # 07 · Robustness beyond the paper
//
// **What the paper claims.** LSTM layers make emotion recognition more robust "in real
// conditions": under added Gaussian noise the CNN+LSTM degrades more gracefully than the CNN
// (Tables 3–4). It tests one corruption, one model of each kind, no statistics, and does not
// try the standard remedy, training with noise.
//
// **What we do.**
// 1. **Eight corruption families × five severities** (ImageNet-C protocol, Hendrycks &
//    Dietterich 2019; `lib/robustness/corruptions.ts`): Gaussian noise, salt-and-pepper, Gaussian
//    blur, a square occluder, brightness, contrast, JPEG, downscaling. Each model sees the
//    *same* corrupted images (seeded per image). We report accuracy and weighted F1 per cell,
//    **CE** (errors summed over severities, relative to the CNN), **relative CE** (the *loss*
//    from clean accuracy, relative to the CNN's loss — the paper's "degrades more gracefully"),
//    their means mCE / relative mCE, McNemar's exact test per severity and a sign test per
//    family on the same images.
// 2. **Noise-augmented training**: both models retrained with Gaussian noise σ ~ U(0, 0.3) per
//    training image (`fer train --augment-noise 0.3`), then tested at the paper's ten noise
//    levels. If augmentation gives a plain CNN the robustness the paper attributes to the LSTM,
//    the LSTM is not what makes the difference.
// 3. **FER+ labels** (Barsoum et al., 2016): the same clean predictions scored against the
//    crowd-sourced FER+ majority labels and against the original labels on the same rows.
//
// **Which models.** The corruption suite runs on two pairs. (a) Small models that train on two
// CPU cores in ~25 min each (settings in the table below; `lib/robustness/study.ts`): all three
// experiments, including noise-augmented training, which needs four trainings. Their numbers
// are *not* the paper's; the comparison is between architectures at equal, small budget.
// (b) The paper-scale models of notebooks 02–06 (`models/cnn`, `models/cnn-lstm`, training
// seed 1): the suite and FER+, on the same test images and corruptions, in the section
// "The suite at paper scale".
// Results go to `results/robustness/`; a saved result is reused only when it was made by the
// same saved model on the same images and settings (`FER_RETRAIN=1` recomputes everything).

// %%
import { execFileSync } from 'child_process';
import * as path from 'path';
// Rebuilds ./.lib (the bridge to ../lib) if lib/ changed; see the note in 00-environment.
console.log(execFileSync('../node_modules/.bin/tsx', ['../scripts/reproduce.ts', '--prepare'], { encoding: 'utf8' }).trim());

// %%
import { readStudyEnv, repoPath } from './.lib/env';
import { setupBackend, parseBackendName } from './.lib/backend';
import { loadFer2013 } from './.lib/data';
import { CORRUPTION_SPECS, CORRUPTIONS } from './.lib/robustness/corruptions';
import { showMarkdown, showTable, showFigure } from './.lib/notebook/display';
import {
  ROBUSTNESS_TRAINING, AUGMENT_SIGMA, robustnessModels, obtainRobustnessModel, suiteFor, augmentationFor,
} from './.lib/robustness/study';

const env = readStudyEnv();
const backend = await setupBackend(parseBackendName(env.backend), { log: console.log });
const ds = await loadFer2013({ csv: env.csv ?? undefined, log: console.log });
showTable(
  Object.entries({ ...ROBUSTNESS_TRAINING, augmentNoise: `0 (plain) or ${AUGMENT_SIGMA} (augmented)` }).map(([setting, value]) => ({ setting, value: String(value) })),
  { caption: 'Training settings of the four robustness models (all other settings: the paper recipe, lib/train/config.ts)' },
);
showTable(
  CORRUPTIONS.map((f) => ({ family: f, parameter: CORRUPTION_SPECS[f].parameter, 'severities 1–5': CORRUPTION_SPECS[f].values.join(', ') })),
  { caption: 'Corruption families and their parameters (lib/robustness/corruptions.ts)' },
);

// %% [markdown]
// ## What the corruptions look like
//
// One test face under every family and severity, corrupted exactly as in the suite.

// %%
import { corruptionExamplesFigure } from './.lib/report/robustness-figures';
import { makeSplit } from './.lib/data';
const exampleRow = makeSplit(ds, 'official').test[11];
const examples = corruptionExamplesFigure(ds, exampleRow, 0);
await showFigure(examples, 1);

// %% [markdown]
// ## The four models: load, or train when missing

// %%
const models = robustnessModels();
const obtained = [];
for (const m of models) {
  const o = await obtainRobustnessModel(m, env, { log: console.log, dataset: ds });
  obtained.push(o);
}
import { readMeta } from './.lib/study';
showTable(
  models.map((m, i) => {
    const meta = readMeta(m.dir)!;
    return {
      model: m.dir.replace(repoPath() + '/', ''),
      architecture: m.architecture,
      'train noise σ_max': m.augmentNoise,
      params: meta.params,
      'best val_accuracy': meta.best.valAccuracy,
      epochs: meta.epochsRun,
      'training wall min': +(meta.wallSeconds / 60).toFixed(1),
      now: `${obtained[i].action} (${obtained[i].why})`,
    };
  }),
  { caption: 'Models (meta.json); the majority class (happy) is 25 % of the validation rows', digits: { 'best val_accuracy': 3 } },
);

// %% [markdown]
// ## The corruption suite: small models
//
// Each small model on the same stratified subset of test images, clean and under the 40
// corrupted views; the plain hybrid and both augmented models are compared against the plain
// CNN. The paper-scale pair follows in "The suite at paper scale".

// %%
const [cnnM, hybM, cnnAugM, hybAugM] = models;
const t0 = Date.now();
const cnnR = await suiteFor(cnnM.dir, undefined, env, { ds: ds, log: console.log });
const hybR = await suiteFor(hybM.dir, cnnM.dir, env, { ds: ds, log: console.log });
const cnnAugR = await suiteFor(cnnAugM.dir, cnnM.dir, env, { ds: ds, log: console.log });
const hybAugR = await suiteFor(hybAugM.dir, cnnM.dir, env, { ds: ds, log: console.log });
const all = [cnnR, hybR, cnnAugR, hybAugR];
showMarkdown(
  all.map((r) => `* \`${r.model.name}\`: ${r.reused ? `reused \`results/robustness/${r.model.name}.json\` (computed ${r.computed.at.slice(0, 16)} in ${r.computed.seconds.toFixed(0)} s)` : `computed now`}`).join('\n') +
    `\n\n${((Date.now() - t0) / 1000).toFixed(0)} s in this cell; ${hybR.data.nTest} test images (stratified subset of ${hybR.data.nTestFull}), backend ${backend}.`,
);

// %% [markdown]
// ### Heat map: accuracy per family and severity
//
// Left: the CNN; middle: the hybrid; right: hybrid minus CNN (red = the hybrid is better).

// %%
import { robustnessHeatmap, robustnessCurves, corruptionErrorBars, ferPlusFigure, augmentationFigure } from './.lib/report/robustness-figures';
const heat = robustnessHeatmap([cnnR, hybR]);
await showFigure(heat, 1);

// %% [markdown]
// ### Curves per family
//
// Solid: plain training; dashed: noise-augmented. Blue: CNN; red: CNN+LSTM.

// %%
const curves = robustnessCurves(all);
await showFigure(curves, 1);

// %% [markdown]
// ### CE, relative CE and paired tests against the CNN

// %%
import { familyTable, ceTable, ferPlusTable, augmentationTable } from './.lib/report/robustness-report';
showTable(familyTable(all), { caption: 'Mean accuracy over the 5 severities' });
const ceBars = corruptionErrorBars(all);
await showFigure(ceBars, 1);
showTable(ceTable(all), { caption: 'CE and relative CE vs the plain CNN; sign test over severities per image, McNemar per severity (A = the model, B = the CNN)' });

// %%
const pRows = hybR.reference!.pairedTests.flatMap((t) =>
  t.perSeverity.map((s) => ({ family: t.family, severity: s.severity, 'hybrid right, CNN wrong': s.b, 'CNN right, hybrid wrong': s.c, 'acc hybrid': s.accuracyA, 'acc CNN': s.accuracyB, 'McNemar p': s.pValue })),
);
showTable(pRows, { caption: 'McNemar, plain hybrid vs plain CNN, every cell', digits: { 'acc hybrid': 3, 'acc CNN': 3, 'McNemar p': 4 } });

// %% [markdown]
// ## The suite at paper scale
//
// **What the paper did.** Its full-size CNN and CNN+LSTM under Gaussian noise only.
//
// **What we do.** The same 8 families × 5 severities on the paper-scale models of notebooks
// 02–06 (`models/cnn`, `models/cnn-lstm`, training seed 1), the hybrid against the CNN, on the
// same 2,000 test images with the same corruption seed as the small models above, so CE and mCE
// are comparable across the two scales. The results, `results/robustness/robust-paper-*.json`
// (`fer robustness --model models/cnn-lstm --ref models/cnn --ref-out …`), are read, from this
// run's results or else the committed ones; they are computed here only when neither holds them
// (about 15 min per model on two cores).

// %%
import { paperSuitesFor } from './.lib/robustness/study';
const paperS = await paperSuitesFor(env, { ds: ds, log: console.log });
const paperPair = [paperS.cnn, paperS.hybrid];
showMarkdown(
  paperPair.map((r) => `* \`${r.model.dir}\`: ${paperS.from ? `read from \`${path.relative(repoPath(), paperS.from) || paperS.from}\`` : 'computed now'} (computed ${r.computed.at.slice(0, 16)} in ${r.computed.seconds.toFixed(0)} s, backend ${r.backend}${r.threads ? `, ${r.threads} threads` : ''})`).join('\n') +
    `\n\n${paperS.hybrid.data.nTest} test images (stratified subset of ${paperS.hybrid.data.nTestFull}), corruption seed ${paperS.hybrid.run.seed}.`,
);

// %% [markdown]
// ### Paper scale: heat map and curves
//
// The hybrid minus the CNN in the right panel (red = the hybrid is better).

// %%
import { paperRobustnessFigures, scaleComparisonTable, ceFindings } from './.lib/report/robustness-report';
const paperFigs = paperRobustnessFigures(paperPair);
await showFigure(paperFigs[0].figure, 1);
await showFigure(paperFigs[1].figure, 1);

// %% [markdown]
// ### Paper scale: CE, relative CE and paired tests against the CNN

// %%
showTable(familyTable(paperPair), { caption: 'Paper-scale models: mean accuracy over the 5 severities' });
await showFigure(paperFigs[2].figure, 1);
showTable(ceTable(paperPair), { caption: 'Paper-scale hybrid vs CNN: CE and relative CE; sign test over severities per image, McNemar per severity (A = the hybrid, B = the CNN)' });

// %% [markdown]
// ### Both scales side by side
//
// The hybrid against its own CNN at each scale, on the same test images and corruptions.

// %%
showTable(
  scaleComparisonTable([{ label: 'paper scale', hybrid: paperS.hybrid }, { label: 'small', hybrid: hybR }]),
  { caption: 'Accuracy (mean over severities) of CNN / CNN+LSTM, and the hybrid’s CE and relative CE vs the CNN' },
);
const paperRef = paperS.hybrid.reference!;
showMarkdown(
  [`mCE of the hybrid vs the CNN ${paperRef.mCE.toFixed(3)}, relative mCE ${paperRef.relativeMCE.toFixed(3)}`, ...ceFindings(paperS.hybrid)]
    .map((x) => `* Paper scale: ${x}`)
    .join('\n'),
);

// %% [markdown]
// ## Noise-augmented training at the paper's noise levels
//
// Tables 3/4's protocol (`lib/eval`: `clip(x + N(0, σ²), 0, 1)` on [0, 1] images, one noise
// seed) on a fixed stratified subset of test images, for the four models. The paper's curves
// are drawn dotted for orientation only (full-size models, trained longer).

// %%
const aug = await augmentationFor(env, { ds: ds, log: console.log });
showMarkdown(aug.reused ? `Reused \`results/robustness/augmentation.json\` (computed ${aug.result.createdAt.slice(0, 16)}, ${aug.result.seconds.toFixed(0)} s).` : 'Computed now.');
const augFig = augmentationFigure(aug.result);
await showFigure(augFig, 1);
showTable(augmentationTable(aug.result), { caption: 'Accuracy / weighted F1; last column: hybrid − CNN accuracy, plain / augmented' });
showTable(
  aug.result.paired.plain.map((l, i) => ({
    noise: l.level,
    'plain: McNemar p': l.tests[0].pValue,
    'augmented: McNemar p': aug.result.paired.augmented[i].tests[0].pValue,
  })),
  { caption: 'CNN vs hybrid, McNemar per noise level', digits: { 'plain: McNemar p': 4, 'augmented: McNemar p': 4 } },
);
showMarkdown(`**Verdict (computed from the numbers above):** ${aug.result.summary.verdict}`);

// %% [markdown]
// ## FER+ labels
//
// The clean predictions on the *whole* test split scored against FER+ majority labels (rows
// whose majority is unknown, not-a-face, contempt or has no strict majority are dropped) and
// against the original FER2013 labels on the same rows: the small models first, then the
// paper-scale ones.

// %%
import { formatLabelConfusion } from './.lib/robustness/format';
const fpAny = hybR.ferplus;
if (fpAny) {
  showTable(ferPlusTable(all), { caption: 'Accuracy against each label set' });
  const fpFig = ferPlusFigure(all);
  await showFigure(fpFig, 1);
  showMarkdown(
    `FER+ and FER2013 agree on **${(fpAny.labelAgreement * 100).toFixed(1)} %** of the ${fpAny.nWithFerPlus} test rows with a FER+ label (${fpAny.nDropped} rows dropped).\n\n` +
      `Published: ${fpAny.published.map((p) => `${p.method}: ${p.accuracy} (${p.source})`).join('; ')}.\n\n${fpAny.comparability}`,
  );
  console.log(formatLabelConfusion(fpAny.labelConfusion));
} else showMarkdown(`FER+ skipped: ${hybR.ferplusSkipped}`);

// %%
if (paperS.hybrid.ferplus) {
  showTable(ferPlusTable(paperPair), { caption: 'Paper-scale models: accuracy against each label set' });
  await showFigure(paperFigs[3].figure, 1);
} else showMarkdown(`FER+ skipped for the paper-scale models: ${paperS.hybrid.ferplusSkipped}`);

// %% [markdown]
// ## Export the figures

// %%
import { exportFigures } from './.lib/report/export';
import { ROBUSTNESS_FIGURE_NAMES } from './.lib/report/robustness-report';
const exported = await exportFigures(
  [
    { name: ROBUSTNESS_FIGURE_NAMES.examples, figure: examples },
    { name: ROBUSTNESS_FIGURE_NAMES.heatmap, figure: heat },
    { name: ROBUSTNESS_FIGURE_NAMES.curves, figure: curves },
    { name: ROBUSTNESS_FIGURE_NAMES.ce, figure: ceBars },
    { name: ROBUSTNESS_FIGURE_NAMES.augmentation, figure: augFig },
    ...(fpAny ? [{ name: ROBUSTNESS_FIGURE_NAMES.ferplus, figure: ferPlusFigure(all) }] : []),
    ...paperFigs.map((f) => ({ name: f.name, figure: f.figure })),
  ],
  env.figuresDir,
);
showTable(exported.map((e) => ({ figure: e.name, files: Object.values(e.files).map((f) => path.relative(env.runDir, f!)).join(', ') })));

// %% [markdown]
// ## What we found

// %%
const ref = hybR.reference!;
const f3 = (x: number) => x.toFixed(3);
const better = ref.pairedTests.filter((t) => t.signTest.pValue < 0.05 && t.signTest.aBetter > t.signTest.bBetter).map((t) => t.family);
const worse = ref.pairedTests.filter((t) => t.signTest.pValue < 0.05 && t.signTest.aBetter < t.signTest.bBetter).map((t) => t.family);
const gn = ref.families.find((f) => f.family === 'gaussian-noise')!;
showMarkdown(
  [
    '**Small models** (not paper scale):',
    '',
    `* Clean accuracy on these ${hybR.data.nTest} images: CNN ${f3(cnnR.run.clean.accuracy)}, hybrid ${f3(hybR.run.clean.accuracy)} (majority class: 0.25).`,
    `* **mCE of the hybrid vs the CNN: ${f3(ref.mCE)}** (below 1 = fewer corrupted errors); **relative mCE ${f3(ref.relativeMCE)}** (below 1 = loses less of its clean accuracy).`,
    `* Gaussian noise, the paper's corruption: CE ${f3(gn.ce)}, relative CE ${f3(gn.relativeCe)}.`,
    `* Families where the hybrid is significantly better on the same images (sign test, p < 0.05): ${better.length ? better.join(', ') : 'none'}; significantly worse: ${worse.length ? worse.join(', ') : 'none'}.`,
    `* Noise augmentation: ${aug.result.summary.verdict}`,
    fpAny ? `* FER+: the hybrid scores ${f3(fpAny.ferplusRows.ferplus.accuracy)} against FER+ vs ${f3(fpAny.ferplusRows.original.accuracy)} against FER2013 on the same rows; the CNN ${f3(cnnR.ferplus!.ferplusRows.ferplus.accuracy)} vs ${f3(cnnR.ferplus!.ferplusRows.original.accuracy)}.` : '* FER+: not evaluated.',
    `* Caveat: small models trained briefly (val accuracy ${f3(cnnR.model.meta.best.valAccuracy)} / ${f3(hybR.model.meta.best.valAccuracy)}), one training seed each; a relative CE is a ratio of small losses when a model is near the majority-class rate, so read it with the accuracies beside it.`,
    '',
    '**Paper-scale models** (`models/cnn`, `models/cnn-lstm`, training seed 1; no noise-augmented training at this scale):',
    '',
    `* Clean accuracy on the same ${paperS.hybrid.data.nTest} images: CNN ${f3(paperS.cnn.run.clean.accuracy)}, hybrid ${f3(paperS.hybrid.run.clean.accuracy)}.`,
    `* **mCE of the hybrid vs the CNN: ${f3(paperRef.mCE)}**; **relative mCE ${f3(paperRef.relativeMCE)}**.`,
    ...ceFindings(paperS.hybrid).map((x) => `* ${x}`),
    paperS.hybrid.ferplus ? `* FER+: the hybrid ${f3(paperS.hybrid.ferplus.ferplusRows.ferplus.accuracy)} against FER+ vs ${f3(paperS.hybrid.ferplus.ferplusRows.original.accuracy)} against FER2013 on the same rows; the CNN ${f3(paperS.cnn.ferplus!.ferplusRows.ferplus.accuracy)} vs ${f3(paperS.cnn.ferplus!.ferplusRows.original.accuracy)}.` : '* FER+: not evaluated.',
    '* One training seed per model here too, so no spread over trainings.',
  ].join('\n'),
);
