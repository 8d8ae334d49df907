/**
 * Loads the oneDNN native addon (lib/backend/onednn/build/Release/fer_onednn.node, built by
 * `npm run setup`). Loading never throws: a missing or broken addon gives a one-line reason.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** What the addon reports about the oneDNN library it is linked to. */
export interface OnednnInfo {
  version: string;
  hash: string;
  /** oneDNN's threading runtime: 'OpenMP' for Debian's and Homebrew's builds. */
  cpuRuntime: string;
  /** The most capable ISA oneDNN may dispatch to (a cap, not what this CPU has). */
  isa: string;
  /** Implementation names (e.g. 'brg:avx512_core') chosen for each primitive kind so far. */
  impl: Record<string, string>;
}

/** The addon's functions. Tensors are Float32Arrays over the wasm heap; results are written in place. */
export interface OnednnAddon {
  conv2d(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    geom: number[],
    act: number,
    alpha: number,
  ): void;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, geom: number[]): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geom: number[]): void;
  matmul(
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    c: Float32Array,
    geom: number[],
    act: number,
    alpha: number,
  ): void;
  maxPool(x: Float32Array, y: Float32Array, geom: number[]): void;
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, geom: number[]): void;
  /** out = a OP b; pa/pb: 0 = full operand, k = a vector of k repeated along the last axis. */
  binary(
    op: number,
    a: Float32Array,
    pa: number,
    b: Float32Array,
    pb: number,
    out: Float32Array,
  ): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  /** out[o, i] = Σ_k x[o, k, i] over [outer, r, inner] (÷ r when mean). */
  reduce(
    x: Float32Array,
    out: Float32Array,
    outer: number,
    r: number,
    inner: number,
    mean: boolean,
  ): void;
  batchNorm(
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    offset: Float32Array | null,
    scale: Float32Array | null,
    out: Float32Array,
    eps: number,
  ): void;
  /** out[c] = Σ_rows dy[row, c] · (x[row, c] - mean[c]) over [rows, C]. */
  bnGradSum(dy: Float32Array, x: Float32Array, mean: Float32Array, out: Float32Array): void;
  /** Sets OpenMP's thread count for later calls; false when no OpenMP runtime was found. */
  setNumThreads(n: number): boolean;
  numThreads(): number;
  info(): OnednnInfo;
  /** Creates (without running) a convolution like the paper CNN's second layer, to learn its impl. */
  probeConvImpl(): string;
}

export const ADDON_PATH = path.join(__dirname, 'build', 'Release', 'fer_onednn.node');

let cached: { addon: OnednnAddon | null; reason: string } | undefined;

/**
 * The addon, or null with the reason. OpenMP reads OMP_WAIT_POLICY once, when the addon pulls
 * in its runtime: unless the user set it, it is PASSIVE here, so that oneDNN's idle threads
 * sleep instead of spinning on cores that the wasm kernels and XNNPACK's threads need between
 * two oneDNN calls. The variable is restored afterwards, so child processes (e.g. the PyTorch
 * peer of the benchmark) keep their own defaults.
 */
export function loadOnednnAddon(): { addon: OnednnAddon | null; reason: string } {
  if (cached) return cached;
  if (!fs.existsSync(ADDON_PATH)) {
    cached = {
      addon: null,
      reason: 'addon not built (run `npm run setup`; see docs/backends.md)',
    };
    return cached;
  }
  const saved = process.env.OMP_WAIT_POLICY;
  if (saved === undefined) process.env.OMP_WAIT_POLICY = 'PASSIVE';
  try {
    const addon = createRequire(__filename)(ADDON_PATH) as OnednnAddon;
    cached = { addon, reason: '' };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    cached = { addon: null, reason: `addon failed to load (${msg})` };
  } finally {
    if (saved === undefined) delete process.env.OMP_WAIT_POLICY;
  }
  return cached;
}
