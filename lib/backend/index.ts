/**
 * Chooses and starts the tfjs compute backend.
 *
 *   setupBackend('auto')  tries tfjs-node-gpu, tfjs-node, webgpu, onednn, wasm, cpu in that
 *                         order, logs one line per unavailable backend with the reason, and the
 *                         choice.
 *
 * Notes on detection:
 * - `@tensorflow/tfjs-node` is overridden in package.json to `@tensorflow/tfjs` (danfojs-node
 *   needs the name), so a successful `require` proves nothing: a backend counts only if the
 *   native 'tensorflow' tfjs backend got registered.
 * - wasm gets the project's training kernels (fast conv gradients etc., see wasm-kernels.ts)
 *   and FER_WASM_THREADS XNNPACK threads (default: every core; see wasm-threads.ts).
 * - onednn is wasm plus the native oneDNN addon for the heavy kernels (lib/backend/onednn);
 *   FER_THREADS sets oneDNN's and XNNPACK's thread count at once.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { FerError } from '../util/errors';
import { registerWasmTrainingKernels } from './wasm-kernels';
export { wasmThreadsInUse, threadSetting } from './wasm-threads';
import {
  abandonedWasmStarts,
  resetWasmThreads,
  startedWasm,
  startWasmWithThreads,
  threadSetting,
  wasmThreadSetting,
  wasmThreadsInUse,
} from './wasm-threads';
import {
  loadOnednnAddon,
  onednnDescription,
  onednnThreadsInUse,
  registerOnednnBackend,
  setOnednnThreads,
} from './onednn';
import { firstLine, probeWebgpu } from './webgpu';

export const BACKEND_NAMES = [
  'auto',
  'tfjs-node-gpu',
  'tfjs-node',
  'webgpu',
  'onednn',
  'wasm',
  'cpu',
] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type ConcreteBackend = Exclude<BackendName, 'auto'>;
/** The order `auto` tries, fastest first. */
export const AUTO_ORDER: readonly ConcreteBackend[] = [
  'tfjs-node-gpu',
  'tfjs-node',
  'webgpu',
  'onednn',
  'wasm',
  'cpu',
];

/** The tfjs-internal backend name behind each of ours. */
export const TF_BACKEND: Record<ConcreteBackend, string> = {
  'tfjs-node-gpu': 'tensorflow',
  'tfjs-node': 'tensorflow',
  webgpu: 'webgpu',
  onednn: 'onednn',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** Tested in test/integration/backend-onednn-train.test.ts; see docs/backends.md. */
const ONEDNN_DETERMINISM =
  'deterministic for a fixed thread count (oneDNN and the native reductions split work ' +
  'statically over the threads, and sums are combined in a fixed order); 1 and 2 threads gave ' +
  'the same bits for both paper models, but other thread counts or shapes are not guaranteed to';

/**
 * Whether two runs with the same seed give bit-identical weights on this backend, and why.
 * cpu runs single-threaded; wasm's XNNPACK threads split work by output, never a sum, so both
 * have a fixed order of floating-point operations.
 */
export const DETERMINISM: Record<ConcreteBackend, string> = {
  cpu: 'deterministic (single thread, fixed summation order)',
  wasm: 'deterministic (XNNPACK splits work by output element: any thread count gives the same bits)',
  onednn: ONEDNN_DETERMINISM,
  'tfjs-node': 'not guaranteed (TensorFlow uses multi-threaded Eigen/oneDNN reductions)',
  'tfjs-node-gpu': 'not guaranteed (cuDNN picks algorithms and atomics-based reductions)',
  webgpu: 'not guaranteed (GPU reductions run in parallel; order may vary between runs/drivers)',
};

export interface BackendProbe {
  name: ConcreteBackend;
  available: boolean;
  /** Why it is unavailable, or a short description when it is available. */
  reason: string;
}

export interface SetupOptions {
  /** Receives one line per unavailable backend tried by `auto`, and the choice. */
  log?: (s: string) => void;
}

/** Checks a user-supplied backend name (CLI `--backend`, FER_BACKEND). */
export function parseBackendName(s: string): BackendName {
  const v = s.trim();
  if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName;
  throw new FerError(`unknown backend '${s}' (expected one of ${BACKEND_NAMES.join(', ')})`);
}

/** Loads tfjs-node(-gpu) and checks that it really registered the native backend. */
async function probeNative(pkg: string): Promise<string | null> {
  try {
    await import(pkg);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' && firstLine(e).includes(pkg)) return 'not installed';
    return `failed to load (${firstLine(e)})`;
  }
  if (!tf.findBackendFactory('tensorflow'))
    return "not installed (the package resolves, but registers no 'tensorflow' backend)";
  return null;
}

async function canInit(tfName: string): Promise<string | null> {
  const previous = tf.getBackend();
  try {
    if (!(await tf.setBackend(tfName))) return 'failed to initialise';
    return null;
  } catch (e) {
    return `failed to initialise (${firstLine(e)})`;
  } finally {
    if (previous && previous !== tfName) await tf.setBackend(previous);
  }
}

/** Finds out whether one backend can run here (this may load and register it). */
export async function probeBackend(name: ConcreteBackend): Promise<BackendProbe> {
  let reason: string | null;
  let detail = '';
  switch (name) {
    case 'tfjs-node-gpu':
    case 'tfjs-node':
      reason = await probeNative(
        name === 'tfjs-node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu',
      );
      if (reason === null) reason = await canInit('tensorflow');
      detail = 'TensorFlow C library';
      break;
    case 'webgpu': {
      const p = await probeWebgpu();
      reason = p.available ? await canInit('webgpu') : p.reason;
      detail = p.adapterName ?? '';
      break;
    }
    case 'onednn': {
      const loaded = loadOnednnAddon();
      if (!loaded.addon) {
        reason = loaded.reason;
        break;
      }
      const asked = threadSetting();
      const wasm = await startWasm();
      reason = wasm.reason;
      if (reason !== null) {
        reason = `needs wasm, which ${reason}`;
        break;
      }
      try {
        registerOnednnBackend(loaded.addon);
        const n = setOnednnThreads(loaded.addon, asked.threads);
        reason = await canInit('onednn');
        detail = `${onednnDescription(loaded.addon)}, ${plural(n, 'thread')} (${asked.source}); other kernels: ${wasm.detail}`;
      } catch (e) {
        reason = `failed to initialise (${firstLine(e)})`;
      }
      break;
    }
    case 'wasm': {
      const wasm = await startWasm();
      reason = wasm.reason;
      detail = wasm.detail;
      break;
    }
    case 'cpu':
      reason = await canInit('cpu');
      detail = 'plain JavaScript';
      break;
  }
  return reason === null
    ? { name, available: true, reason: detail }
    : { name, available: false, reason };
}

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

/** Starts the wasm backend (once) with the XNNPACK thread setting, falling back to one thread. */
async function startWasm(): Promise<{ reason: string | null; detail: string }> {
  const asked = wasmThreadSetting();
  let reason = await startWasmWithThreads(asked.threads, () => canInit('wasm')).catch(
    (e: unknown) => `failed to initialise (${firstLine(e)})`,
  );
  let fallback = '';
  if (reason !== null && asked.threads > 1 && !startedWasm()) {
    // Threads are an optimisation: without them wasm still runs, on one thread.
    fallback = `; ${asked.threads} threads failed: ${reason}`;
    resetWasmThreads();
    reason = await canInit('wasm');
  }
  const n = wasmThreadsInUse();
  // A threaded start abandoned and retried is rare enough to be worth a word in the log.
  const abandoned = abandonedWasmStarts()
    .map((a) => `; abandoned: ${a}`)
    .join('');
  const detail = `XNNPACK, ${plural(n, 'thread')} (${asked.source}${fallback}${abandoned}), project training kernels`;
  return { reason, detail };
}

/**
 * The compute threads a started backend uses, for logs and result JSON: oneDNN's on onednn,
 * XNNPACK's on wasm, 1 on cpu; undefined where tfjs does not say (tfjs-node, webgpu).
 */
export function backendThreads(name: string): number | undefined {
  if (name === 'onednn') return onednnThreadsInUse();
  if (name === 'wasm') return wasmThreadsInUse();
  if (name === 'cpu') return 1;
  return undefined;
}

/** Probes every concrete backend, in `auto` order. */
export async function probeBackends(): Promise<BackendProbe[]> {
  const out: BackendProbe[] = [];
  for (const name of AUTO_ORDER) out.push(await probeBackend(name));
  return out;
}

async function activate(name: ConcreteBackend): Promise<void> {
  if (name === 'wasm') registerWasmTrainingKernels();
  if (!(await tf.setBackend(TF_BACKEND[name])))
    throw new FerError(`backend ${name} failed to initialise`);
}

/**
 * Makes `name` the active tfjs backend and returns the one actually active (for `auto`, the
 * first available in AUTO_ORDER). An explicitly named backend that is unavailable is an error.
 */
export async function setupBackend(
  name: BackendName = 'auto',
  opts: SetupOptions = {},
): Promise<ConcreteBackend> {
  const log = opts.log ?? (() => undefined);
  const wanted = parseBackendName(name ?? 'auto');
  if (wanted !== 'auto') {
    const p = await probeBackend(wanted);
    if (!p.available) throw new FerError(`backend ${wanted} is not available: ${p.reason}`);
    await activate(wanted);
    log(`backend: ${wanted}${p.reason ? ` (${p.reason})` : ''}`);
    return wanted;
  }
  for (const candidate of AUTO_ORDER) {
    const p = await probeBackend(candidate);
    if (!p.available) {
      log(`${candidate}: ${p.reason}`);
      continue;
    }
    await activate(candidate);
    log(`backend: ${candidate} (chosen by auto${p.reason ? `; ${p.reason}` : ''})`);
    return candidate;
  }
  throw new FerError('no tfjs backend is available'); // cpu always is; kept for the type
}

/**
 * The backend a command should use: its `--backend` value if given, else $FER_BACKEND, else
 * 'auto'. Shared by every command that computes, so they all accept the same names.
 */
export function backendOption(
  flag: string | undefined,
  env: Record<string, string | undefined> = process.env,
): BackendName {
  return parseBackendName(flag ?? (env.FER_BACKEND?.trim() || 'auto'));
}
