/**
 * `npm run bench -- --only backends [--backends wasm,cpu] [--compare-torch] [--threads N]
 *  [--steps N]`: the paper CNN (4,478,727 parameters) on each available tfjs backend, with N
 *  (default 1) XNNPACK threads on wasm and N torch threads:
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
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

interface BackendResult {
  backend: string;
  available: boolean;
  reason?: string;
  params?: number;
  /** XNNPACK threads (wasm only). */
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
  const { setupBackend, probeBackend, parseBackendName, wasmThreadsInUse } =
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
    ...(wanted === 'wasm' ? { threads: wasmThreadsInUse() } : {}),
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
      env: { ...process.env, FER_WASM_THREADS: String(threads) },
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

export async function run(argv: string[]): Promise<{ json: unknown; table: string }> {
  const steps = Number(argValue(argv, 'steps') ?? 3);
  const threads = Number(argValue(argv, 'threads') ?? 1);
  let names = argValue(argv, 'backends')?.split(',');
  if (!names) {
    const { probeBackends } = await import('../lib/backend');
    // cpu takes over 10 minutes even at small batches: only when asked for by name.
    names = (await probeBackends()).map((p) => p.name).filter((n) => n !== 'cpu');
  }
  const results = names.map((n) => {
    process.stderr.write(`bench backends: ${n} ...\n`);
    return measureInChild(n, steps, threads);
  });
  let torch: TorchResult | string | undefined;
  if (argv.includes('--compare-torch')) {
    process.stderr.write(`bench backends: torch (${threads} thread(s)) ...\n`);
    torch = runTorch(threads, steps);
  }
  const lines = [
    `paper CNN (4,478,727 params); train = ms/img (batch), latency = batch 1 after warm-up; ${threads} thread(s) on wasm`,
    'backend        train ms/img  (cpu ms)  batch  lat med  lat p95  img/s (batch)  peak RSS MiB',
  ];
  for (const r of results) {
    if (!r.available) {
      lines.push(`${r.backend.padEnd(14)} unavailable: ${r.reason}`);
      continue;
    }
    lines.push(
      `${r.backend.padEnd(14)} ${f1(r.trainMsPerImage).padStart(12)}  ${f1(r.trainCpuMsPerImage).padStart(8)}  ${String(r.trainBatch).padStart(5)}  ${f1(r.latencyMedianMs).padStart(7)}  ${f1(r.latencyP95Ms).padStart(7)}  ${f1(r.throughputImgPerS).padStart(6)} (${r.throughputBatch})  ${f1(r.peakRssMiB).padStart(12)}`,
    );
  }
  const ratios: Record<string, Record<string, number>> = {};
  if (typeof torch === 'string') lines.push(`torch: ${torch}`);
  else if (torch) {
    lines.push(
      `${`torch ${torch.torch}`.padEnd(14)} ${f1(torch.trainMsPerImage).padStart(12)}  ${f1(torch.trainCpuMsPerImage).padStart(8)}  ${'64'.padStart(5)}  ${f1(torch.latencyMedianMs).padStart(7)}  ${f1(torch.latencyP95Ms).padStart(7)}  ${f1(torch.throughputImgPerS).padStart(6)} (256)  ${f1(torch.peakRssMiB).padStart(12)}`,
    );
    lines.push(`ratios tfjs/torch at ${threads} thread(s) (train goal <= 3, batch-256 goal <= 2):`);
    for (const r of results.filter((q) => q.available && q.trainBatch === 64)) {
      ratios[r.backend] = {
        train: (r.trainMsPerImage as number) / torch.trainMsPerImage,
        // Process CPU time: robust when other jobs share the cores (wall time is not).
        trainCpu: (r.trainCpuMsPerImage as number) / torch.trainCpuMsPerImage,
        latency: (r.latencyMedianMs as number) / torch.latencyMedianMs,
        throughput256: torch.throughputImgPerS / (r.throughputImgPerS as number),
      };
      const q = ratios[r.backend];
      lines.push(
        `  ${r.backend}: train ${q.train.toFixed(2)}x (CPU time ${q.trainCpu.toFixed(2)}x), batch-1 latency ${q.latency.toFixed(2)}x, batch-256 time ${q.throughput256.toFixed(2)}x`,
      );
    }
  }
  return { json: { steps, threads, results, torch, ratios }, table: lines.join('\n') };
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
