/**
 * `npm run bench -- --only backends [--backends onednn,wasm,cpu] [--compare-torch]
 *  [--threads 1,2] [--steps N] [--epoch-images N]`: the paper CNN (4,478,727 parameters) on
 *  each available tfjs backend, for each thread count T given (default 1): T compute threads
 *  on onednn and wasm (FER_THREADS and FER_WASM_THREADS) and T torch threads:
 *
 *   - training ms/image at batch 64 (Adam 5e-4, categorical cross-entropy; median of --steps
 *     steps after one warm-up step), wall-clock and process CPU time;
 *   - inference latency of one image (batch 1, after warm-up): median and p95;
 *   - inference throughput at batch 256 (images/s);
 *   - peak RSS of the process.
 *
 * Each backend runs in its own child process, so that peak RSS and wasm heap growth belong to
 * it alone. `--compare-torch` runs the same architecture in PyTorch (bench/backends_torch.py,
 * Debian's python3-torch) with the same thread count and prints tfjs/torch ratios.
 * The cpu backend (plain JS) is far slower: it is measured only when named in --backends, and
 * then trains at batch 8 and measures throughput at batch 16 (the table says so).
 *
 * Every thread count's tfjs backends and torch peer run one after the other in the same bench
 * run (`sameRun: true` in the JSON), with the load average before and after, since other jobs
 * on the machine slow all of them. `--epoch-images N` (with FER2013_CSV set) also trains both
 * paper models for one epoch of N real training images (0 = the whole training split, 25,838)
 * with `fer train --profile paper` on the first backend at the largest thread count, and reports
 * the measured seconds and, for a fraction, the seconds scaled to a full epoch (labelled so).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

interface BackendResult {
  backend: string;
  available: boolean;
  reason?: string;
  params?: number;
  /** Compute threads: oneDNN's on onednn, XNNPACK's on wasm. */
  threads?: number;
  trainBatch?: number;
  trainMsPerImage?: number;
  trainCpuMsPerImage?: number;
  latencyMedianMs?: number;
  latencyP95Ms?: number;
  throughputBatch?: number;
  throughputImgPerS?: number;
  peakRssMiB?: number;
}

interface TorchResult {
  torch: string;
  threads: number;
  params: number;
  trainMsPerImage: number;
  trainCpuMsPerImage: number;
  latencyMedianMs: number;
  latencyP95Ms: number;
  throughputImgPerS: number;
  peakRssMiB: number;
}

function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function paperCnn(): Promise<tf.LayersModel> {
  const { buildCnn } = await import('../lib/models');
  return buildCnn({ seed: 1 });
}

/** Measures one backend in this process (the child side). */
async function measure(name: string, steps: number): Promise<BackendResult> {
  const { setupBackend, probeBackend, parseBackendName, backendThreads } =
    await import('../lib/backend');
  const wanted = parseBackendName(name);
  if (wanted === 'auto') throw new Error('name a concrete backend');
  const p = await probeBackend(wanted);
  if (!p.available) return { backend: name, available: false, reason: p.reason };
  await setupBackend(wanted);
  const slow = wanted === 'cpu';
  const trainBatch = slow ? 8 : 64;
  const tpBatch = slow ? 16 : 256;
  const model = await paperCnn();
  model.compile({ optimizer: tf.train.adam(5e-4), loss: 'categoricalCrossentropy' });
  const x = tf.randomUniform([trainBatch, 48, 48, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([trainBatch], 0, 7, 'int32', 2) as tf.Tensor1D, 7);
  await model.trainOnBatch(x, y);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < (slow ? 1 : steps); i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await model.trainOnBatch(x, y);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  tf.dispose([x, y]);

  const predict = (t: tf.Tensor): void => {
    const out = model.predict(t) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
  const one = tf.randomUniform([1, 48, 48, 1], 0, 1, 'float32', 3);
  for (let i = 0; i < 3; i++) predict(one);
  const lat: number[] = [];
  for (let i = 0; i < (slow ? 5 : 30); i++) {
    const t0 = performance.now();
    predict(one);
    lat.push(performance.now() - t0);
  }
  const big = tf.randomUniform([tpBatch, 48, 48, 1], 0, 1, 'float32', 4);
  predict(big);
  const tp: number[] = [];
  for (let i = 0; i < (slow ? 1 : 2); i++) {
    const t0 = performance.now();
    predict(big);
    tp.push(performance.now() - t0);
  }
  return {
    backend: name,
    available: true,
    reason: p.reason,
    threads: backendThreads(wanted),
    params: model.countParams(),
    trainBatch,
    trainMsPerImage: median(wall) / trainBatch,
    trainCpuMsPerImage: median(cpu) / trainBatch,
    latencyMedianMs: median(lat),
    latencyP95Ms: quantile(lat, 0.95),
    throughputBatch: tpBatch,
    throughputImgPerS: (tpBatch * 1000) / median(tp),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

/** Runs `measure` for one backend in a fresh child process (same tsx loader). */
function measureInChild(name: string, steps: number, threads: number): BackendResult {
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, __filename, '--child', name, '--steps', String(steps)],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FER_THREADS: String(threads), FER_WASM_THREADS: String(threads) },
    },
  );
  const line = r.stdout.split('\n').find((l) => l.startsWith('{"backend"'));
  if (r.status !== 0 || !line)
    return {
      backend: name,
      available: false,
      reason: `bench child failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`,
    };
  return JSON.parse(line) as BackendResult;
}

function runTorch(threads: number, steps: number): TorchResult | string {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return 'python3-torch is not installed (apt-get install python3-torch, or scripts/setup.sh --with-torch)';
  }
  const script = path.join(__dirname, 'backends_torch.py');
  const out = execFileSync(
    '/usr/bin/python3',
    [script, String(threads), String(steps), '30', '2'],
    { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } },
  );
  return JSON.parse(out.trim().split('\n').pop() as string) as TorchResult;
}

const f1 = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(1));
const f2 = (v: number): string => `${v.toFixed(2)}x`;

interface ThreadRun {
  threads: number;
  results: BackendResult[];
  torch?: TorchResult | string;
  ratios: Record<string, Record<string, number>>;
}

/** Measures every backend (and torch) at one thread count. */
function measureThreads(
  names: string[],
  steps: number,
  threads: number,
  withTorch: boolean,
): ThreadRun {
  const results = names.map((n) => {
    process.stderr.write(`bench backends: ${n}, ${threads} thread(s) ...\n`);
    return measureInChild(n, steps, threads);
  });
  let torch: TorchResult | string | undefined;
  if (withTorch) {
    process.stderr.write(`bench backends: torch, ${threads} thread(s) ...\n`);
    torch = runTorch(threads, steps);
  }
  const ratios: Record<string, Record<string, number>> = {};
  const wasm = results.find((r) => r.backend === 'wasm' && r.available);
  for (const r of results.filter((q) => q.available && q.trainBatch === 64)) {
    const q: Record<string, number> = {};
    if (torch && typeof torch !== 'string') {
      q.train = (r.trainMsPerImage as number) / torch.trainMsPerImage;
      // Process CPU time: robust when other jobs share the cores (wall time is not).
      q.trainCpu = (r.trainCpuMsPerImage as number) / torch.trainCpuMsPerImage;
      q.latency = (r.latencyMedianMs as number) / torch.latencyMedianMs;
      q.throughput256 = torch.throughputImgPerS / (r.throughputImgPerS as number);
    }
    if (wasm && r !== wasm)
      q.latencyVsWasm = (r.latencyMedianMs as number) / (wasm.latencyMedianMs as number);
    ratios[r.backend] = q;
  }
  return { threads, results, torch, ratios };
}

function tableFor(run: ThreadRun): string[] {
  const lines = [
    `-- ${run.threads} thread(s) --`,
    'backend        train ms/img  (cpu ms)  batch  lat med  lat p95  img/s (batch)  peak RSS MiB',
  ];
  for (const r of run.results) {
    if (!r.available) {
      lines.push(`${r.backend.padEnd(14)} unavailable: ${r.reason}`);
      continue;
    }
    lines.push(
      `${r.backend.padEnd(14)} ${f1(r.trainMsPerImage).padStart(12)}  ${f1(r.trainCpuMsPerImage).padStart(8)}  ${String(r.trainBatch).padStart(5)}  ${f1(r.latencyMedianMs).padStart(7)}  ${f1(r.latencyP95Ms).padStart(7)}  ${f1(r.throughputImgPerS).padStart(6)} (${r.throughputBatch})  ${f1(r.peakRssMiB).padStart(12)}`,
    );
  }
  const torch = run.torch;
  if (typeof torch === 'string') lines.push(`torch: ${torch}`);
  else if (torch)
    lines.push(
      `${`torch ${torch.torch}`.padEnd(14)} ${f1(torch.trainMsPerImage).padStart(12)}  ${f1(torch.trainCpuMsPerImage).padStart(8)}  ${'64'.padStart(5)}  ${f1(torch.latencyMedianMs).padStart(7)}  ${f1(torch.latencyP95Ms).padStart(7)}  ${f1(torch.throughputImgPerS).padStart(6)} (256)  ${f1(torch.peakRssMiB).padStart(12)}`,
    );
  if (Object.keys(run.ratios).length)
    lines.push(
      'ratios (goals for onednn: train <= 1.5x torch, batch-256 time <= 1x torch, batch-1 latency <= 1x wasm):',
    );
  for (const [name, q] of Object.entries(run.ratios).filter(([, v]) => Object.keys(v).length)) {
    const parts = [];
    if (q.train !== undefined)
      parts.push(
        `train ${f2(q.train)} torch (CPU time ${f2(q.trainCpu)})`,
        `batch-256 time ${f2(q.throughput256)} torch`,
        `batch-1 latency ${f2(q.latency)} torch`,
      );
    if (q.latencyVsWasm !== undefined) parts.push(`batch-1 latency ${f2(q.latencyVsWasm)} wasm`);
    lines.push(`  ${name}: ${parts.join(', ')}`);
  }
  return lines;
}

interface EpochResult {
  model: string;
  backend: string;
  threads: number;
  images: number;
  /** Measured seconds of the (possibly partial) epoch, from train-log.jsonl. */
  seconds?: number;
  /** `seconds` scaled to the 25,838 training images of a full epoch (absent when measured whole). */
  fullEpochSecondsScaled?: number;
  error?: string;
}

const FULL_EPOCH_IMAGES = 25_838;

/** One epoch of `images` real images (0 = all) with `fer train --profile paper`, in a child. */
function measureEpoch(
  model: string,
  backend: string,
  threads: number,
  images: number,
): EpochResult {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-bench-epoch-'));
  try {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, '..', 'lib', 'cli', 'index.ts'),
        'train',
        '--model',
        model,
        '--profile',
        'paper',
        '--epochs',
        '1',
        '--limit-train',
        String(images),
        '--limit-val',
        '64',
        '--backend',
        backend,
        '--out',
        path.join(out, 'model'),
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, FER_THREADS: String(threads), FER_WASM_THREADS: String(threads) },
      },
    );
    const logFile = path.join(out, 'model', 'train-log.jsonl');
    if (r.status !== 0 || !fs.existsSync(logFile))
      return {
        model,
        backend,
        threads,
        images,
        error: (r.stderr || '').trim().split('\n').slice(-2).join(' | '),
      };
    const entry = JSON.parse(fs.readFileSync(logFile, 'utf8').trim().split('\n')[0]) as {
      seconds: number;
    };
    const n = images === 0 ? FULL_EPOCH_IMAGES : images;
    return {
      model,
      backend,
      threads,
      images: n,
      seconds: entry.seconds,
      ...(n < FULL_EPOCH_IMAGES
        ? { fullEpochSecondsScaled: (entry.seconds * FULL_EPOCH_IMAGES) / n }
        : {}),
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

export async function run(argv: string[]): Promise<{ json: unknown; table: string }> {
  const steps = Number(argValue(argv, 'steps') ?? 3);
  const threadList = (argValue(argv, 'threads') ?? '1').split(',').map(Number);
  if (threadList.some((t) => !Number.isInteger(t) || t < 1))
    throw new Error(
      `--threads takes positive integers, e.g. 1,2 (got ${argValue(argv, 'threads')})`,
    );
  let names = argValue(argv, 'backends')?.split(',');
  if (!names) {
    const { probeBackends } = await import('../lib/backend');
    // cpu takes over 10 minutes even at small batches: only when asked for by name.
    names = (await probeBackends()).map((p) => p.name).filter((n) => n !== 'cpu');
  }
  const loadStart = os.loadavg();
  const startedAt = new Date().toISOString();
  const backends = names;
  const runs = threadList.map((t) =>
    measureThreads(backends, steps, t, argv.includes('--compare-torch')),
  );
  const epochArg = argValue(argv, 'epoch-images');
  const epochs: EpochResult[] = [];
  if (epochArg !== undefined) {
    const t = Math.max(...threadList);
    for (const model of ['cnn', 'cnn-lstm']) {
      process.stderr.write(
        `bench backends: one epoch of ${model} on ${backends[0]}, ${t} thread(s) ...\n`,
      );
      epochs.push(measureEpoch(model, backends[0], t, Number(epochArg)));
    }
  }
  const lines = [
    'paper CNN (4,478,727 params); train = ms/img (batch), latency = batch 1 after warm-up',
  ];
  for (const r of runs) lines.push(...tableFor(r));
  for (const e of epochs)
    lines.push(
      e.error
        ? `epoch ${e.model} on ${e.backend}: failed: ${e.error}`
        : `epoch ${e.model} on ${e.backend}, ${e.threads} thread(s): ${e.seconds?.toFixed(0)} s for ${e.images} images` +
            (e.fullEpochSecondsScaled
              ? ` (a measured fraction; scaled to a full epoch of ${FULL_EPOCH_IMAGES}: ${(e.fullEpochSecondsScaled / 60).toFixed(1)} min)`
              : ' (a full epoch)'),
    );
  const loadEnd = os.loadavg();
  lines.push(
    `load average (1 min) before ${loadStart[0].toFixed(1)}, after ${loadEnd[0].toFixed(1)} on ${os.cpus().length} cores`,
  );
  return {
    json: {
      steps,
      threads: threadList,
      // The peer (torch) and every tfjs backend were measured in this one run, back to back.
      sameRun: true,
      startedAt,
      loadAverage1m: { start: loadStart[0], end: loadEnd[0] },
      runs,
      ...(epochs.length ? { epochs } : {}),
    },
    table: lines.join('\n'),
  };
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const child = argValue(argv, 'child');
  if (child)
    measure(child, Number(argValue(argv, 'steps') ?? 3)).then(
      (r) => {
        process.stdout.write(JSON.stringify(r) + '\n');
        process.exit(0);
      },
      (e: unknown) => {
        console.error(e instanceof Error ? (e.stack ?? e.message) : e);
        process.exit(1);
      },
    );
}
