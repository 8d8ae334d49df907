// %% [markdown]
// # 08 · Beyond the paper: emotion dynamics (Table 6)
//
// **What the paper claims.** LSTM layers matter because emotions change over time, and models
// with them could *predict* a person's next emotional state. It never tests this: every one of
// its experiments classifies single still images, where an LSTM has no time axis to work on.
//
// **What we do.** FER2013 has no video, so we simulate the temporal law and keep the faces
// real. A seeded Markov chain with a documented transition matrix (`lib/dynamics/markov.ts`:
// states persist; neutral → happy is the most common exit; surprise is short-lived and turns
// into happiness or fear) generates sequences of T = 8 states, and each step shows a random
// FER2013 face of that state. Training sequences draw faces from the official split's training
// rows, validation sequences from its validation rows, test sequences from its test rows, with
// every test face that has an exact pixel copy among the training or validation faces dropped
// (`makeSplit(ds, 'official', {dropLeakedTest: true})`); the code checks that no face, and no
// copy of one, appears in both training and test sequences.
//
// Two tasks: **(a)** classify the *current* (last shown) frame, with the earlier frames as
// context; **(b)** predict the *next* state before its frame is shown. Four models:
// * a **per-frame CNN** (the paper's CNN at a reduced width, trained on single faces): for (a)
//   it sees the last frame alone; for (b) it predicts *persistence* (next = its current guess);
// * an **HMM filter**: the same CNN's softmax turned into emission likelihoods, filtered with
//   the known chain (no learning); for (b) the filtered posterior times P;
// * the **CNN+LSTM sequence model**: the same CNN's encoder (everything but its softmax,
//   frozen) applied to each frame with `TimeDistributed`, then an LSTM over time with two
//   softmax heads, *current* and *next*, trained on the training sequences (Adam 0.0005, early
//   stopping on the validation sequences). Because the encoder is shared and frozen, the
//   difference to the per-frame CNN is the temporal context and nothing else;
// * the **Markov oracle** for (b): it knows the true current state and predicts
//   argmax P[state], the best any next-state predictor can do on average.
//
// Everything is measured clean and with the paper's Gaussian noise on every frame (σ = 0.10),
// with 95 % bootstrap CIs and McNemar's exact test on the same test sequences.

// %%
import { execFileSync } from 'child_process';
// Rebuilds ./.lib (the bridge to ../lib) if lib/ changed; see the note in 00-environment.
console.log(execFileSync('../node_modules/.bin/tsx', ['../scripts/reproduce.ts', '--prepare'], { encoding: 'utf8' }).trim());

// %%
import * as fs from 'fs';
import * as path from 'path';
import { readStudyEnv, repoPath } from './.lib/env';
import { setupBackend, parseBackendName } from './.lib/backend';
import { loadFer2013, EMOTIONS, PIXELS_PER_IMAGE } from './.lib/data';
import {
  DYNAMICS_QUICK, runDynamics, trainFrameCnn, defaultTransitionMatrix, stationaryDistribution,
  oracleNextStateAccuracy, dynamicsPools, makeDynamicsSequences, formatTable6,
  type DynamicsConfig,
} from './.lib/dynamics';
import { groupedBars, COLORS } from './.lib/report/figures';
import { showFigure, showTable, showMarkdown, showGrey } from './.lib/notebook/display';

const env = readStudyEnv();
const backend = await setupBackend(parseBackendName(env.backend), { log: console.log });
const ds = await loadFer2013({ csv: env.csv ?? undefined });
// The quick configuration runs in about ten minutes on two CPU cores. The paper profile uses
// the paper-size CNN from notebook 02 as the per-frame model, when it exists, and more test
// sequences.
const paperCnn = repoPath('models', 'cnn');
const usePaperCnn = env.profile === 'paper' && fs.existsSync(path.join(paperCnn, 'meta.json'));
const cfg: DynamicsConfig = {
  ...DYNAMICS_QUICK,
  backend: parseBackendName(env.backend),
  csv: env.csv ?? undefined,
  frameOut: repoPath('models', 'quick', 'dynamics-frame-cnn'),
  out: path.join(env.resultsDir, 'dynamics', 'table6.json'),
  ...(usePaperCnn ? { frameModel: paperCnn, testSequences: 5000, sequences: 20000 } : {}),
};
showTable(
  Object.entries(cfg)
    .filter(([k]) => !['csv', 'cacheDir'].includes(k))
    .map(([setting, value]) => ({ setting, value: String(value) })),
  { caption: `Settings (${env.profile} profile, backend ${backend})` },
);

// %% [markdown]
// ## The chain
//
// P[i][j] = Pr(next = j | now = i), rows in FER2013's label order. The diagonal is the
// probability of staying. The stationary distribution π is also the distribution of every
// frame's state (the first state is drawn from π), so it is the class balance of the
// sequences, unlike FER2013's own (where *happy* is a quarter of the faces).

// %%
const P = defaultTransitionMatrix();
const pi = stationaryDistribution(P);
showTable(
  EMOTIONS.map((from, i) => {
    const row: Record<string, string | number> = { from };
    EMOTIONS.forEach((to, j) => (row[to] = +(100 * P[i][j]).toFixed(1)));
    row['π %'] = +(100 * pi[i]).toFixed(1);
    return row;
  }),
  { caption: 'Transition matrix P (%) and stationary distribution π' },
);
const oracleAcc = oracleNextStateAccuracy(P);
const persistAcc = pi.reduce((a, p, s) => a + p * P[s][s], 0);
showMarkdown(
  `Analytically, the oracle that knows the current state is right about the next one ` +
    `**${(100 * oracleAcc).toFixed(1)} %** of the time (Σ π_s max_j P[s][j]); always guessing the ` +
    `commonest state is right ${(100 * Math.max(...pi)).toFixed(1)} % of the time. Predicting ` +
    `*persistence* from the true state would score Σ π_s P[s][s] = ${(100 * persistAcc).toFixed(1)} %, ` +
    `only ${(100 * (oracleAcc - persistAcc)).toFixed(1)} pp less: surprise is the one state whose ` +
    `likeliest successor is not itself. So under this chain, what a model can gain on task (b) ` +
    `over persistence from its own current-state guess comes almost entirely from knowing the ` +
    `*current* state better, not from knowing where it goes next.`,
);

// %% [markdown]
// ## What a test sequence looks like
//
// Three test sequences (seeded), faces left to right, the hidden next state at the end.

// %%
const demoPools = dynamicsPools(ds, { splitSeed: cfg.splitSeed });
const demo = makeDynamicsSequences(ds.labels, demoPools.test, { n: 3, T: cfg.T, seed: 99, P: defaultTransitionMatrix() });
for (let s = 0; s < demo.n; s++) {
  const strip = new Uint8Array(48 * 48 * demo.T);
  for (let t = 0; t < demo.T; t++) {
    const r = demo.rows[s * demo.T + t];
    for (let y = 0; y < 48; y++)
      strip.set(
        ds.pixels.subarray(r * PIXELS_PER_IMAGE + y * 48, r * PIXELS_PER_IMAGE + (y + 1) * 48),
        y * 48 * demo.T + t * 48,
      );
  }
  showGrey(strip, 48 * demo.T, 48, `sequence ${s + 1}`);
  const names = Array.from(demo.states.subarray(s * demo.T, (s + 1) * demo.T), (c) => EMOTIONS[c]);
  showMarkdown(`${names.join(' → ')} → *next: ${EMOTIONS[demo.next[s]]}*`);
}

// %% [markdown]
// ## The per-frame CNN
//
// Trained on single training faces with `lib/train` (seeded, checkpointed), or loaded when this
// configuration's model already exists (`FER_RETRAIN=1` retrains it). In the quick
// configuration it is the paper's CNN at width 0.125 with dropout 0.05 and lr 0.002: with the
// paper's dropout 0.25 such a small, briefly trained CNN measurably stays at the majority
// class. The faces it trained on are kept out of the sequence model's training sequences, so
// the LSTM learns from encoder features of faces the encoder has not memorised, as at test time.

// %%
if (!cfg.frameModel) {
  const metaFile = path.join(cfg.frameOut, 'meta.json');
  const reuse = !env.retrain && fs.existsSync(metaFile);
  if (reuse) console.log(`loading the per-frame CNN trained earlier: ${cfg.frameOut}`);
  else await trainFrameCnn(cfg, ds, { log: console.log, progress: { every: 50 } });
  cfg.frameModel = cfg.frameOut;
}
const frameMeta = JSON.parse(fs.readFileSync(path.join(cfg.frameModel, 'meta.json'), 'utf8'));
showTable(
  [
    { what: 'architecture', value: `${frameMeta.architecture}, width ${frameMeta.widthMultiplier}` },
    { what: 'parameters', value: frameMeta.params.toLocaleString('en-US') },
    { what: 'training faces', value: String(frameMeta.config.trainImages) },
    { what: 'epochs', value: String(frameMeta.epochsRun) },
    { what: 'best val accuracy (single faces)', value: `${(100 * frameMeta.best.valAccuracy).toFixed(1)} %` },
    { what: 'training time', value: `${Math.round(frameMeta.wallSeconds)} s on ${frameMeta.backend}` },
  ],
  { caption: 'Per-frame CNN' },
);

// %% [markdown]
// ## Run the experiment
//
// Encoder features for the training and validation sequences (each face once), the LSTM's
// training log, then every model on the same test sequences, clean and noisy. The result is
// written atomically to `results/dynamics/table6.json` (also `fer dynamics`).

// %%
const result = await runDynamics(cfg, { dataset: ds, log: console.log, retrain: env.retrain });
console.log(`\n${Math.round(result.seconds.total)} s (per-frame CNN training not included: ${Math.round(result.frameModel.trainingSeconds ?? 0)} s)`);

// %% [markdown]
// ## Table 6
//
// Accuracy and weighted F1 (scikit-learn's support-weighted average) on the test sequences,
// with percentile-bootstrap 95 % CIs (1,000 resamples of the sequences).

// %%
const pct = (v: number): string => (100 * v).toFixed(1);
showTable(
  result.rows.map((r) => ({
    condition: r.condition,
    task: r.task === 'current' ? '(a) current' : '(b) next',
    model: r.model,
    'accuracy %': pct(r.accuracy.estimate),
    '95 % CI': `${pct(r.accuracy.lo)}–${pct(r.accuracy.hi)}`,
    'weighted F1 %': pct(r.weightedF1.estimate),
    'F1 95 % CI': `${pct(r.weightedF1.lo)}–${pct(r.weightedF1.hi)}`,
    predicts: r.predicts,
  })),
  { caption: `Table 6: emotion dynamics, ${result.rows[0].n} test sequences of T = ${cfg.T}` },
);

// %%
for (const task of ['current', 'next'] as const) {
  const conds = [...new Set(result.rows.map((r) => r.condition))];
  const models = [...new Set(result.rows.filter((r) => r.task === task).map((r) => r.model))];
  const colors: Record<string, string> = {
    'per-frame CNN': COLORS.cnn,
    'HMM filter': COLORS.grey,
    'CNN+LSTM': COLORS.lstm,
    'Markov oracle': '#2ca02c',
  };
  await showFigure(
    groupedBars(
      task === 'current' ? 'Task (a): classify the current frame' : 'Task (b): predict the next state',
      conds,
      models.map((m) => {
        const rs = conds.map((c) => result.rows.find((r) => r.task === task && r.condition === c && r.model === m)!);
        return {
          name: m === 'per-frame CNN' && task === 'next' ? 'per-frame CNN (persistence)' : m,
          values: rs.map((r) => 100 * r.accuracy.estimate),
          errors: rs.map((r) => ({ lo: 100 * r.accuracy.lo, hi: 100 * r.accuracy.hi })),
          color: colors[m],
        };
      }),
      { yTitle: 'accuracy % (95 % CI)', yRange: [0, 100], textFormat: '%{y:.1f}' },
    ),
  );
}

// %% [markdown]
// ## Does the LSTM's temporal context help?
//
// McNemar's exact test on the same test sequences (b = sequences only A gets right, c = only B),
// and the paired bootstrap CI of the accuracy difference.

// %%
showTable(
  result.comparisons.map((c) => ({
    condition: c.condition,
    task: c.task === 'current' ? '(a) current' : '(b) next',
    'A vs B': `${c.a} vs ${c.b === 'per-frame CNN' && c.task === 'next' ? 'persistence' : c.b}`,
    'Δ accuracy pp': (c.accuracyDiff.estimate >= 0 ? '+' : '') + pct(c.accuracyDiff.estimate),
    '95 % CI': `${pct(c.accuracyDiff.lo)} to ${pct(c.accuracyDiff.hi)}`,
    b: c.mcnemar.b,
    c: c.mcnemar.c,
    p: c.mcnemar.pValue.toPrecision(2),
    verdict: c.verdict,
  })),
  { caption: 'Paired comparisons' },
);
showMarkdown(result.verdict.map((v) => `* ${v}`).join('\n'));
console.log(formatTable6(result.rows, result.comparisons));

// %% [markdown]
// ## The sequence model's training

// %%
showTable(
  result.sequenceModel.history.map((h) => ({
    epoch: h.epoch,
    loss: h.loss.toFixed(4),
    'acc (a) %': pct(h.accuracy),
    'acc (b) %': pct(h.next_accuracy),
    val_loss: h.val_loss.toFixed(4),
    'val acc (a) %': pct(h.val_accuracy),
    'val acc (b) %': pct(h.val_next_accuracy),
    seconds: h.seconds.toFixed(1),
  })),
  {
    caption: `Temporal part: ${result.sequenceModel.temporalParams.toLocaleString('en-US')} trainable parameters on ${result.sequenceModel.featureDim}-d frame features; best epoch ${result.sequenceModel.bestEpoch} (accuracies over all ${cfg.T} steps)`,
  },
);
showTable(
  [
    { stage: 'per-frame CNN (training, earlier or above)', seconds: Math.round(result.frameModel.trainingSeconds ?? 0) },
    { stage: 'encoder features', seconds: Math.round(result.seconds.features) },
    { stage: 'sequence model training', seconds: Math.round(result.seconds.sequenceModel) },
    { stage: 'evaluation (clean + noisy, bootstrap)', seconds: Math.round(result.seconds.evaluation) },
    { stage: 'this run in total', seconds: Math.round(result.seconds.total) },
  ],
  { caption: `Run time on ${result.backend}` },
);

// %% [markdown]
// ## Caveats
//
// * The dynamics are simulated: consecutive frames show *different people* who share an
//   emotion, so the only thing that links frames is the emotion itself. Real video has far more
//   temporal structure (same face, small changes), which a sequence model could exploit and this
//   setting cannot test. A positive result here shows what knowing the *dynamics* is worth; it is
//   not evidence about video.
// * The chain is ours, documented and plausible, not measured from people. The oracle row shows
//   how much any next-state predictor can gain under it; a chain with less persistence would
//   leave less to gain.
// * The per-frame CNN is small and briefly trained in the quick configuration, so all absolute
//   accuracies are low; what is measured is the *difference* temporal context makes on top of
//   the same per-frame evidence.
