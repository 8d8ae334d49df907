/**
 * Synthetic evaluation results for the report tests, computed by lib/eval from synthetic
 * predictions (never hand-typed metrics): a model that is right with probability
 * `skill * decay(level)` and otherwise guesses, drifting towards one class under heavy noise.
 */
import { PAPER_NOISE_LEVELS } from '../lib/data/noise';
import { calibrationSummary } from '../lib/eval/calibration';
import { constantPredictorScores } from '../lib/eval/collapse';
import {
  bandFromPredictions,
  correctnessRecord,
  metricAudit,
  pairedLevels,
  table1FromPredictions,
  table34FromPredictions,
  table5FromPredictions,
  type PredictionRun,
} from '../lib/eval/experiments';
import type { CompareResult, EvalResult } from '../lib/eval/types';
import { compareWithPaper } from '../lib/eval/paper';
import type { ModelName, StudyModelMeta } from '../lib/models/meta';
import { Rng } from '../lib/util/rng';

const PREVALENCE = [0.14, 0.015, 0.14, 0.25, 0.17, 0.115, 0.17];

export function syntheticLabels(n: number, seed = 1): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => {
    let u = rng.next();
    for (let c = 0; c < 7; c++) if ((u -= PREVALENCE[c]) < 0) return c;
    return 6;
  });
}

function predict(y: Int32Array, skill: number, sink: number, rng: Rng): Int32Array {
  return Int32Array.from(y, (t) => {
    if (rng.next() < skill) return t;
    return rng.next() < sink ? 6 : rng.int(7);
  });
}

export function syntheticMeta(arch: ModelName, params: number): StudyModelMeta {
  return {
    architecture: arch,
    params,
    trainableParams: params - 1000,
    flopsPerImage: 1e7,
    widthMultiplier: 1,
    profile: 'quick',
    seed: 0,
    split: 'official',
    epochsRun: 3,
    bestEpoch: 2,
    best: { valLoss: 1.2, valAccuracy: 0.5 },
    backend: 'cpu',
    gitCommit: null,
    datasetSha256: 'synthetic',
    wallSeconds: 12.5,
    tfjsVersion: '4.22.0',
    createdAt: '2025-01-01T00:00:00.000Z',
    config: {},
  };
}

export interface SyntheticStudy {
  yTrue: Int32Array;
  evals: EvalResult[];
  compare: CompareResult;
}

export function syntheticStudy(n = 400): SyntheticStudy {
  const yTrue = syntheticLabels(n);
  const levels = [0, ...PAPER_NOISE_LEVELS];
  const seeds = [0, 1];
  const spec = {
    cnn: { skill: 0.6, decay: 12, params: 4_478_727 },
    'cnn-lstm': { skill: 0.55, decay: 8, params: 2_000_000 },
  };
  const runsOf: Record<string, PredictionRun[]> = {};
  const evals = (['cnn', 'cnn-lstm'] as const).map((arch, k): EvalResult => {
    const s = spec[arch];
    const runs: PredictionRun[] = [];
    for (const level of levels)
      for (const seed of seeds) {
        const rng = new Rng(1000 * k + 10 * seed + Math.round(level * 1000));
        runs.push({
          level,
          seed,
          yPred: predict(yTrue, s.skill * Math.exp(-s.decay * level), Math.min(1, level * 4), rng),
        });
      }
    runsOf[arch] = runs;
    const clean = runs[0].yPred;
    const probs = new Float32Array(n * 7);
    clean.forEach((p, i) => {
      for (let c = 0; c < 7; c++) probs[i * 7 + c] = c === p ? 0.58 : 0.07;
    });
    const boot = { resamples: 50, seed: 0 };
    const t1 = table1FromPredictions(yTrue, probs, { bootstrap: boot });
    const t34 = table34FromPredictions(yTrue, runs);
    const t5 = table5FromPredictions(yTrue, clean, { bootstrap: boot });
    const t2 = {
      params: s.params,
      trainableParams: s.params - 1000,
      flopsPerImage: 1e7,
      sizeOnDiskBytes: s.params * 4,
      backend: 'cpu',
      latencyBatch1: { medianMs: 4 + k, p95Ms: 5 + k, runs: 20, warmup: 3 },
      throughput: { batchSize: 64, msPerImage: 1 + k / 2, runs: 5 },
    };
    const tables = { table1: t1, table2: t2, table34: t34, table5: t5 };
    return {
      schema: 'fer-eval/1',
      createdAt: '2025-01-01T00:00:00.000Z',
      model: {
        name: `${arch}-quick`,
        dir: `models/${arch}-quick`,
        meta: syntheticMeta(arch, s.params),
      },
      data: {
        datasetSha256: 'synthetic',
        split: 'official',
        splitSeed: 0,
        nTest: n,
        nTestFull: n,
        limited: false,
      },
      backend: 'cpu',
      ...tables,
      audit: metricAudit(t1, t34, t5),
      paperComparison: compareWithPaper(arch, tables),
      calibration: calibrationSummary(yTrue, probs),
      constantBaselines: constantPredictorScores(yTrue),
    };
  });
  const compare: CompareResult = {
    schema: 'fer-compare/1',
    createdAt: '2025-01-01T00:00:00.000Z',
    a: { name: 'cnn-quick', dir: 'models/cnn-quick', meta: evals[0].model.meta },
    b: { name: 'cnn-lstm-quick', dir: 'models/cnn-lstm-quick', meta: evals[1].model.meta },
    data: evals[0].data,
    backend: 'cpu',
    levels: pairedLevels(yTrue, runsOf.cnn, runsOf['cnn-lstm']),
    band: bandFromPredictions(yTrue, runsOf.cnn, runsOf['cnn-lstm']),
    correctness: correctnessRecord(yTrue, runsOf.cnn, runsOf['cnn-lstm']),
  };
  return { yTrue, evals, compare };
}
