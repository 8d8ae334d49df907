/**
 * The emotion-dynamics experiment end to end (Table 6): per-frame CNN, HMM filter, CNN+LSTM
 * sequence model and Markov oracle on sequences of FER2013 faces that follow the documented
 * chain, clean and with per-frame Gaussian noise. `DYNAMICS_QUICK` runs in about ten minutes on
 * a busy 2-core CPU.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setupBackend, type BackendName } from '../backend';
import { loadFer2013 } from '../data/cache';
import { EMOTIONS, NUM_CLASSES } from '../data/classes';
import type { FerDataset } from '../data/dataset';
import { paramCounts } from '../models';
import { loadStudyModel, resolveTrainConfig, train, trainValRows, gitCommit } from '../train';
import type { TrainConfig } from '../train';
import type { StudyModelMeta } from '../models/meta';
import { writeJsonAtomic } from '../util/atomic';
import { FerError } from '../util/errors';
import { Rng } from '../util/rng';
import {
  defaultTransitionMatrix,
  forwardFilter,
  oracleNextState,
  oracleNextStateAccuracy,
  stationaryDistribution,
  type TransitionMatrix,
} from './markov';
import { assembleSequenceModel, buildTemporalModel, frameEncoder } from './model';
import {
  checkDisjoint,
  dynamicsPools,
  lastStates,
  makeDynamicsSequences,
  nextStates,
  sequenceFrames,
  type DynamicsSequences,
} from './sequences';
import {
  compareModels,
  table6Rows,
  type DynamicsModel,
  type DynamicsTask,
  type Table6Comparison,
  type Table6Row,
} from './table6';
import { trainTemporalModel, type SequenceFeatures, type TemporalEpochLog } from './train';
import { portablePath } from '../env';

export interface DynamicsConfig {
  /** Training / validation / test sequences. */
  sequences: number;
  valSequences: number;
  testSequences: number;
  /** Frames shown per sequence. */
  T: number;
  /** Sequence model: maximum epochs, early-stopping patience, LSTM units, batch. */
  epochs: number;
  patience: number;
  units: number;
  batchSize: number;
  /** Per-frame CNN (when trained here): width multiplier, images, epochs, lr, batch. */
  width: number;
  frameImages: number;
  frameValImages: number;
  frameEpochs: number;
  frameLr: number;
  frameBatchSize: number;
  frameDropout: number;
  /** σ of the noisy condition (0 = clean only). */
  noise: number;
  seed: number;
  /** Seed of the official split's validation hold-out. */
  splitSeed: number;
  /** A saved study model to use as the per-frame CNN instead of training one. */
  frameModel?: string;
  /** Where a per-frame CNN trained here is saved. */
  frameOut: string;
  bootstrap: number;
  backend: BackendName;
  /** Result JSON (written atomically). */
  out: string;
  csv?: string;
  cacheDir?: string;
}

/**
 * The quick configuration. The per-frame CNN is the paper's CNN at width 0.125 (8/16/64/64
 * filters) trained on 8,000 training faces for 3 epochs, lr 0.002, batch 32, dropout 0.05:
 * measured here, the same run with dropout 0.25 and lr 0.001 stays at the majority class
 * (val accuracy 25.4 % after 3 epochs; the train quick profile's 3,000 x 3 does too), while
 * dropout 0.05 / lr 0.002 reaches 32 % after one epoch. The sequence model trains on 6,000
 * sequences (cheap: it reads cached encoder features).
 */
export const DYNAMICS_QUICK: DynamicsConfig = {
  sequences: 6000,
  valSequences: 1000,
  testSequences: 2000,
  T: 8,
  epochs: 20,
  patience: 3,
  units: 64,
  batchSize: 64,
  width: 0.125,
  frameImages: 8000,
  frameValImages: 1000,
  frameEpochs: 3,
  frameLr: 0.002,
  frameBatchSize: 32,
  frameDropout: 0.05,
  noise: 0.1,
  seed: 1,
  splitSeed: 0,
  frameOut: path.join('models', 'quick', 'dynamics-frame-cnn'),
  bootstrap: 1000,
  backend: 'auto',
  out: path.join('results', 'dynamics', 'table6.json'),
};

export interface DynamicsResult {
  experiment: 'emotion-dynamics';
  createdAt: string;
  gitCommit: string | null;
  backend: string;
  datasetSha256: string;
  config: DynamicsConfig;
  chain: {
    states: readonly string[];
    P: TransitionMatrix;
    stationary: number[];
    /** Σ_s π_s max_j P[s][j]: the oracle's expected accuracy on task (b). */
    oracleNextAccuracyAnalytic: number;
    /** max_s π_s: always guessing the most frequent state. */
    majorityStateAccuracy: number;
  };
  pools: {
    train: number;
    val: number;
    test: number;
    droppedLeakedTest: number;
    excludedFrameTrain: number;
    /** Checked: no dataset row and no exact pixel copy is shown in both. */
    trainTestDisjoint: true;
  };
  frameModel: {
    source: 'trained' | 'loaded' | 'given';
    dir: string | null;
    architecture: string;
    params: number;
    widthMultiplier: number | null;
    trainImages: number;
    bestValAccuracy: number | null;
    /** Wall seconds this run spent obtaining it (training, loading). */
    seconds: number;
    /** Its own training time from meta.json (null when given). */
    trainingSeconds: number | null;
  };
  sequenceModel: {
    featureDim: number;
    units: number;
    temporalParams: number;
    bestEpoch: number;
    stoppedEarly: boolean;
    history: TemporalEpochLog[];
    seconds: number;
  };
  rows: Table6Row[];
  comparisons: Table6Comparison[];
  /** One sentence per task and condition: does the LSTM's temporal context help? */
  verdict: string[];
  seconds: {
    total: number;
    frameModel: number;
    features: number;
    sequenceModel: number;
    evaluation: number;
  };
}

/** A ready per-frame model (tests): its softmax model and the rows it was trained on. */
export interface GivenFrameModel {
  model: tf.LayersModel;
  trainRows: Int32Array;
}

export interface RunDynamicsOptions {
  /** Use this dataset instead of loading FER2013. */
  dataset?: FerDataset;
  /** Use this per-frame model instead of training or loading one. */
  frame?: GivenFrameModel;
  P?: TransitionMatrix;
  log?: (line: string) => void;
  /** Progress lines while the per-frame CNN trains (default none). */
  progress?: boolean | { every?: number };
  /** Write the result JSON (default true). */
  write?: boolean;
  /** Train the per-frame CNN even when cfg.frameOut holds one with the same settings. */
  retrain?: boolean;
}

/** Checks the numbers of a config. */
export function validateDynamicsConfig(c: DynamicsConfig): void {
  const ints: Array<[keyof DynamicsConfig, number]> = [
    ['sequences', 1],
    ['valSequences', 1],
    ['testSequences', 1],
    ['T', 1],
    ['epochs', 1],
    ['patience', 1],
    ['units', 1],
    ['batchSize', 1],
    ['frameImages', 0],
    ['frameValImages', 0],
    ['frameEpochs', 1],
    ['frameBatchSize', 1],
    ['seed', 0],
    ['splitSeed', 0],
    ['bootstrap', 1],
  ];
  for (const [k, min] of ints) {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < min)
      throw new FerError(`${k} must be an integer >= ${min}, got ${v}`);
  }
  if (!(c.width > 0 && Number.isFinite(c.width)))
    throw new FerError(`width must be > 0, got ${c.width}`);
  if (!(c.frameDropout >= 0 && c.frameDropout < 1))
    throw new FerError(`frameDropout must be in [0, 1), got ${c.frameDropout}`);
  if (!(c.frameLr > 0)) throw new FerError(`frameLr must be > 0, got ${c.frameLr}`);
  if (!(c.noise >= 0 && c.noise <= 1))
    throw new FerError(`noise must be in [0, 1], got ${c.noise}`);
}

/** Per-class frequencies of `rows` (the per-frame CNN's training prior, for the HMM). */
export function classPrior(labels: Uint8Array, rows: Int32Array): number[] {
  const c = new Array<number>(NUM_CLASSES).fill(0);
  for (const r of rows) c[labels[r]]++;
  return c.map((v) => v / Math.max(1, rows.length));
}

/** Encoder features of every frame of `seqs`, computing each distinct face once (clean). */
function encodeSequences(
  encoder: tf.LayersModel,
  ds: FerDataset,
  seqs: DynamicsSequences,
  batch = 256,
): SequenceFeatures {
  const unique = Int32Array.from(new Set(seqs.rows)).sort();
  const F = encoder.outputs[0].shape[1] as number;
  const feats = new Float32Array(unique.length * F);
  const at = new Map<number, number>();
  unique.forEach((r, i) => at.set(r, i));
  for (let s = 0; s < unique.length; s += batch) {
    const rows = unique.subarray(s, Math.min(s + batch, unique.length));
    const f = tf.tidy(() => {
      const x = sequenceFrames(
        ds,
        { n: rows.length, T: 1, rows, states: new Uint8Array(0), next: new Uint8Array(0) },
        0,
        rows.length,
      );
      return encoder.predict(x) as tf.Tensor;
    });
    feats.set(f.dataSync(), s * F);
    f.dispose();
  }
  const x = new Float32Array(seqs.n * seqs.T * F);
  seqs.rows.forEach((r, k) => {
    const i = at.get(r)!;
    x.set(feats.subarray(i * F, (i + 1) * F), k * F);
  });
  return { n: seqs.n, T: seqs.T, F, x };
}

function argmax(v: ArrayLike<number>, off = 0): number {
  let best = 0;
  for (let c = 1; c < NUM_CLASSES; c++) if (v[off + c] > v[off + best]) best = c;
  return best;
}

/** Every model's predictions for both tasks on the test sequences under one noise level. */
export function predictAll(
  ds: FerDataset,
  seqs: DynamicsSequences,
  frameModel: tf.LayersModel,
  sequenceModel: tf.LayersModel,
  P: TransitionMatrix,
  prior: number[],
  opts: { noise: number; seed: number; batch?: number },
): Record<DynamicsTask, Partial<Record<DynamicsModel, Int32Array>>> {
  const { n, T } = seqs;
  const B = opts.batch ?? 32;
  const rng = new Rng(opts.seed);
  const pred = {
    current: { cnn: new Int32Array(n), hmm: new Int32Array(n), lstm: new Int32Array(n) },
    next: { hmm: new Int32Array(n), lstm: new Int32Array(n) },
  };
  for (let s0 = 0; s0 < n; s0 += B) {
    const s1 = Math.min(s0 + B, n);
    const b = s1 - s0;
    // The same noisy frames go to every model.
    const x = sequenceFrames(ds, seqs, s0, s1, { noise: opts.noise, rng });
    const q = frameModel.predict(x) as tf.Tensor;
    const xs = x.reshape([b, T, ...x.shape.slice(1)]);
    const [pc, pn] = sequenceModel.predict(xs) as tf.Tensor[];
    const probs = q.dataSync() as Float32Array;
    const cur = pc.dataSync();
    const nxt = pn.dataSync();
    tf.dispose([x, q, xs, pc, pn]);
    for (let i = 0; i < b; i++) {
      const s = s0 + i;
      const last = (i * T + T - 1) * NUM_CLASSES;
      pred.current.cnn[s] = argmax(probs, last);
      pred.current.lstm[s] = argmax(cur, last);
      pred.next.lstm[s] = argmax(nxt, last);
      const post = forwardFilter(
        probs.subarray(i * T * NUM_CLASSES, (i + 1) * T * NUM_CLASSES),
        T,
        P,
        prior,
      );
      const lastPost = post.subarray((T - 1) * NUM_CLASSES);
      pred.current.hmm[s] = argmax(lastPost);
      const ahead = EMOTIONS.map((_, j) => lastPost.reduce((acc, a, k) => acc + a * P[k][j], 0));
      pred.next.hmm[s] = argmax(ahead);
    }
  }
  const truthLast = lastStates(seqs);
  return {
    current: {
      'per-frame CNN': pred.current.cnn,
      'HMM filter': pred.current.hmm,
      'CNN+LSTM': pred.current.lstm,
    },
    next: {
      'per-frame CNN': pred.current.cnn, // persistence
      'HMM filter': pred.next.hmm,
      'CNN+LSTM': pred.next.lstm,
      'Markov oracle': truthLast.map((c) => oracleNextState(P, c)),
    },
  };
}

/** Sentences on whether the sequence model's temporal context helps, from the comparisons. */
export function verdicts(rows: Table6Row[], comparisons: Table6Comparison[]): string[] {
  const pp = (v: number): string => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)} pp`;
  const out: string[] = [];
  for (const c of comparisons.filter((x) => x.a === 'CNN+LSTM' && x.b === 'per-frame CNN')) {
    const base = c.task === 'current' ? 'the per-frame CNN' : 'persistence (the per-frame CNN)';
    const what = c.task === 'current' ? 'Task (a), current frame' : 'Task (b), next state';
    let s =
      `${what}, ${c.condition}: the CNN+LSTM's temporal context ${c.verdict === 'helps' ? 'helps' : c.verdict === 'hurts' ? 'hurts' : 'makes no significant difference'}` +
      ` (${pp(c.accuracyDiff.estimate)} accuracy over ${base}, 95 % CI [${pp(c.accuracyDiff.lo)}, ${pp(c.accuracyDiff.hi)}], McNemar p = ${c.mcnemar.pValue.toPrecision(2)}).`;
    const hmm = comparisons.find(
      (x) =>
        x.a === 'CNN+LSTM' &&
        x.b === 'HMM filter' &&
        x.task === c.task &&
        x.condition === c.condition,
    );
    if (hmm)
      s += ` Against the HMM filter (same CNN, known chain): ${pp(hmm.accuracyDiff.estimate)}, p = ${hmm.mcnemar.pValue.toPrecision(2)}.`;
    if (c.task === 'next') {
      const acc = (m: DynamicsModel): number | undefined =>
        rows.find((r) => r.task === 'next' && r.condition === c.condition && r.model === m)
          ?.accuracy.estimate;
      const [lstm, oracle] = [acc('CNN+LSTM'), acc('Markov oracle')];
      if (lstm !== undefined && oracle !== undefined)
        s += ` The CNN+LSTM reaches ${(100 * lstm).toFixed(1)} %, the oracle (true current state) ${(100 * oracle).toFixed(1)} %.`;
    }
    out.push(s);
  }
  return out;
}

/** lib/train's settings for the per-frame CNN of `cfg`. */
function frameTrainConfig(cfg: DynamicsConfig): TrainConfig {
  return resolveTrainConfig('cnn', 'quick', {
    widthMultiplier: cfg.width,
    limitTrain: cfg.frameImages,
    limitVal: cfg.frameValImages,
    epochs: cfg.frameEpochs,
    learningRate: cfg.frameLr,
    batchSize: cfg.frameBatchSize,
    dropout: cfg.frameDropout,
    seed: cfg.seed,
    splitSeed: cfg.splitSeed,
    backend: cfg.backend,
    out: cfg.frameOut,
    csv: cfg.csv,
    cacheDir: cfg.cacheDir,
  });
}

/**
 * The per-frame CNN saved in cfg.frameOut, if it was trained with exactly cfg's settings on
 * this dataset (so a fresh clone reuses the committed one instead of training for minutes).
 */
export async function savedFrameCnn(
  cfg: DynamicsConfig,
  ds: FerDataset,
): Promise<{ model: tf.LayersModel; meta: StudyModelMeta } | null> {
  const metaFile = path.join(cfg.frameOut, 'meta.json');
  if (!fs.existsSync(metaFile)) return null;
  const want = frameTrainConfig(cfg);
  let meta: StudyModelMeta;
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as StudyModelMeta;
  } catch {
    return null; // unreadable: train a new one over it
  }
  const c = meta.config;
  const same =
    meta.architecture === want.model &&
    meta.split === 'official' &&
    meta.datasetSha256 === ds.sha256 &&
    meta.seed === want.seed &&
    meta.widthMultiplier === want.widthMultiplier &&
    (
      [
        'limitTrain',
        'limitVal',
        'epochs',
        'learningRate',
        'batchSize',
        'dropout',
        'splitSeed',
      ] as const
    ).every((k) => c[k] === want[k]);
  return same ? loadStudyModel(cfg.frameOut) : null;
}

/**
 * Trains the per-frame CNN of `cfg` (lib/train's seeded loop, on the official split's training
 * rows only) and saves it to cfg.frameOut.
 */
export async function trainFrameCnn(
  cfg: DynamicsConfig,
  ds: FerDataset,
  opts: { log?: (line: string) => void; progress?: boolean | { every?: number } } = {},
): Promise<{ model: tf.LayersModel; meta: StudyModelMeta }> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const tcfg = frameTrainConfig(cfg);
  log(
    `per-frame CNN: training ${tcfg.model} width ${cfg.width} on ${cfg.frameImages || 'all'} faces for ${cfg.frameEpochs} epochs -> ${cfg.frameOut}`,
  );
  const progress = opts.progress ?? false;
  return train(tcfg, {
    dataset: ds,
    log,
    progress: progress === true ? {} : progress === false ? false : { every: progress.every },
  });
}

/** Runs the whole experiment and (by default) writes cfg.out. */
export async function runDynamics(
  cfg: DynamicsConfig,
  opts: RunDynamicsOptions = {},
): Promise<DynamicsResult> {
  validateDynamicsConfig(cfg);
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const t0 = Date.now();
  const backend = await setupBackend(cfg.backend, { log });
  const ds = opts.dataset ?? (await loadFer2013({ csv: cfg.csv, cacheDir: cfg.cacheDir, log }));
  const P = opts.P ?? defaultTransitionMatrix();

  // 1. The per-frame CNN: given (tests), loaded (--frame-model) or trained here.
  const tf0 = Date.now();
  let frame: GivenFrameModel;
  let frameInfo: DynamicsResult['frameModel'];
  if (opts.frame) {
    frame = opts.frame;
    frameInfo = {
      source: 'given',
      dir: null,
      architecture: frame.model.name,
      params: paramCounts(frame.model).total,
      widthMultiplier: null,
      trainImages: frame.trainRows.length,
      bestValAccuracy: null,
      seconds: 0,
      trainingSeconds: null,
    };
  } else {
    let meta: StudyModelMeta;
    let model: tf.LayersModel;
    let dir: string;
    let loaded = !!cfg.frameModel;
    if (cfg.frameModel) {
      dir = cfg.frameModel;
      ({ model, meta } = await loadStudyModel(dir));
      if (meta.split !== 'official')
        throw new FerError(
          `the frame model was trained on split '${meta.split}'; the dynamics test sequences use the official split's test rows, so it must be 'official'`,
          path.join(dir, 'meta.json'),
        );
      if (meta.datasetSha256 !== ds.sha256)
        throw new FerError(
          'the frame model was trained on a different dataset file',
          path.join(dir, 'meta.json'),
        );
      log(`per-frame CNN: loaded ${dir} (${meta.architecture}, width ${meta.widthMultiplier})`);
    } else {
      dir = cfg.frameOut;
      const saved = opts.retrain ? null : await savedFrameCnn(cfg, ds);
      if (saved) log(`per-frame CNN: loaded ${dir} (saved with these settings)`);
      loaded = !!saved;
      ({ model, meta } = saved ?? (await trainFrameCnn(cfg, ds, { log, progress: opts.progress })));
    }
    // The rows the CNN learnt from, recreated from its meta (train() never reads test rows).
    const c = meta.config as {
      limitTrain?: number;
      limitVal?: number;
      valFraction?: number;
      splitSeed?: number;
    };
    const rows = trainValRows(
      ds,
      resolveTrainConfig(meta.architecture, meta.profile === 'paper' ? 'paper' : 'quick', {
        split: 'official',
        limitTrain: c.limitTrain,
        limitVal: c.limitVal,
        valFraction: c.valFraction,
        splitSeed: c.splitSeed,
      }),
    );
    if ((c.splitSeed ?? 0) !== cfg.splitSeed)
      throw new FerError(
        `the frame model's split seed is ${c.splitSeed}, this run's is ${cfg.splitSeed}; use --split-seed ${c.splitSeed}`,
      );
    frame = { model, trainRows: rows.train };
    frameInfo = {
      source: loaded ? 'loaded' : 'trained',
      dir: portablePath(dir),
      architecture: meta.architecture,
      params: meta.params,
      widthMultiplier: meta.widthMultiplier,
      trainImages: rows.train.length,
      bestValAccuracy: meta.best.valAccuracy,
      seconds: 0,
      trainingSeconds: meta.wallSeconds,
    };
  }
  frameInfo.seconds = (Date.now() - tf0) / 1000;
  const prior = classPrior(ds.labels, frame.trainRows);

  // 2. Sequences from disjoint pools.
  const pools = dynamicsPools(ds, { splitSeed: cfg.splitSeed, exclude: frame.trainRows });
  const seedRng = new Rng(cfg.seed);
  const gen = (pool: Int32Array, n: number): DynamicsSequences =>
    makeDynamicsSequences(ds.labels, pool, { n, T: cfg.T, seed: seedRng.seed(), P });
  const trainSeqs = gen(pools.train, cfg.sequences);
  const valSeqs = gen(pools.val, cfg.valSequences);
  const testSeqs = gen(pools.test, cfg.testSequences);
  checkDisjoint(
    ds,
    Int32Array.from([...trainSeqs.rows, ...valSeqs.rows]),
    testSeqs.rows,
    'train/val vs test sequences',
  );
  log(
    `sequences: ${trainSeqs.n} train / ${valSeqs.n} val / ${testSeqs.n} test, T = ${cfg.T}; face pools ${pools.train.length} / ${pools.val.length} / ${pools.test.length} ` +
      `(${pools.excludedFrameTrain} faces the CNN trained on kept out, ${pools.droppedLeakedTest} leaked test faces dropped)`,
  );

  // 3. Sequence model: frozen encoder features, then the temporal part.
  const encoder = frameEncoder(frame.model);
  const te0 = Date.now();
  const trainF = encodeSequences(encoder, ds, trainSeqs);
  const valF = encodeSequences(encoder, ds, valSeqs);
  const featureSeconds = (Date.now() - te0) / 1000;
  log(`encoder features: ${trainF.F} per frame, ${featureSeconds.toFixed(1)} s`);
  const ts0 = Date.now();
  const temporal = buildTemporalModel({
    T: cfg.T,
    featureDim: trainF.F,
    units: cfg.units,
    seed: cfg.seed,
  });
  const fit = await trainTemporalModel(
    temporal,
    { features: trainF, seqs: trainSeqs },
    { features: valF, seqs: valSeqs },
    { epochs: cfg.epochs, patience: cfg.patience, batchSize: cfg.batchSize, seed: cfg.seed, log },
  );
  const sequenceSeconds = (Date.now() - ts0) / 1000;
  const full = assembleSequenceModel(encoder, temporal);

  // 4. Evaluation, clean and noisy, on the same test sequences.
  const tv0 = Date.now();
  const conditions = [{ condition: 'clean', noise: 0 }];
  if (cfg.noise > 0) conditions.push({ condition: `noise σ=${cfg.noise}`, noise: cfg.noise });
  const rows: Table6Row[] = [];
  const comparisons: Table6Comparison[] = [];
  const boot = { resamples: cfg.bootstrap, seed: cfg.seed };
  const truth: Record<DynamicsTask, Int32Array> = {
    current: lastStates(testSeqs),
    next: nextStates(testSeqs),
  };
  for (const cond of conditions) {
    const preds = predictAll(ds, testSeqs, frame.model, full, P, prior, {
      noise: cond.noise,
      seed: cfg.seed + 17,
    });
    for (const task of ['current', 'next'] as const) {
      const where = { ...cond, task };
      rows.push(...table6Rows(truth[task], preds[task], where, boot));
      const p = preds[task];
      for (const [a, b] of [
        ['CNN+LSTM', 'per-frame CNN'],
        ['HMM filter', 'per-frame CNN'],
        ['CNN+LSTM', 'HMM filter'],
      ] as const)
        comparisons.push(
          compareModels(
            truth[task],
            { model: a, pred: p[a]! },
            { model: b, pred: p[b]! },
            where,
            boot,
          ),
        );
    }
    log(`evaluated ${cond.condition}`);
  }
  const evalSeconds = (Date.now() - tv0) / 1000;
  const pi = stationaryDistribution(P);
  const result: DynamicsResult = {
    experiment: 'emotion-dynamics',
    createdAt: new Date().toISOString(),
    gitCommit: gitCommit(),
    backend,
    datasetSha256: ds.sha256,
    config: {
      ...cfg,
      frameOut: portablePath(cfg.frameOut),
      out: portablePath(cfg.out),
      ...(cfg.frameModel ? { frameModel: portablePath(cfg.frameModel) } : {}),
    },
    chain: {
      states: EMOTIONS,
      P,
      stationary: pi,
      oracleNextAccuracyAnalytic: oracleNextStateAccuracy(P),
      majorityStateAccuracy: Math.max(...pi),
    },
    pools: {
      train: pools.train.length,
      val: pools.val.length,
      test: pools.test.length,
      droppedLeakedTest: pools.droppedLeakedTest,
      excludedFrameTrain: pools.excludedFrameTrain,
      trainTestDisjoint: true,
    },
    frameModel: frameInfo,
    sequenceModel: {
      featureDim: trainF.F,
      units: cfg.units,
      temporalParams: paramCounts(temporal).total,
      bestEpoch: fit.bestEpoch,
      stoppedEarly: fit.stoppedEarly,
      history: fit.history,
      seconds: sequenceSeconds,
    },
    rows,
    comparisons,
    verdict: verdicts(rows, comparisons),
    seconds: {
      total: (Date.now() - t0) / 1000,
      frameModel: frameInfo.seconds,
      features: featureSeconds,
      sequenceModel: sequenceSeconds,
      evaluation: evalSeconds,
    },
  };
  if (opts.write !== false) writeJsonAtomic(cfg.out, result);
  return result;
}
