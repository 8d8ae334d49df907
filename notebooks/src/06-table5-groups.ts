// %% [markdown]
// # 06 · Table 5: simple vs complex emotions
//
// **What the paper did.** It grouped the emotions into "simple" (happy, sad, surprise) and
// "complex" (angry, fear, disgust, neutral) and reported accuracy and F1 per group (CNN 0.74 /
// 0.81 simple, 0.55 / 0.64 complex; hybrid 0.72 / 0.80 and 0.53 / 0.60): both models do
// better on simple emotions. It does not say how a group's F1 was computed; in its table F1
// is *above* accuracy within a group, which plain multi-class F1 rarely is.
//
// **What we do.** A group's samples are the test images whose *true* label is in the group;
// accuracy is over those samples, and F1 is averaged over the group's own labels (macro,
// weighted and micro, as scikit-learn's `labels=`), with 95 % bootstrap CIs that resample the
// group's samples. The per-emotion confusion matrices show where each group's errors go.
// Predictions are those of notebook 04 (clean test images).

// %%
import { execFileSync } from 'child_process';
// Rebuilds ./.lib (the bridge to ../lib) if lib/ changed; see the note in 00-environment.
console.log(execFileSync('../node_modules/.bin/tsx', ['../scripts/reproduce.ts', '--prepare'], { encoding: 'utf8' }).trim());

// %%
import { readStudyEnv } from './.lib/env';
import { SIMPLE_EMOTIONS, COMPLEX_EMOTIONS } from './.lib/data';
import { loadResults, chooseDefinitions, claimVerdicts, claimsById } from './.lib/report/report';
import { byModel, fig7Groups, confusionFigure } from './.lib/report/paper-figures';
import { table5Rows } from './.lib/report/notebook-tables';
import { groupFindings } from './.lib/report/findings';
import { showMarkdown, showTable, showFigure } from './.lib/notebook/display';

const env = readStudyEnv();
const loaded = loadResults(env.resultsDir, { profile: env.profile });
const r = byModel(loaded.evals);
const defs = chooseDefinitions(r);
const groupDef = defs.table5.definition.replace('group-', '') as 'macro' | 'weighted' | 'micro';
showMarkdown(
  `Simple: ${SIMPLE_EMOTIONS.join(', ')}. Complex: ${COMPLEX_EMOTIONS.join(', ')}. ` +
    `Results of ${loaded.evals.map((e) => `\`${e.model.name}\` (${e.model.meta.profile} profile, ${e.table1.n.toLocaleString('en-US')} test images)`).join(' and ')}.`,
);

// %% [markdown]
// ## Table 5 · Accuracy and F1 per group

// %%
showTable(table5Rows(r), { caption: 'Table 5: paper vs ours (F1 under each averaging over the group’s labels; 95 % CIs)' });
showMarkdown(
  `The metric audit picks **${defs.table5.definition}** for Table 5${defs.table5.fromAudit ? ' (it reproduces F1 > accuracy within both groups for both models)' : ' (no definition reproduced the pattern for both models; the default)'}; the figure uses it.`,
);
await showFigure(fig7Groups(r, groupDef));

// %% [markdown]
// ## Where the errors go
//
// Rows are the true emotion, columns the prediction; each cell shows the count and the share
// of its row.

// %%
for (const e of loaded.evals) await showFigure(confusionFigure(e), 1.2);

// %% [markdown]
// ## What we found

// %%
showMarkdown(groupFindings(r, groupDef));
showTable(claimsById(claimVerdicts(r, loaded.compare, defs.table4.definition as 'weighted' | 'macro'), ['4', '5']).map((v) => ({ ...v })), { caption: 'The paper’s claims 4 and 5' });

// %% [markdown]
// ## Further training seeds and hybrid designs
//
// **What the paper did.** One training per model, and a hybrid it never defines.
//
// **What we do.** Every other training of the config's `trainings` list (the pair at further
// seeds, three other hybrids and a non-recurrent control with the hybrid's trunk, head and
// parameter count; `npm run train-all`, docs/designs.md) that is published in `models/` is
// evaluated here with notebook 04's budget and noise: a further seed of the pair as a pair
// (McNemar, informative band), every other design on its own. A result of the same weights and
// budget is reused, and predictions come from the cache, so nothing is evaluated twice. The
// report's "Between training seeds" and "Hybrid designs and the non-recurrent control" sections
// read these results.

// %%
import { evaluateTrainings } from './.lib/study/evaluate-trainings';
import { bandEvidence } from './.lib/report/analysis-report';
import { designFindings, designRows, designSummaries, designsFigures } from './.lib/report/designs-report';

const further = await evaluateTrainings(env.config, { resultsDir: env.resultsDir, csv: env.csv ?? undefined, log: (s) => console.log(s) });
showTable(
  further.evaluated.map((e) => ({
    training: e.training.name,
    folder: e.training.rel,
    'paired with': e.pairedWith ?? '—',
    'clean accuracy': e.result.table1.rows[0].accuracy,
    'result': e.reused ? 'already there' : 'evaluated now',
  })),
  { caption: 'Further trainings evaluated' },
);
showMarkdown(
  `${further.evaluated.length} further training${further.evaluated.length === 1 ? '' : 's'} evaluated. ` +
    (further.missing.length ? `Not trained yet: ${further.missing.map((t) => `\`${t.name}\``).join(', ')}.` : 'Every training of the config is published.'),
);

// %% [markdown]
// ### Every design under noise
//
// Mean over training seeds (± the sd over seeds), on the informative band of the headline pair.

// %%
const withDesigns = loadResults(env.resultsDir, { profile: env.profile });
const rAll = byModel(withDesigns.evals);
const designEvals = [...(withDesigns.seedEvals ?? []), ...(withDesigns.designEvals ?? [])];
if (rAll.cnn && rAll['cnn-lstm'] && (withDesigns.designEvals ?? []).length > 0) {
  const band = bandEvidence(rAll.cnn, rAll['cnn-lstm'], withDesigns.compare, defs.table4.definition as 'weighted' | 'macro').band;
  const summaries = designSummaries(designEvals, band);
  showTable(designRows(summaries), { caption: 'Every design under Gaussian noise (accuracy)' });
  for (const f of designsFigures(designEvals)) await showFigure(f.figure);
  showMarkdown(designFindings(summaries));
} else showMarkdown('Only the paper’s pair has been evaluated: no other design to compare yet.');
