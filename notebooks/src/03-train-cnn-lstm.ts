// %% [markdown]
// # 03 · The CNN+LSTM hybrid: architecture and training
//
// **What the paper did.** "The same kind of convolutional front end, then recurrent LSTM layers,
// then the classifier head", trained like the CNN; 3,121,287 parameters. Nothing more is said
// about the layers, and the count matches no natural variant we could find.
//
// **What we do.** We choose a documented hybrid (below, quoted from the doc comment of
// `buildCnnLstm` in `lib/models/cnn-lstm.ts`), report its parameter count beside the paper's,
// and train it exactly like the CNN of notebook 02: same optimiser, learning rate, batch size,
// validation hold-out, early stopping, seed and profile.

// %%
import { execFileSync } from 'child_process';
// Rebuilds ./.lib (the bridge to ../lib) if lib/ changed; see the note in 00-environment.
console.log(execFileSync('../node_modules/.bin/tsx', ['../scripts/reproduce.ts', '--prepare'], { encoding: 'utf8' }).trim());

// %%
import { readStudyEnv, repoPath } from './.lib/env';
import { setupBackend, parseBackendName } from './.lib/backend';
import { buildModel, modelSummary, PAPER_CNN_LSTM_PARAMS, paramCounts } from './.lib/models';
import { docComment } from './.lib/notebook/doc-comment';
import { showMarkdown, showTable, showFigure } from './.lib/notebook/display';

const env = readStudyEnv();
const backend = await setupBackend(parseBackendName(env.backend), { log: console.log });

// %% [markdown]
// ## Design rationale

// %%
showMarkdown(docComment(repoPath('lib', 'models', 'cnn-lstm.ts'), 'buildCnnLstm'));

// %% [markdown]
// ## The architecture
//
// Keras-style summary of the full-size hybrid, with FLOPs per image.

// %%
const full = buildModel('cnn-lstm');
console.log(modelSummary(full));
const fullParams = paramCounts(full).total;
void full.dispose();
showMarkdown(
  `Full size: **${fullParams.toLocaleString('en-US')}** parameters against the paper's ${PAPER_CNN_LSTM_PARAMS.toLocaleString('en-US')} ` +
    `(${fullParams - PAPER_CNN_LSTM_PARAMS >= 0 ? '+' : '−'}${Math.abs(fullParams - PAPER_CNN_LSTM_PARAMS).toLocaleString('en-US')}, ${((100 * (fullParams - PAPER_CNN_LSTM_PARAMS)) / PAPER_CNN_LSTM_PARAMS).toFixed(2)} %).`,
);

// %% [markdown]
// ## Train, or load the saved model
//
// The same rule as for the CNN: a finished model of this profile's settings is loaded
// (`FER_RETRAIN=1` retrains it); otherwise it trains now.

// %%
import { planStudyModel, obtainStudyModel, paperModel } from './.lib/study';
import { runStatus, describeRunStatus } from './.lib/train/status';
const plan = planStudyModel('cnn-lstm', env);
showMarkdown(`**${plan.action === 'load' ? 'Loading' : 'Training'}.** ${plan.why}`);
const paper = paperModel('cnn-lstm');
if (env.profile === 'quick')
  showMarkdown(
    paper
      ? `A finished paper-profile hybrid is saved in \`models/cnn-lstm\` (${paper.meta.epochsRun} epochs, ${(paper.meta.wallSeconds / 3600).toFixed(1)} h); \`npm run reproduce -- --profile paper\` uses it.`
      : `No finished paper-profile hybrid is saved in \`models/cnn-lstm\` yet; this run uses the quick profile. Paper-scale run: ${describeRunStatus(runStatus(repoPath('models', 'cnn-lstm')))}`,
  );
const hybrid = await obtainStudyModel('cnn-lstm', env, { log: console.log });

// %%
showTable(
  [
    { item: 'model folder', value: hybrid.rel },
    { item: 'loaded or trained', value: hybrid.action === 'load' ? 'loaded' : `trained now (${(hybrid.seconds / 60).toFixed(1)} min)` },
    { item: 'profile', value: hybrid.meta.profile },
    { item: 'parameters', value: hybrid.meta.params },
    { item: 'width multiplier', value: String(hybrid.meta.widthMultiplier) },
    { item: 'training / validation images', value: `${hybrid.meta.config.trainImages} / ${hybrid.meta.config.valImages}` },
    { item: 'epochs run (best)', value: `${hybrid.meta.epochsRun} (${hybrid.meta.bestEpoch})` },
    { item: 'training backend', value: hybrid.meta.backend },
    { item: 'training wall time', value: `${(hybrid.meta.wallSeconds / 60).toFixed(1)} min` },
    { item: 'git commit at training', value: hybrid.meta.gitCommit ?? 'unknown' },
  ],
  { caption: 'The hybrid used by the rest of the study (meta.json)' },
);

// %% [markdown]
// ## Learning curves
//
// As in notebook 02: training (running mean, dropout active) and validation per epoch; the
// dotted line is the most-common-class baseline, the dashed line the epoch that was kept.

// %%
import { loadFer2013, USAGES } from './.lib/data';
import { learningCurvesFigure, majorityShare } from './.lib/report/training-figures';
import { trainingFindings } from './.lib/report/findings';
const ds = await loadFer2013({ csv: env.csv ?? undefined });
const trainingRows = Int32Array.from({ length: ds.n }, (_, i) => i).filter((i) => ds.usage[i] === USAGES.indexOf('Training'));
const baseline = majorityShare(ds, trainingRows);
await showFigure(learningCurvesFigure(hybrid.history, { title: `CNN+LSTM (${hybrid.meta.profile} profile): learning curves`, bestEpoch: hybrid.meta.bestEpoch, baseline }));
showTable(hybrid.history.map((h) => ({ ...h })), { caption: 'train-log.jsonl', digits: { loss: 4, accuracy: 4, val_loss: 4, val_accuracy: 4, lr: 6, seconds: 1 } });

// %% [markdown]
// ## What we found

// %%
showMarkdown(trainingFindings(hybrid.meta, hybrid.history, baseline));
