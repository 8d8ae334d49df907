/**
 * Table 2: what a model costs. Parameters, FLOPs per image, size on disk, and time per image
 * measured two ways because the paper does not say how it timed: batch-1 latency (median and
 * p95 after warm-up) and batch-N throughput.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { flopsPerImage, paramCounts } from '../models';
import { Rng } from '../util/rng';
import { quantileSorted } from './stats';
import type { Table2Result } from './types';

export interface TimingOptions {
  /** Untimed batch-1 calls first (kernel compilation, allocator warm-up). Default 10. */
  warmup?: number;
  /** Timed batch-1 calls. Default 100. */
  runs?: number;
  /** Batch size for throughput. Default 256. */
  batchSize?: number;
  /** Timed throughput calls (after one untimed call). Default 3. */
  throughputRuns?: number;
  /** Saved model folder, for the size on disk. */
  modelDir?: string;
  seed?: number;
}

/** Bytes of all files under `dir` (recursively); null when it does not exist. */
export function dirSizeBytes(dir: string): number | null {
  if (!fs.existsSync(dir)) return null;
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += dirSizeBytes(p) ?? 0;
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

/** `batch` uniform random images shaped for the model's input. */
export function randomInput(model: tf.LayersModel, batch: number, rng: Rng): tf.Tensor {
  const shape = model.inputs[0].shape.slice(1).map((d) => d ?? 1);
  const size = shape.reduce((a, b) => a * b, 1) * batch;
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.next()),
    [batch, ...shape],
  );
}

/**
 * Wall time of one predict including reading the result back (what a user waits for). Without
 * `batchSize`, tfjs's predict splits `x` into chunks of 32; pass x's length for one real batch.
 */
export async function timeOnce(
  model: tf.LayersModel,
  x: tf.Tensor,
  batchSize?: number,
): Promise<number> {
  const t0 = performance.now();
  const y = model.predict(x, batchSize === undefined ? {} : { batchSize }) as tf.Tensor;
  await y.data();
  const t1 = performance.now();
  y.dispose();
  return t1 - t0;
}

/** Batch-1 latency and batch-N throughput on the active tfjs backend. */
export async function measureTiming(
  model: tf.LayersModel,
  opts: TimingOptions = {},
): Promise<Pick<Table2Result, 'backend' | 'latencyBatch1' | 'throughput'>> {
  const warmup = opts.warmup ?? 10,
    runs = opts.runs ?? 100,
    batchSize = opts.batchSize ?? 256,
    throughputRuns = opts.throughputRuns ?? 3;
  const rng = new Rng(opts.seed ?? 0);
  const x1 = randomInput(model, 1, rng);
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup; i++) await timeOnce(model, x1);
    for (let i = 0; i < runs; i++) times.push(await timeOnce(model, x1));
  } finally {
    x1.dispose();
  }
  times.sort((a, b) => a - b);
  const xb = randomInput(model, batchSize, rng);
  let total = 0;
  try {
    // One predict call per batch: tfjs would otherwise split it into chunks of 32.
    await timeOnce(model, xb, batchSize);
    for (let i = 0; i < throughputRuns; i++) total += await timeOnce(model, xb, batchSize);
  } finally {
    xb.dispose();
  }
  return {
    backend: tf.getBackend(),
    latencyBatch1: {
      medianMs: quantileSorted(times, 0.5),
      p95Ms: quantileSorted(times, 0.95),
      runs,
      warmup,
    },
    throughput: { batchSize, msPerImage: total / throughputRuns / batchSize, runs: throughputRuns },
  };
}

/** Table 2 for one model. */
export async function table2(
  model: tf.LayersModel,
  opts: TimingOptions = {},
): Promise<Table2Result> {
  const counts = paramCounts(model);
  let flops: number | null;
  try {
    flops = flopsPerImage(model);
  } catch {
    flops = null; // a layer type the FLOP counter does not know
  }
  return {
    params: counts.total,
    trainableParams: counts.trainable,
    flopsPerImage: flops,
    sizeOnDiskBytes: opts.modelDir === undefined ? null : dirSizeBytes(opts.modelDir),
    ...(await measureTiming(model, opts)),
  };
}
