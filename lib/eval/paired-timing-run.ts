/**
 * `fer time`: the paired timing of ./paired-timing.ts measured on the active tfjs backend, and
 * the same two architectures in PyTorch on the same machine as a framework reference
 * (bench/backends_torch.py `paired`, Debian's python3-torch). The PyTorch side is optional:
 * where it cannot run, the result says why and everything else is unchanged.
 */
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { backendThreads, threadSetting } from '../backend';
import { portablePath, repoPath } from '../env';
import { flopsPerImage, paramCounts } from '../models';
import { loadStudyModel } from '../models/io';
import { writeJsonAtomic } from '../util/atomic';
import { FerError } from '../util/errors';
import { oneLine } from '../util/os-error';
import { checkOutputFile } from '../util/output-path';
import { Rng } from '../util/rng';
import {
  CI_TEXT,
  flopRatio,
  MIN_ROUNDS,
  ORDER_TEXT,
  PAIRED_TIMING_SCHEMA,
  summariseBatch,
  type PairedFrameworkTiming,
  type PairedTimingResult,
  type TimedModel,
} from './paired-timing';
import { resultKey } from './run';
import { randomInput, timeOnce } from './timing';

const execFileP = promisify(execFile);

/** The interpreter of the PyTorch reference (Debian's python3-torch installs into it). */
export const TORCH_PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = repoPath('bench', 'backends_torch.py');
/** Architectures bench/backends_torch.py can build. */
const TORCH_ARCHITECTURES: readonly string[] = ['cnn', 'cnn-lstm'];

export interface PairedTimingOptions {
  rounds: number;
  warmup: number;
  batches: number[];
  /** Seed of the random input images. Default 0. */
  seed?: number;
  log?: (s: string) => void;
}

/** Each round's ms per image of A and of B at one batch size. */
export interface RawBatchTiming {
  batchSize: number;
  msPerImage: [number[], number[]];
}

/**
 * The interleaved protocol on the active tfjs backend (ORDER_TEXT). Each call predicts its whole
 * batch at once (tfjs's predict would otherwise run it in chunks of 32).
 */
export async function measurePaired(
  models: [tf.LayersModel, tf.LayersModel],
  opts: PairedTimingOptions,
): Promise<RawBatchTiming[]> {
  if (opts.rounds < MIN_ROUNDS)
    throw new FerError(`paired timing needs at least ${MIN_ROUNDS} rounds, got ${opts.rounds}`);
  const out: RawBatchTiming[] = [];
  for (const b of opts.batches) {
    // The same seed gives both models the same images.
    const xs = models.map((m) => randomInput(m, b, new Rng(opts.seed ?? 0)));
    try {
      for (const [i, m] of models.entries())
        for (let w = 0; w < opts.warmup; w++) await timeOnce(m, xs[i], b);
      const ms: [number[], number[]] = [[], []];
      for (let r = 0; r < opts.rounds; r++)
        for (const i of r % 2 === 0 ? [0, 1] : [1, 0])
          ms[i].push((await timeOnce(models[i], xs[i], b)) / b);
      out.push({ batchSize: b, msPerImage: ms });
    } finally {
      for (const x of xs) x.dispose();
    }
  }
  return out;
}

/** Why the PyTorch reference cannot run here, or null when it can. */
export async function torchUnavailable(python = TORCH_PYTHON): Promise<string | null> {
  try {
    await execFileP(python, ['-c', 'import torch']);
    return null;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const last = (err.stderr ?? '').trim().split('\n').pop() || err.message;
    return `${python} cannot import torch (${oneLine(last, 200)}); install python3-torch`;
  }
}

interface TorchPairedOutput {
  torch: string;
  threads: number;
  models: { architecture: string; widthMultiplier: number; params: number }[];
  batches: RawBatchTiming[];
}

/** Why these two models cannot be timed in PyTorch here, or null when they can. */
export async function torchUnavailableFor(
  models: TimedModel[],
  python = TORCH_PYTHON,
): Promise<string | null> {
  const odd = models.find((m) => !TORCH_ARCHITECTURES.includes(m.architecture));
  if (odd)
    return `bench/backends_torch.py has no PyTorch version of architecture '${odd.architecture}' (only ${TORCH_ARCHITECTURES.join(', ')})`;
  return torchUnavailable(python);
}

/** The two architectures in PyTorch with the same protocol and thread count, or why not. */
export async function torchPaired(
  models: [TimedModel, TimedModel],
  threads: number,
  opts: PairedTimingOptions & { python?: string },
): Promise<PairedFrameworkTiming | { unavailable: string }> {
  const python = opts.python ?? TORCH_PYTHON;
  const why = await torchUnavailableFor(models, python);
  if (why) return { unavailable: why };
  const args = [
    TORCH_SCRIPT,
    'paired',
    String(threads),
    String(opts.rounds),
    String(opts.warmup),
    opts.batches.join(','),
    ...models.map((m) => `${m.architecture}:${m.widthMultiplier}`),
  ];
  let j: TorchPairedOutput;
  try {
    const { stdout } = await execFileP(python, args, { maxBuffer: 64 << 20 });
    j = JSON.parse(stdout) as TorchPairedOutput;
  } catch (e) {
    // Minutes of tfjs timing are already done: keep them and say what failed.
    const err = e as { stderr?: string; message: string };
    const last = (err.stderr ?? '').trim().split('\n').pop() || err.message;
    return { unavailable: `the PyTorch run failed: ${oneLine(last, 300)}` };
  }
  return {
    framework: 'pytorch',
    version: j.torch,
    backend: 'cpu',
    threads: j.threads,
    params: [j.models[0].params, j.models[1].params],
    batches: j.batches.map((b) => summariseBatch(b.batchSize, ...b.msPerImage)),
  };
}

/** For checkOutputFile: a result may be replaced only by the timing of the same two folders. */
export function timedBy(dirs: [string, string]): (j: Record<string, unknown>) => string | null {
  return (j) => {
    const ms = Array.isArray(j.models) ? (j.models as { dir?: unknown }[]) : [];
    const have = ms.map((m) => String(m?.dir));
    return have.length === 2 && have.every((d, i) => d === portablePath(dirs[i]))
      ? null
      : `holds the timing of ${have.join(' and ') || 'other models'}`;
  };
}

/**
 * Loads the two model folders, times them on the active tfjs backend and, unless `torch` is
 * 'off', in PyTorch ('require': a FerError before any timing when PyTorch cannot run), and
 * writes the PairedTimingResult to `out` atomically.
 */
export async function runPairedTiming(
  dirs: [string, string],
  opts: PairedTimingOptions & {
    torch: 'auto' | 'require' | 'off';
    out: string;
    /** checkOutputFile's producer check for `out` (the CLI's, for its default path). */
    sameProducer?: (existing: Record<string, unknown>) => string | null;
    python?: string;
  },
): Promise<PairedTimingResult> {
  const log = opts.log ?? (() => undefined);
  const loaded = await Promise.all(dirs.map((d) => loadStudyModel(d)));
  const models = loaded.map(({ model, meta }, i): TimedModel => {
    let flops: number | null;
    try {
      flops = flopsPerImage(model);
    } catch {
      flops = meta.flopsPerImage ?? null; // a layer type the FLOP counter does not know
    }
    return {
      name: resultKey(dirs[i]),
      dir: portablePath(dirs[i]),
      architecture: meta.architecture,
      widthMultiplier: meta.widthMultiplier,
      params: paramCounts(model).total,
      flopsPerImage: flops,
    };
  }) as [TimedModel, TimedModel];
  const backend = tf.getBackend();
  const setting = threadSetting();
  const threads = backendThreads(backend) ?? null;
  if (opts.torch === 'require') {
    const why = await torchUnavailableFor(models, opts.python);
    if (why) throw new FerError(`--torch: ${why}`);
  }
  const before = os.loadavg();
  log(
    `tfjs ${backend}, ${threads ?? '?'} threads: ${opts.rounds} rounds at batch ${opts.batches.join(', ')} ...`,
  );
  let raw: RawBatchTiming[];
  try {
    raw = await measurePaired([loaded[0].model, loaded[1].model], opts);
  } finally {
    for (const l of loaded) l.model.dispose();
  }
  const tfjs: PairedFrameworkTiming = {
    framework: 'tfjs',
    version: tf.version.tfjs,
    backend,
    threads,
    params: [models[0].params, models[1].params],
    batches: raw.map((b) => summariseBatch(b.batchSize, ...b.msPerImage)),
  };
  let torch: PairedTimingResult['torch'] = { unavailable: 'skipped (--no-torch)' };
  if (opts.torch !== 'off') {
    log(`pytorch, ${threads ?? setting.threads} threads ...`);
    torch = await torchPaired(models, threads ?? setting.threads, opts);
    if ('unavailable' in torch) log(`pytorch: ${torch.unavailable}`);
    else if (torch.params.some((p, i) => p !== models[i].params))
      log(
        `pytorch: parameter counts ${torch.params.join(', ')} differ from tfjs's ${models.map((m) => m.params).join(', ')}`,
      );
  }
  const cpus = os.cpus();
  const result: PairedTimingResult = {
    schema: PAIRED_TIMING_SCHEMA,
    createdAt: new Date().toISOString(),
    models,
    flopRatio: flopRatio(models[0].flopsPerImage, models[1].flopsPerImage),
    protocol: {
      rounds: opts.rounds,
      warmup: opts.warmup,
      batches: [...opts.batches],
      order: ORDER_TEXT,
      ci: CI_TEXT,
      seed: opts.seed ?? 0,
    },
    machine: {
      cpuModel: cpus[0]?.model ?? 'unknown',
      cores: os.availableParallelism(),
      nodeVersion: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      loadAverage: { before, after: os.loadavg() },
    },
    threadSetting: setting,
    tfjs,
    torch,
  };
  // Checked again: the file may have appeared during the minutes of timing.
  checkOutputFile(opts.out, PAIRED_TIMING_SCHEMA, opts.sameProducer);
  writeJsonAtomic(opts.out, result);
  return result;
}
