/**
 * Memory-bound wasm kernels that tfjs-backend-wasm 4.22 runs slowly, found by profiling a
 * training step of the paper CNN (bench/backends.ts). Each replaces the registered kernel for
 * the cases it speeds up and delegates every other case to the original, so results are the
 * same kernel semantics tfjs defines (checked against the cpu backend in test/backend-kernels):
 *
 * - Tile: tfjs's loop costs ~60 ns/element; block copies (copyWithin) run at memcpy speed.
 *   Batch-norm's gradient tiles the per-channel statistics to the full activation shape.
 * - Sum/Mean over a contiguous run of axes that is not innermost (batch-norm's reductions over
 *   [N,H,W] of NHWC): tfjs transposes first; a strided JS accumulation needs no copy.
 * - MaxPoolGrad: a single pass that finds each window's first maximum (the cpu backend's tie
 *   rule) and scatters dy there.
 * - BatchMatMul with transposeA/B (dense-layer gradients): the wasm kernel's transposed paths
 *   run at <1 GFLOP/s; transposing the operand first lets XNNPACK's plain GEMM do the work.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { runWasmKernel } from './wasm-conv-grad';

type Info = tf.TensorInfo;
type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};
type Heap = Float32Array | Int32Array | Uint8Array;

function heap(backend: BackendWasm, info: Info): Heap {
  return backend.typedArrayFromHeap(info) as Heap;
}

function tileKernel(args: KernelArgs, original: tf.KernelFunc): Info {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as unknown as { x: Info };
  const { reps } = args.attrs as unknown as tf.TileAttrs;
  if (x.dtype === 'string' || x.shape.length === 0) return original(args) as Info;
  const shape = x.shape;
  const rank = shape.length;
  const outShape = shape.map((s, i) => s * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const src = heap(backend, x);
  const dst = heap(backend, out);
  const srcStride = tf.util.computeStrides(shape).concat([1]);
  const dstStride = tf.util.computeStrides(outShape).concat([1]);
  // Fill the first copy of each dim's block, then replicate it reps[d]-1 times.
  const fill = (d: number, s0: number, d0: number): void => {
    if (d === rank - 1) {
      const n = shape[d];
      dst.set(src.subarray(s0, s0 + n), d0);
    } else
      for (let i = 0; i < shape[d]; i++) fill(d + 1, s0 + i * srcStride[d], d0 + i * dstStride[d]);
    const block = shape[d] * dstStride[d];
    for (let r = 1; r < reps[d]; r++) dst.copyWithin(d0 + r * block, d0, d0 + block);
  };
  fill(0, 0, 0);
  return out;
}

/**
 * Sum over a contiguous run of axes [a, b) with at least one axis after it, as [outer, R, inner]
 * → [outer, inner], accumulated in float64 (sequential float32 sums of 10^5 terms lose digits).
 */
function reduceKernel(args: KernelArgs, original: tf.KernelFunc, mean: boolean): Info {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as unknown as { x: Info };
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  const shape = x.shape;
  const axes = tf.util.parseAxisParam(axis, shape).sort((p, q) => p - q);
  const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
  if (
    x.dtype !== 'float32' ||
    axes.length === 0 ||
    !contiguous ||
    axes[axes.length - 1] === shape.length - 1
  )
    return original(args) as Info;
  const prod = (a: number[]): number => a.reduce((p, q) => p * q, 1);
  const outer = prod(shape.slice(0, axes[0]));
  const r = prod(shape.slice(axes[0], axes[axes.length - 1] + 1));
  const inner = prod(shape.slice(axes[axes.length - 1] + 1));
  let outShape = shape.filter((_, i) => !axes.includes(i));
  if (keepDims) outShape = tf.backend_util.expandShapeToKeepDim(outShape, axes);
  const out = backend.makeOutput(outShape, 'float32');
  const src = heap(backend, x) as Float32Array;
  const dst = heap(backend, out) as Float32Array;
  const acc = new Float64Array(inner);
  const scale = mean ? 1 / r : 1;
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    let p = o * r * inner;
    for (let k = 0; k < r; k++, p += inner) for (let i = 0; i < inner; i++) acc[i] += src[p + i];
    for (let i = 0; i < inner; i++) dst[o * inner + i] = acc[i] * scale;
  }
  return out;
}

function maxPoolGradKernel(args: KernelArgs, original: tf.KernelFunc): Info {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as unknown as { dy: Info; input: Info };
  const { filterSize, strides, pad, dimRoundingMode } =
    args.attrs as unknown as tf.MaxPoolGradAttrs;
  if (input.dtype !== 'float32') return original(args) as Info;
  const ci = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: nb, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = ci;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = ci;
  const { top, left } = ci.padInfo;
  const dx = backend.makeOutput(input.shape, 'float32');
  const xs = heap(backend, input) as Float32Array;
  const g = heap(backend, dy) as Float32Array;
  const out = heap(backend, dx) as Float32Array;
  out.fill(0);
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < nb; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++) {
        best.fill(-Infinity);
        where.fill(-1);
        const y0 = oy * sh - top;
        const x0 = ox * sw - left;
        for (let yy = Math.max(0, y0); yy < Math.min(h, y0 + fh); yy++)
          for (let xx = Math.max(0, x0); xx < Math.min(w, x0 + fw); xx++) {
            const p = ((b * h + yy) * w + xx) * c;
            for (let k = 0; k < c; k++)
              if (xs[p + k] > best[k]) {
                best[k] = xs[p + k];
                where[k] = p + k;
              }
          }
        const q = ((b * ho + oy) * wo + ox) * c;
        for (let k = 0; k < c; k++) if (where[k] >= 0) out[where[k]] += g[q + k];
      }
  return dx;
}

function batchMatMulKernel(args: KernelArgs, original: tf.KernelFunc): Info {
  const backend = args.backend as BackendWasm;
  const { a, b } = args.inputs as unknown as { a: Info; b: Info };
  const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
  if (!attrs.transposeA && !attrs.transposeB) return original(args) as Info;
  const swapLast = (t: Info): Info => {
    const perm = t.shape.map((_, i) => i);
    const n = perm.length;
    [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
    return runWasmKernel(backend, 'Transpose', { x: t }, { perm });
  };
  const at = attrs.transposeA ? swapLast(a) : a;
  const bt = attrs.transposeB ? swapLast(b) : b;
  const out = original({
    inputs: { a: at, b: bt } as unknown as tf.NamedTensorInfoMap,
    backend,
    attrs: { ...attrs, transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap,
  }) as Info;
  if (at !== a) backend.disposeData(at.dataId);
  if (bt !== b) backend.disposeData(bt.dataId);
  return out;
}

/** Kernel configs wrapping the currently registered originals (call before replacing them). */
export function fastWasmKernels(): tf.KernelConfig[] {
  const wrap = (
    name: string,
    f: (args: KernelArgs, original: tf.KernelFunc) => Info,
  ): tf.KernelConfig | undefined => {
    const orig = tf.getKernel(name, 'wasm');
    if (!orig) return undefined;
    return {
      kernelName: name,
      backendName: 'wasm',
      setupFunc: orig.setupFunc,
      disposeFunc: orig.disposeFunc,
      kernelFunc: ((args: KernelArgs) => f(args, orig.kernelFunc)) as tf.KernelFunc,
    };
  };
  return [
    wrap(tf.Tile, tileKernel),
    wrap(tf.Sum, (a, o) => reduceKernel(a, o, false)),
    wrap(tf.Mean, (a, o) => reduceKernel(a, o, true)),
    wrap(tf.MaxPoolGrad, maxPoolGradKernel),
    wrap(tf.BatchMatMul, batchMatMulKernel),
  ].filter((k): k is tf.KernelConfig => k !== undefined);
}
