// %% [markdown]
// # 02 · The CNN: architecture and training
//
// **What the paper did.** A plain CNN in Keras — "several Conv2D + ReLU layers, each followed by
// pooling and normalization" — trained with Adam (learning rate 0.0005), categorical
// cross-entropy and unspecified "regularization". It reports 4,478,727 parameters and no
// training schedule, validation set or number of epochs.
//
// **What we do.** 4,478,727 is exactly the Keras total of a widely copied FER2013 CNN: four
// blocks Conv2D → BatchNorm → ReLU → MaxPool → Dropout(0.25) with 64/3×3, 128/5×5, 512/3×3 and
// 512/3×3 filters, then Dense 256 and Dense 512 (each BN → ReLU → Dropout) and a 7-way softmax
// (`lib/models/cnn.ts`). We train it with the paper's optimiser and learning rate, batch 64,
// early stopping and learning-rate halving on the loss of a validation hold-out carved out of
// the *training* rows (the test set is never seen), and keep the weights of the best epoch.
//
// Two profiles (`FER_PROFILE`, set by `npm run reproduce -- --profile …`):
// * **paper** — the full model on all 25,838 training images for up to 60 epochs (hours on a
//   CPU). A finished paper-profile model in `models/cnn/` is loaded instead of retrained.
// * **quick** — the same architecture at a quarter of the width, on a stratified subset, for a
//   few epochs: minutes on two CPU cores, for CI and for following the study end to end. Its
//   numbers show that the pipeline works, not what the paper's model can do.

// %%
import { execFileSync } from 'child_process';
// Rebuilds ./.lib (the bridge to ../lib) if lib/ changed; see the note in 00-environment.
console.log(execFileSync('../node_modules/.bin/tsx', ['../scripts/reproduce.ts', '--prepare'], { encoding: 'utf8' }).trim());

// %%
import { readStudyEnv, repoPath } from './.lib/env';
import { setupBackend, parseBackendName } from './.lib/backend';
import { buildModel, modelSummary } from './.lib/models';
import { PROFILES } from './.lib/train';
import { showMarkdown, showTable, showFigure } from './.lib/notebook/display';

const env = readStudyEnv();
const backend = await setupBackend(parseBackendName(env.backend), { log: console.log });
showTable(
  Object.entries(PROFILES[env.profile]).map(([setting, value]) => ({ setting, value: String(value) })),
  { caption: `Training settings of the ${env.profile} profile (lib/train/config.ts)` },
);

// %% [markdown]
// ## The architecture
//
// Keras-style summary of the full-size model, as the paper describes it (`modelSummary`, with
// FLOPs per image). BatchNorm's moving mean and variance are counted as Keras counts them.

// %%
const full = buildModel('cnn');
console.log(modelSummary(full));
void full.dispose();

// %% [markdown]
// ## Train, or load the saved model
//
// `obtainStudyModel` decides: a finished model of this profile's settings is loaded
// (`FER_RETRAIN=1` retrains it); otherwise it trains now, printing one line per epoch.

// %%
import { planStudyModel, obtainStudyModel, paperModel } from './.lib/study';
import { runStatus, describeRunStatus } from './.lib/train/status';
const plan = planStudyModel('cnn', env);
showMarkdown(`**${plan.action === 'load' ? 'Loading' : 'Training'}.** ${plan.why}`);
const paper = paperModel('cnn');
if (env.profile === 'quick')
  showMarkdown(
    paper
      ? `A finished paper-profile CNN is saved in \`models/cnn\` (${paper.meta.epochsRun} epochs, ${(paper.meta.wallSeconds / 3600).toFixed(1)} h); \`npm run reproduce -- --profile paper\` uses it.`
      : `No finished paper-profile CNN is saved in \`models/cnn\` yet; this run uses the quick profile. Paper-scale run: ${describeRunStatus(runStatus(repoPath('models', 'cnn')))}`,
  );
const cnn = await obtainStudyModel('cnn', env, { log: console.log });

// %%
showTable(
  [
    { item: 'model folder', value: cnn.rel },
    { item: 'loaded or trained', value: cnn.action === 'load' ? 'loaded' : `trained now (${(cnn.seconds / 60).toFixed(1)} min)` },
    { item: 'profile', value: cnn.meta.profile },
    { item: 'parameters', value: cnn.meta.params },
    { item: 'width multiplier', value: String(cnn.meta.widthMultiplier) },
    { item: 'training / validation images', value: `${cnn.meta.config.trainImages} / ${cnn.meta.config.valImages}` },
    { item: 'epochs run (best)', value: `${cnn.meta.epochsRun} (${cnn.meta.bestEpoch})` },
    { item: 'training backend', value: cnn.meta.backend },
    { item: 'training wall time', value: `${(cnn.meta.wallSeconds / 60).toFixed(1)} min` },
    { item: 'git commit at training', value: cnn.meta.gitCommit ?? 'unknown' },
  ],
  { caption: 'The CNN used by the rest of the study (meta.json)' },
);

// %% [markdown]
// ## Learning curves
//
// Loss and accuracy per epoch on the training images (running mean over the epoch, dropout
// active) and on the validation hold-out. The dotted line is what always answering the most
// common class (*happy*) scores; the dashed line marks the epoch whose weights were kept.

// %%
import { loadFer2013, USAGES } from './.lib/data';
import { learningCurvesFigure, majorityShare } from './.lib/report/training-figures';
import { trainingFindings } from './.lib/report/findings';
const ds = await loadFer2013({ csv: env.csv ?? undefined });
// The validation rows are a stratified sample of Training, so they share its class balance.
const trainingRows = Int32Array.from({ length: ds.n }, (_, i) => i).filter((i) => ds.usage[i] === USAGES.indexOf('Training'));
const baseline = majorityShare(ds, trainingRows);
await showFigure(learningCurvesFigure(cnn.history, { title: `CNN (${cnn.meta.profile} profile): learning curves`, bestEpoch: cnn.meta.bestEpoch, baseline }));
showTable(cnn.history.map((h) => ({ ...h })), { caption: 'train-log.jsonl', digits: { loss: 4, accuracy: 4, val_loss: 4, val_accuracy: 4, lr: 6, seconds: 1 } });

// %% [markdown]
// ## What we found

// %%
showMarkdown(trainingFindings(cnn.meta, cnn.history, baseline));
