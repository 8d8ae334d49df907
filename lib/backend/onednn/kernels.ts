/**
 * tfjs kernels of the `onednn` backend, run natively on the wasm heap in place: oneDNN
 * primitives for convolutions, matrix products and max pooling; the addon's own threaded loops
 * for the memory-bound kernels a training step is otherwise dominated by (batch norm, element-wise
 * ops with per-channel broadcasts, channel reductions), found by profiling a training step of
 * both paper models.
 *
 * Each kernel handles float32 NHWC tensors with geometry it can express and delegates every other
 * case (NCHW, other dtypes, prelu activations, ceil rounding that leaves an inconsistent output
 * size, general broadcasts) to the wasm kernel it replaces, so the kernel semantics stay tfjs's
 * (checked against the cpu backend in test/unit/backend-onednn.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { OnednnAddon } from './addon';

type Info = tf.TensorInfo;
type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
};
type Conv2DInfo = tf.backend_util.Conv2DInfo;

/** tfjs activation names → the addon's post-op codes (prelu has none: it is delegated). */
const ACT: Record<string, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  sigmoid: 4,
  leakyrelu: 5,
};

function f32(backend: BackendWasm, info: Info): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

const allF32 = (...xs: (Info | undefined)[]): boolean =>
  xs.every((x) => x === undefined || x.dtype === 'float32');

const outSize = (n: number, k: number, s: number, d: number, p0: number, p1: number): number =>
  Math.floor((n + p0 + p1 - ((k - 1) * d + 1)) / s) + 1;

/**
 * The addon's 17-number convolution geometry, or null when oneDNN's size rule (floor) does not
 * give tfjs's output size or a pad is negative.
 */
function convGeom(ci: Conv2DInfo): number[] | null {
  const p = ci.padInfo;
  if (Math.min(p.top, p.bottom, p.left, p.right) < 0) return null;
  if (ci.batchSize * ci.inHeight * ci.inWidth * ci.inChannels * ci.outChannels === 0) return null;
  if (ci.outHeight <= 0 || ci.outWidth <= 0) return null;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = ci;
  if (outSize(ci.inHeight, ci.filterHeight, sh, dh, p.top, p.bottom) !== ci.outHeight) return null;
  if (outSize(ci.inWidth, ci.filterWidth, sw, dw, p.left, p.right) !== ci.outWidth) return null;
  return [
    ci.batchSize,
    ci.inHeight,
    ci.inWidth,
    ci.inChannels,
    ci.filterHeight,
    ci.filterWidth,
    ci.outChannels,
    ci.outHeight,
    ci.outWidth,
    sh,
    sw,
    dh,
    dw,
    p.top,
    p.left,
    p.bottom,
    p.right,
  ];
}

function conv2dInfo(
  xShape: number[],
  filterShape: number[],
  attrs: {
    strides: [number, number] | number;
    pad: tf.Conv2DAttrs['pad'];
    dataFormat: 'NHWC' | 'NCHW';
    dilations?: [number, number] | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  },
): Conv2DInfo | null {
  if (attrs.dataFormat === 'NCHW') return null;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

type Impl = (args: KernelArgs, addon: OnednnAddon) => Info | null;

function conv2D(args: KernelArgs, addon: OnednnAddon): Info | null {
  const backend = args.backend as BackendWasm;
  const { x, filter, bias, preluActivationWeights } = args.inputs as unknown as {
    x: Info;
    filter: Info;
    bias?: Info;
    preluActivationWeights?: Info;
  };
  const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
  const act = ACT[attrs.activation ?? 'linear'];
  if (act === undefined || preluActivationWeights || !allF32(x, filter, bias)) return null;
  if (x.shape.length !== 4) return null;
  const ci = conv2dInfo(x.shape, filter.shape, attrs);
  const geom = ci && convGeom(ci);
  if (!ci || !geom) return null;
  if (bias && tf.util.sizeFromShape(bias.shape) !== ci.outChannels) return null;
  const y = backend.makeOutput(ci.outShape, 'float32');
  addon.conv2d(
    f32(backend, x),
    f32(backend, filter),
    bias ? f32(backend, bias) : null,
    f32(backend, y),
    geom,
    act,
    attrs.leakyreluAlpha ?? 0.2,
  );
  return y;
}

function conv2DBackpropInput(args: KernelArgs, addon: OnednnAddon): Info | null {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as unknown as { dy: Info; filter: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (!allF32(dy, filter)) return null;
  const ci = conv2dInfo(attrs.inputShape, filter.shape, { ...attrs, dilations: 1 });
  const geom = ci && convGeom(ci);
  if (!ci || !geom || !tf.util.arraysEqual(dy.shape, ci.outShape)) return null;
  const dx = backend.makeOutput(attrs.inputShape, 'float32');
  addon.conv2dBackpropInput(f32(backend, dy), f32(backend, filter), f32(backend, dx), geom);
  return dx;
}

function conv2DBackpropFilter(args: KernelArgs, addon: OnednnAddon): Info | null {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as unknown as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (!allF32(x, dy)) return null;
  const ci = conv2dInfo(x.shape, attrs.filterShape, { ...attrs, dilations: 1 });
  const geom = ci && convGeom(ci);
  if (!ci || !geom || !tf.util.arraysEqual(dy.shape, ci.outShape)) return null;
  const dw = backend.makeOutput(attrs.filterShape, 'float32');
  addon.conv2dBackpropFilter(f32(backend, x), f32(backend, dy), f32(backend, dw), geom);
  return dw;
}

/** BatchMatMul and _FusedMatMul: [...batch, M, K] · [...batch, K, N]. */
function matMul(args: KernelArgs, addon: OnednnAddon): Info | null {
  const backend = args.backend as BackendWasm;
  const { a, b, bias, preluActivationWeights } = args.inputs as unknown as {
    a: Info;
    b: Info;
    bias?: Info;
    preluActivationWeights?: Info;
  };
  const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
  const act = ACT[attrs.activation ?? 'linear'];
  if (act === undefined || preluActivationWeights || !allF32(a, b, bias)) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const [ta, tb] = [!!attrs.transposeA, !!attrs.transposeB];
  const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return null; // the wasm kernel raises tfjs's error
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const sa = tf.util.sizeFromShape(batchA);
  const sb = tf.util.sizeFromShape(batchB);
  // oneDNN broadcasts a whole batch of one; other broadcasts go to the wasm kernel.
  let outBatch: number[];
  if (tf.util.arraysEqual(batchA, batchB)) outBatch = batchA;
  else if (sa === 1 && batchA.length <= batchB.length) outBatch = batchB;
  else if (sb === 1 && batchB.length <= batchA.length) outBatch = batchA;
  else return null;
  if (m * n * k * sa * sb === 0) return null;
  if (bias && (bias.shape.length < 1 || bias.shape[bias.shape.length - 1] !== n)) return null;
  if (bias && tf.util.sizeFromShape(bias.shape) !== n) return null;
  const c = backend.makeOutput([...outBatch, m, n], 'float32');
  addon.matmul(
    f32(backend, a),
    f32(backend, b),
    bias ? f32(backend, bias) : null,
    f32(backend, c),
    [sa, sb, m, k, n, ta ? 1 : 0, tb ? 1 : 0],
    act,
    attrs.leakyreluAlpha ?? 0.2,
  );
  return c;
}

function poolGeom(ci: tf.backend_util.Conv2DInfo): number[] | null {
  const p = ci.padInfo;
  if (Math.min(p.top, p.bottom, p.left, p.right) < 0) return null;
  if (ci.batchSize * ci.inHeight * ci.inWidth * ci.inChannels === 0) return null;
  if (ci.dilationHeight !== 1 || ci.dilationWidth !== 1) return null;
  // Windows must start inside the (padded) input, as oneDNN requires.
  if (outSize(ci.inHeight, ci.filterHeight, ci.strideHeight, 1, p.top, p.bottom) !== ci.outHeight)
    return null;
  if (outSize(ci.inWidth, ci.filterWidth, ci.strideWidth, 1, p.left, p.right) !== ci.outWidth)
    return null;
  return [
    ci.batchSize,
    ci.inHeight,
    ci.inWidth,
    ci.inChannels,
    ci.outHeight,
    ci.outWidth,
    ci.filterHeight,
    ci.filterWidth,
    ci.strideHeight,
    ci.strideWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
  ];
}

function maxPool(args: KernelArgs, addon: OnednnAddon): Info | null {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as unknown as { x: Info };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolAttrs;
  if (!allF32(x) || x.shape.length !== 4) return null;
  const ci = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const geom = poolGeom(ci);
  if (!geom) return null;
  // A window that lies wholly in the padding has no maximum; tfjs and oneDNN disagree there.
  if (ci.padInfo.top >= ci.filterHeight || ci.padInfo.left >= ci.filterWidth) return null;
  if (ci.padInfo.bottom >= ci.filterHeight || ci.padInfo.right >= ci.filterWidth) return null;
  const y = backend.makeOutput(ci.outShape, 'float32');
  addon.maxPool(f32(backend, x), f32(backend, y), geom);
  return y;
}

function maxPoolGrad(args: KernelArgs, addon: OnednnAddon): Info | null {
  const backend = args.backend as BackendWasm;
  const { dy, input } = args.inputs as unknown as { dy: Info; input: Info };
  const { filterSize, strides, pad, dimRoundingMode } =
    args.attrs as unknown as tf.MaxPoolGradAttrs;
  if (!allF32(dy, input) || input.shape.length !== 4) return null;
  const ci = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  if (!tf.util.arraysEqual(dy.shape, ci.outShape)) return null;
  const dx = backend.makeOutput(input.shape, 'float32');
  const p = ci.padInfo;
  addon.maxPoolGrad(f32(backend, input), f32(backend, dy), f32(backend, dx), [
    ci.batchSize,
    ci.inHeight,
    ci.inWidth,
    ci.inChannels,
    ci.outHeight,
    ci.outWidth,
    ci.filterHeight,
    ci.filterWidth,
    ci.strideHeight,
    ci.strideWidth,
    p.top,
    p.left,
  ]);
  return dx;
}

/**
 * How a binary op's operand broadcasts to the output, as the addon's period: 0 = the operand is
 * the full output shape, k = a block of k elements repeated (a trailing-axes vector such as a
 * per-channel [C], or a scalar when k = 1); null = another broadcast (delegated).
 */
function period(shape: number[], out: number[]): number | null {
  const size = tf.util.sizeFromShape(shape);
  const outSize = tf.util.sizeFromShape(out);
  if (size === outSize) return tf.util.arraysEqual(shape, out) ? 0 : null;
  if (size === 1) return 1;
  let s = shape;
  while (s.length > 0 && s[0] === 1) s = s.slice(1);
  return tf.util.arraysEqual(s, out.slice(out.length - s.length)) ? size : null;
}

const BINARY: Record<string, number> = {
  [tf.Add]: 0,
  [tf.Sub]: 1,
  [tf.Multiply]: 2,
  [tf.RealDiv]: 3,
  [tf.SquaredDifference]: 4,
  [tf.Maximum]: 5,
  [tf.Minimum]: 6,
};

function binary(op: number): Impl {
  return (args, addon) => {
    const backend = args.backend as BackendWasm;
    const { a, b } = args.inputs as unknown as { a: Info; b: Info };
    if (!allF32(a, b)) return null;
    const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (tf.util.sizeFromShape(out) < 1) return null;
    let pa = period(a.shape, out);
    let pb = period(b.shape, out);
    if (pa === null || pb === null) return null;
    if (pa !== 0 && pb !== 0) {
      // Both broadcast (e.g. two scalars): only the simple case of equal shapes is native.
      if (!tf.util.arraysEqual(a.shape, b.shape)) return null;
      pa = pb = 0;
    }
    const y = backend.makeOutput(out, 'float32');
    addon.binary(op, f32(backend, a), pa, f32(backend, b), pb, f32(backend, y));
    return y;
  };
}

function unary(op: number, alphaOf?: (attrs: tf.NamedAttrMap) => number): Impl {
  return (args, addon) => {
    const backend = args.backend as BackendWasm;
    const { x } = args.inputs as unknown as { x: Info };
    if (!allF32(x) || tf.util.sizeFromShape(x.shape) === 0) return null;
    const y = backend.makeOutput(x.shape, 'float32');
    const alpha = alphaOf && args.attrs ? alphaOf(args.attrs) : 0;
    addon.unary(op, f32(backend, x), f32(backend, y), alpha);
    return y;
  };
}

/** Sum/Mean over a contiguous run of axes, as [outer, r, inner] → [outer, inner]. */
function reduce(mean: boolean): Impl {
  return (args, addon) => {
    const backend = args.backend as BackendWasm;
    const { x } = args.inputs as unknown as { x: Info };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const shape = x.shape;
    if (!allF32(x) || tf.util.sizeFromShape(shape) === 0) return null;
    const axes = tf.util.parseAxisParam(axis, shape).sort((p, q) => p - q);
    if (axes.length === 0 || axes.some((a, i) => i > 0 && a !== axes[i - 1] + 1)) return null;
    const prod = (a: number[]): number => a.reduce((p, q) => p * q, 1);
    const outer = prod(shape.slice(0, axes[0]));
    const r = prod(shape.slice(axes[0], axes[axes.length - 1] + 1));
    const inner = prod(shape.slice(axes[axes.length - 1] + 1));
    let outShape = shape.filter((_, i) => !axes.includes(i));
    if (keepDims) outShape = tf.backend_util.expandShapeToKeepDim(outShape, axes);
    const y = backend.makeOutput(outShape, 'float32');
    addon.reduce(f32(backend, x), f32(backend, y), outer, r, inner, mean);
    return y;
  };
}

function fusedBatchNorm(args: KernelArgs, addon: OnednnAddon): Info | null {
  const backend = args.backend as BackendWasm;
  const { x, mean, variance, offset, scale } = args.inputs as unknown as {
    x: Info;
    mean: Info;
    variance: Info;
    offset?: Info;
    scale?: Info;
  };
  const { varianceEpsilon } = args.attrs as unknown as tf.FusedBatchNormAttrs;
  if (!allF32(x, mean, variance, offset, scale) || x.shape.length === 0) return null;
  const c = x.shape[x.shape.length - 1];
  const perChannel = (t?: Info): boolean =>
    !t || (tf.util.sizeFromShape(t.shape) === c && period(t.shape, x.shape) === c);
  if (c === 0 || ![mean, variance, offset, scale].every(perChannel)) return null;
  const y = backend.makeOutput(x.shape, 'float32');
  addon.batchNorm(
    f32(backend, x),
    f32(backend, mean),
    f32(backend, variance),
    offset ? f32(backend, offset) : null,
    scale ? f32(backend, scale) : null,
    f32(backend, y),
    varianceEpsilon,
  );
  return y;
}

/** Identity shares the input's memory (tfjs kernels never write to their inputs). */
function identity(args: KernelArgs): Info | null {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as unknown as { x: Info };
  if (x.dtype === 'string') return null;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** A Cast to the same dtype shares the input's memory, like Identity. */
function cast(args: KernelArgs): Info | null {
  const { x } = args.inputs as unknown as { x: Info };
  const { dtype } = args.attrs as unknown as tf.CastAttrs;
  return dtype === x.dtype ? identity(args) : null;
}

/** The kernels oneDNN runs, by tfjs kernel name. */
export const ONEDNN_KERNELS: Record<string, Impl> = {
  [tf.Conv2D]: conv2D,
  [tf.FusedConv2D]: conv2D,
  [tf.Conv2DBackpropInput]: conv2DBackpropInput,
  [tf.Conv2DBackpropFilter]: conv2DBackpropFilter,
  [tf.BatchMatMul]: matMul,
  [tf._FusedMatMul]: matMul,
  [tf.MaxPool]: maxPool,
  [tf.MaxPoolGrad]: maxPoolGrad,
  ...Object.fromEntries(Object.entries(BINARY).map(([k, op]) => [k, binary(op)])),
  [tf.Square]: unary(0),
  [tf.Relu]: unary(1),
  [tf.Step]: unary(2, (a) => (a as unknown as tf.StepAttrs).alpha),
  [tf.Neg]: unary(3),
  [tf.Sqrt]: unary(4),
  [tf.Rsqrt]: unary(5),
  [tf.Relu6]: unary(6),
  [tf.Sum]: reduce(false),
  [tf.Mean]: reduce(true),
  [tf.FusedBatchNorm]: fusedBatchNorm,
  [tf.Identity]: identity,
  [tf.Cast]: cast,
};

const calls: Record<string, number> = {};

/** How often each kernel ran natively (not delegated), so tests can check the native path ran. */
export function onednnKernelCalls(): Readonly<Record<string, number>> {
  return calls;
}

/**
 * Kernel configs for backend `backendName`: oneDNN where it applies, else `fallback` (the
 * wasm kernel of the same name, which also supplies setup/dispose).
 */
export function onednnKernelConfigs(
  addon: OnednnAddon,
  backendName: string,
  fallbackFor: (name: string) => tf.KernelConfig | undefined,
): tf.KernelConfig[] {
  const out: tf.KernelConfig[] = [];
  for (const [name, impl] of Object.entries(ONEDNN_KERNELS)) {
    const orig = fallbackFor(name);
    out.push({
      kernelName: name,
      backendName,
      setupFunc: orig?.setupFunc,
      disposeFunc: orig?.disposeFunc,
      kernelFunc: ((args: KernelArgs) => {
        const r = impl(args, addon);
        if (r) {
          calls[name] = (calls[name] ?? 0) + 1;
          return r;
        }
        if (!orig) throw new Error(`onednn: no wasm kernel ${name} to fall back to`);
        return orig.kernelFunc(args);
      }) as tf.KernelFunc,
    });
  }
  return out;
}
