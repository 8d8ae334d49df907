// %% [markdown]
// # 09 · Figures and the reproduction report
//
// The paper has seven figures, all charts of its tables (Fig. 4 shows its missing noise code).
// We rebuild each from our results with the paper's published values as a second series
// (hatched bars, dashed lines), add a confusion matrix per model, and export every figure to
// `figures/` as PNG (300 dpi), SVG and an interactive HTML page, rendered by headless Chromium.
// Then `paper/REPRODUCTION.md` and the self-contained `paper/REPRODUCTION.html` are generated
// from `results/` alone (`lib/report/report.ts`): nothing in them is typed by hand.

// %%
import { execFileSync } from 'child_process';
// Rebuilds ./.lib (the bridge to ../lib) if lib/ changed; see the note in 00-environment.
console.log(execFileSync('../node_modules/.bin/tsx', ['../scripts/reproduce.ts', '--prepare'], { encoding: 'utf8' }).trim());

// %%
import { readStudyEnv } from './.lib/env';
import { loadFer2013, makeSplit, PAPER_NOISE_LEVELS } from './.lib/data';
import { noiseExamplesFigure, sampleRowsPerClass } from './.lib/report/data-figures';
import { generateReport, loadResults, claimVerdicts, chooseDefinitions } from './.lib/report/report';
import { byModel } from './.lib/report/paper-figures';
import { collectProvenance } from './.lib/report/provenance';
import { paperRunStatus, publishedTrainings } from './.lib/study';
import { showMarkdown, showTable } from './.lib/notebook/display';

const env = readStudyEnv();
const ds = await loadFer2013({ csv: env.csv ?? undefined });
const test = makeSplit(ds, 'official', { seed: 0 }).test;
const rows = sampleRowsPerClass(ds, 1, 3, test).map((r) => r[0]).filter((i) => i !== undefined).slice(0, 4);
const fig4 = { name: 'fig4-noise-examples', title: 'Noise examples', figure: noiseExamplesFigure(ds, rows, PAPER_NOISE_LEVELS, 0) };

// %%
const t0 = Date.now();
const report = await generateReport({
  resultsDir: env.resultsDir,
  figuresDir: env.figuresDir,
  paperDir: env.reportDir,
  profile: env.profile,
  extraFigures: [fig4],
  provenance: collectProvenance(),
  paperRun: paperRunStatus(),
  trainings: publishedTrainings(env.config),
});
console.log(`${report.figures.length} figures and the report written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
showTable(report.figures.map((f) => ({ figure: f.name, png: f.png, svg: f.svg ?? '', html: f.html ?? '' })));

// %% [markdown]
// ## The figures
//
// Shown from `figures/` (relative links: they display in Jupyter from a checkout).

// %%
// Paths in the report are relative to paper/; from notebooks/ the same '../figures/…' works.
showMarkdown(report.figures.map((f) => `**${f.title}**\n\n![${f.name}](${f.png})`).join('\n\n'));

// %% [markdown]
// ## Which of the paper's claims we reproduce
//
// The verdicts are computed from the results (`claimVerdicts` in `lib/report/claims.ts`: reproduced or contradicted at 95 % confidence, else undecided); the
// full reasoning, with every table, is in `paper/REPRODUCTION.md`.

// %%
const loaded = loadResults(env.resultsDir, { profile: env.profile });
const r = byModel(loaded.evals);
const defs = chooseDefinitions(r);
showTable(claimVerdicts(r, loaded.compare, defs.table4.definition as 'weighted' | 'macro', loaded.dynamics, loaded.seedEvals ?? null, loaded.timing ?? null).map((c) => ({ ...c })));
