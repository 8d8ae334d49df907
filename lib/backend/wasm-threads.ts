/**
 * Multi-threaded XNNPACK for the wasm backend in Node.
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD build but never uses it in Node: its
 * `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-wired to false there (tfjs issue #3830), because the
 * build starts its pthread workers from Blob URLs, which Node's `Worker` cannot load. During the
 * one-time initialisation we therefore:
 *  - record the two scripts it puts in Blobs (the worker script and the module factory), write
 *    them to a temporary folder, and let `URL.createObjectURL` return those paths;
 *  - define, in the workers, the bundle-level names the factory's source refers to
 *    (`require$$0`…`require$$4`, `commonjsGlobal`), since it is shipped to them as text;
 *  - make `os.cpus()` list 2n entries, because the C++ side caps the pool at half the logical
 *    cores (it assumes hyper-threads) when the module starts;
 *  - `unref()` the workers afterwards, so an idle pool does not keep Node running.
 * Everything patched is restored as soon as the backend has started.
 *
 * XNNPACK divides a convolution or matrix product by output tiles, so every output element is
 * still summed by one thread in one order: results are bit-identical for any thread count
 * (test/integration/backend-threads.test.ts trains with 1 and 2 threads and compares the weights).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { FerError } from '../util/errors';

/** tfjs-wasm pre-creates 8 workers; its pool never uses more. */
export const MAX_WASM_THREADS = 8;

export interface WasmThreadSetting {
  threads: number;
  /** Where the number came from, for the backend log line. */
  source: string;
}

/**
 * The XNNPACK thread count asked for: FER_WASM_THREADS (1–8, or `auto`), else FER_THREADS (the
 * setting shared with the onednn backend, capped at 8 here), else `auto` = the cores Node may
 * use (os.availableParallelism), at most 8. Runs that share a machine, such as the two
 * paper-scale trainings on two cores, should each ask for 1: oversubscribed XNNPACK threads
 * wait on each other and ran a convolution 2x *slower* than one thread.
 */
export function wasmThreadSetting(
  env: Record<string, string | undefined> = process.env,
  cores: number = os.availableParallelism(),
): WasmThreadSetting {
  const own = (env.FER_WASM_THREADS ?? '').trim() !== '';
  if (!own && (env.FER_THREADS ?? '').trim() !== '') {
    const t = threadSetting(env, cores);
    return { threads: Math.min(MAX_WASM_THREADS, t.threads), source: t.source };
  }
  const raw = (env.FER_WASM_THREADS ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'auto')
    return {
      threads: Math.max(1, Math.min(MAX_WASM_THREADS, cores)),
      source: `auto: ${cores} cores`,
    };
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS)
    throw new FerError(
      `FER_WASM_THREADS must be an integer from 1 to ${MAX_WASM_THREADS} or 'auto', got '${env.FER_WASM_THREADS}'`,
    );
  return { threads: n, source: 'FER_WASM_THREADS' };
}

/** Most threads FER_THREADS accepts (oneDNN has no cap of its own; this catches typos). */
export const MAX_THREADS = 256;

/**
 * The compute thread count for every backend (oneDNN's OpenMP threads and, unless
 * FER_WASM_THREADS says otherwise, XNNPACK's): FER_THREADS (a positive integer or `auto`), else
 * FER_WASM_THREADS (so that existing scripts keep one setting), else `auto` = the cores Node
 * may use.
 */
export function threadSetting(
  env: Record<string, string | undefined> = process.env,
  cores: number = os.availableParallelism(),
): WasmThreadSetting {
  const raw = (env.FER_THREADS ?? '').trim().toLowerCase();
  if (raw === '') {
    if ((env.FER_WASM_THREADS ?? '').trim() !== '') return wasmThreadSetting(env, cores);
    return { threads: Math.max(1, cores), source: `auto: ${cores} cores` };
  }
  if (raw === 'auto') return { threads: Math.max(1, cores), source: `auto: ${cores} cores` };
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS)
    throw new FerError(
      `FER_THREADS must be an integer from 1 to ${MAX_THREADS} or 'auto', got '${env.FER_THREADS}'`,
    );
  return { threads: n, source: 'FER_THREADS' };
}

interface PThreadPool {
  unusedWorkers: { unref(): void }[];
  runningWorkers: { unref(): void }[];
}

/**
 * The started wasm backend, or null. (Not tf.findBackend: that would start it as a side effect,
 * before the thread set-up below.)
 */
export function startedWasm(): tf.KernelBackend | null {
  return tf.engine().registry.wasm ?? null;
}

/** The threads the started wasm backend really uses (1 before it has started). */
export function wasmThreadsInUse(): number {
  return startedWasm() ? Math.max(1, getThreadsCount()) : 1;
}

/** The worker-side preamble: globals the factory's source expects from its bundle. */
function workerPreamble(mainScript: string): string {
  const main = JSON.stringify(mainScript);
  return (
    "Object.assign(globalThis,{require$$0:require('fs'),require$$1:require('path')," +
    "require$$3:require('perf_hooks'),require$$4:require('os'),commonjsGlobal:globalThis," +
    `_scriptDir:${main}});URL.createObjectURL=function(){return ${main}};` +
    'URL.revokeObjectURL=function(){};\n'
  );
}

/**
 * How long the threaded start may take before it is abandoned: FER_WASM_START_TIMEOUT_S
 * seconds (default 30; a normal start takes under 2 s). CI once saw the start never finish,
 * in the mocha process and in a notebook kernel, while every later start in the same process
 * worked; without this limit such a start hangs until an outer timeout.
 */
export function wasmStartTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const raw = (env.FER_WASM_START_TIMEOUT_S ?? '').trim();
  if (raw === '') return 30_000;
  const s = Number(raw);
  if (!Number.isFinite(s) || s <= 0)
    throw new FerError(
      `FER_WASM_START_TIMEOUT_S must be a positive number of seconds, got '${env.FER_WASM_START_TIMEOUT_S}'`,
    );
  return s * 1000;
}

/**
 * Threaded starts abandoned and then retried, for the backend log line (the last try's failure
 * is thrown instead, and the caller reports it with its fallback).
 */
const abandonedStarts: string[] = [];
export function abandonedWasmStarts(): readonly string[] {
  return abandonedStarts;
}

/** A threaded start that ran out of time; its workers have been terminated. */
class WasmStartTimeout extends Error {}

/** Threaded starts tried before giving up (the caller then falls back to one thread). */
const START_ATTEMPTS = 2;

/**
 * Runs `start` (which must be the wasm backend's first initialisation) with `threads` XNNPACK
 * threads. With 1 thread, or once the backend has started, it only runs `start`. A start that
 * takes longer than `timeoutMs` is abandoned (its workers terminated, so they cannot keep Node
 * alive) and tried again; tfjs's engine ignores the outcome of a superseded initialisation.
 */
export async function startWasmWithThreads<T>(
  threads: number,
  start: () => Promise<T>,
  timeoutMs: number = wasmStartTimeoutMs(),
): Promise<T> {
  if (threads <= 1 || startedWasm()) return start();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startThreadedOnce(
        threads,
        start,
        timeoutMs,
        `try ${attempt} of ${START_ATTEMPTS}`,
      );
    } catch (e) {
      if (!(e instanceof WasmStartTimeout) || attempt >= START_ATTEMPTS) throw e;
      abandonedStarts.push(e.message);
    }
  }
}

async function startThreadedOnce<T>(
  threads: number,
  start: () => Promise<T>,
  timeoutMs: number,
  which: string,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-wasm-threads-'));
  const req = createRequire(__filename);
  // The CommonJS `os` object: the one tfjs-backend-wasm's bundle calls cpus() on.
  const osCjs = req('os') as typeof os;
  // The CommonJS worker_threads object, whose Worker the bundle reads when it creates the pool.
  const wt = req('worker_threads') as typeof import('node:worker_threads');
  const saved = {
    Blob: globalThis.Blob,
    createObjectURL: URL.createObjectURL,
    cpus: osCjs.cpus,
    Worker: wt.Worker,
  };
  const texts = new WeakMap<Blob, string>();
  const mainScript = path.join(dir, 'main.js');
  class RecordingBlob extends saved.Blob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (!parts?.every((p) => typeof p === 'string')) return;
      const text = (parts as string[]).join('');
      // The module factory is posted to the workers as this Blob; they load it from the file.
      if (options?.type === 'text/javascript') fs.writeFileSync(mainScript, text);
      else texts.set(this, text);
    }
  }
  // Every worker of this start, and what it has said, so that a hung start can be explained
  // and its workers terminated.
  const workers: import('node:worker_threads').Worker[] = [];
  const seen = { loaded: 0, errors: [] as string[], exits: 0 };
  class RecordedWorker extends saved.Worker {
    constructor(...args: ConstructorParameters<typeof saved.Worker>) {
      super(...args);
      workers.push(this);
      this.on('message', (m: unknown) => {
        if ((m as { cmd?: unknown } | null)?.cmd === 'loaded') seen.loaded++;
      });
      this.on('error', (e: unknown) =>
        seen.errors.push(e instanceof Error ? e.message : String(e)),
      );
      this.on('exit', () => seen.exits++);
    }
  }
  globalThis.Blob = RecordingBlob as typeof Blob;
  URL.createObjectURL = (blob: Blob): string => {
    const text = texts.get(blob);
    if (text === undefined || !fs.existsSync(mainScript))
      throw new Error('wasm threads: tfjs-backend-wasm did not create the scripts expected');
    const file = path.join(dir, 'worker.js');
    fs.writeFileSync(file, workerPreamble(mainScript) + text);
    return file;
  };
  osCjs.cpus = () => {
    const cpus = saved.cpus();
    return Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  };
  wt.Worker = RecordedWorker;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const errs = seen.errors.length ? `; worker errors: ${seen.errors.join(' | ')}` : '';
      const exits = seen.exits ? `; ${seen.exits} exited` : '';
      reject(
        new WasmStartTimeout(
          `the threaded start (${which}) did not finish within ${timeoutMs / 1000} s ` +
            `(${seen.loaded} of ${workers.length} workers loaded${exits}${errs})`,
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([start(), timeout]);
  } catch (e) {
    // Wait for them to exit before their scripts are deleted below.
    if (e instanceof WasmStartTimeout) await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  } finally {
    clearTimeout(timer);
    globalThis.Blob = saved.Blob;
    URL.createObjectURL = saved.createObjectURL;
    osCjs.cpus = saved.cpus;
    wt.Worker = saved.Worker;
    const backend = startedWasm() as unknown as { wasm?: { PThread?: PThreadPool } } | null;
    const pool = backend?.wasm?.PThread;
    if (pool) for (const w of [...pool.unusedWorkers, ...pool.runningWorkers]) w.unref();
    // Every pre-created worker has loaded both scripts by the time the backend has started
    // (and an abandoned start's workers have been terminated).
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Resets the thread request so that a failed threaded start can be retried with one thread
 * (the plain SIMD build).
 */
export function resetWasmThreads(): void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setThreadsCount(1);
}
