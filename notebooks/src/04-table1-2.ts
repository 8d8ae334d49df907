// %% [markdown]
// # 04 · Tables 1 and 2: metrics on clean images, and what each model costs
//
// **What the paper did.** Table 1 gives F1, accuracy, precision and recall of each model on
// the clean test set (CNN 0.65 / 0.65 / 0.66 / 0.64, hybrid 0.61 / 0.63 / 0.64 / 0.59) without
// saying how precision, recall and F1 are averaged over the seven classes. Table 2 gives the
// time per image (32.66 vs 17.45 ms) and the parameters (4,478,727 vs 3,121,287), without the
// hardware or the batch size.
//
// **What we do.** Both models from notebooks 02 and 03 are evaluated once, here, for every
// table of the study: clean test images (Tables 1, 5) and the same images at the paper's ten
// Gaussian noise levels (Tables 3, 4), with identical noise for both models so that
// notebook 05 can pair them in McNemar's test. The results go to `results/<model>/eval.json`
// and `results/compare-<cnn>-<hybrid>.json`; notebooks 05, 06 and 09 read them.
//
// Table 1 is reported under **every** averaging convention — macro, support-weighted, micro
// (scikit-learn's definitions) and Keras's `Precision()`/`Recall()` (softmax thresholded at 0.5,
// pooled over classes) — with 95 % bootstrap CIs, and a *metric-definition audit* checks which
// convention reproduces the patterns visible in the paper's tables. Table 2 adds FLOPs and
// the size on disk, and measures time per image two ways (one image at a time; a large batch)
// on a named tfjs backend.

// %%
import { execFileSync } from 'child_process';
// Rebuilds ./.lib (the bridge to ../lib) if lib/ changed; see the note in 00-environment.
console.log(execFileSync('../node_modules/.bin/tsx', ['../scripts/reproduce.ts', '--prepare'], { encoding: 'utf8' }).trim());

// %%
import * as path from 'path';
import { readStudyEnv, REPO_ROOT } from './.lib/env';
import { configRecord } from './.lib/config';
import { setupBackend, parseBackendName } from './.lib/backend';
import { evalBudget, describeBudget, studyModelDir, evaluateStudy } from './.lib/study';
import { showMarkdown, showTable, showFigure } from './.lib/notebook/display';

const env = readStudyEnv();
const backend = await setupBackend(parseBackendName(env.backend), { log: console.log });
const budget = evalBudget(env);
const dirs = { cnn: studyModelDir('cnn', env), 'cnn-lstm': studyModelDir('cnn-lstm', env) };
const t0 = Date.now();
const study = await evaluateStudy(dirs, { budget, resultsDir: env.resultsDir, csv: env.csv ?? undefined, config: configRecord(env.config), log: console.log });
const evalMinutes = (Date.now() - t0) / 60000;

// %%
const first = study.evals.cnn;
showMarkdown(
  `**Evaluation budget (${env.profile} profile).** ${describeBudget(budget, first.data.nTest, first.data.nTestFull)} ` +
    `Models: \`${path.relative(REPO_ROOT, dirs.cnn)}\` and \`${path.relative(REPO_ROOT, dirs['cnn-lstm'])}\` (${first.model.meta.profile} profile). ` +
    `Split \`${first.data.split}\` (seed ${first.data.splitSeed}), backend ${backend}; the whole evaluation took ${evalMinutes.toFixed(1)} min.`,
);
showTable(study.files.map((f) => ({ 'written': path.relative(env.runDir, f) })));

// %% [markdown]
// ## Table 1 · Clean test set, under every averaging
//
// "paper" rows are the published numbers; our rows differ only in how precision, recall and
// F1 are averaged (accuracy is the same in each). CIs: 95 % percentile bootstrap over test images.

// %%
import { byModel, fig1Metrics, fig2Time, fig3Params } from './.lib/report/paper-figures';
import { chooseDefinitions, claimVerdicts, claimsById } from './.lib/report/report';
import { table1Rows, auditRows, table2Rows, perClassRows } from './.lib/report/notebook-tables';
import { toDataFrame } from './.lib/report/tables';
const r = byModel(Object.values(study.evals));
const defs = chooseDefinitions(r);
const t1Def = defs.table1.definition as 'keras' | 'weighted' | 'macro';
showTable(toDataFrame(table1Rows(r)), { caption: 'Table 1: paper vs ours (every averaging, 95 % CIs)' });

// %% [markdown]
// ## Metric-definition audit
//
// Each pattern of the paper's tables is checked on our predictions under each definition.
// A definition that reproduces every pattern is the likeliest one the paper used; it is the
// one the report compares against.

// %%
showTable(auditRows(r), { caption: 'Which definitions reproduce the paper’s patterns (on our numbers)' });
showMarkdown(
  `Definitions the report compares against: Table 1 **${defs.table1.definition}**${defs.table1.fromAudit ? ' (reproduces every Table 1 pattern for both models)' : ' (no definition reproduced every pattern for both models; the default)'}, ` +
    `Table 4 **${defs.table4.definition}**${defs.table4.fromAudit ? ' (from the audit)' : ' (default)'}, Table 5 **${defs.table5.definition}**${defs.table5.fromAudit ? ' (from the audit)' : ' (default)'}.`,
);
await showFigure(fig1Metrics(r, t1Def));

// %% [markdown]
// Per class, the picture behind the averages (clean test set):

// %%
showTable(perClassRows(r), { caption: 'Precision, recall and F1 per emotion' });

// %% [markdown]
// ## Calibration
//
// How far the models' confidence matches their accuracy on the clean test set: negative
// log-likelihood, expected calibration error over 15 equal-width confidence bins, and the
// reliability bins (`lib/eval/calibration.ts`). Validation loss rose while validation accuracy
// rose during training, so overconfidence is expected.

// %%
import { calibrationBlocks } from './.lib/report/analysis-report';
import { renderMarkdown } from './.lib/report/blocks';
showMarkdown(renderMarkdown(calibrationBlocks(r)));

// %% [markdown]
// ## Table 2 · Cost: parameters, FLOPs, size and time per image
//
// Time is measured on this machine's tfjs backend: the median (and 95th percentile) of 100
// single-image predictions after 10 warm-up calls, and the time per image in batches of 256.
// The paper names no hardware, so only the ratio between the models can be compared with it.

// %%
showTable(table2Rows(r), { caption: `Table 2 on ${first.table2?.backend ?? backend}`, digits: 2 });
await showFigure(fig2Time(r));
await showFigure(fig3Params(r));

// %% [markdown]
// ## Claim 2b · Paired timing
//
// One timing per model cannot carry a claim about a speed ratio: the machine's load drifts
// between the two runs. Here both models are timed in interleaved rounds (A B, B A, …) on the
// same random images at batch sizes 1, 32 and 256, each call predicting its whole batch, with
// the median per model, the median of the per-round ratios and distribution-free 95 % CIs
// (`lib/eval/paired-timing.ts`). The FLOP ratio bounds the speed-up a compute-bound kernel can
// give, and the same two architectures in PyTorch on the same machine, where it is installed,
// say whether the ratio is tfjs's or the architectures'. The config sets the rounds
// (`eval.timingRounds`); `fer time` runs the same protocol alone.

// %%
import { runPairedTiming, timedBy } from './.lib/eval/paired-timing-run';
import { pairedTimingBlocks } from './.lib/report/timing-report';
const timingDirs: [string, string] = [dirs.cnn, dirs['cnn-lstm']];
const timing = env.config.eval.timingRounds > 0
  ? await runPairedTiming(timingDirs, { rounds: env.config.eval.timingRounds, warmup: 5, batches: [1, 32, 256], torch: 'auto', out: path.join(env.resultsDir, 'timing.json'), sameProducer: timedBy(timingDirs), log: console.log })
  : null;
if (timing) showMarkdown(renderMarkdown(pairedTimingBlocks(timing)));
else showMarkdown('The config sets `eval.timingRounds` to 0: no paired timing.');

// %% [markdown]
// ## What we found

// %%
import { table1Findings, table2Findings } from './.lib/report/findings';
showMarkdown(table1Findings(r, study.compare, t1Def));
showMarkdown(table2Findings(r));
const verdicts = claimVerdicts(r, study.compare, defs.table4.definition as 'weighted' | 'macro', null, null, timing);
showTable(claimsById(verdicts, ['1', '2a', '2b']).map((v) => ({ ...v })), { caption: 'The paper’s claims 1 and 2' });
