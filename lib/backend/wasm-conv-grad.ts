/**
 * Convolution gradients for the wasm backend, computed as *forward* convolutions.
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel (training a conv net fails), and
 * its `Conv2DBackpropInput` is a naive loop about 10x slower than its XNNPACK forward conv.
 * Both gradients are re-expressed here as forward convolutions so that XNNPACK runs them:
 *
 * - input gradient:  dx = conv(dilate_s(dy), rot180(W)ᵀ), stride 1, pads (k-1-p_before, ...),
 *   where dilate_s puts s-1 zeros between dy's pixels and rot180(W)ᵀ[i,j,f,c] = W[kh-1-i, kw-1-j, c, f];
 * - filter gradient: dW[i,j,c,f] = Σ_{n,y,x} x_pad[n, y·s+i, x·s+j, c] · dy[n,y,x,f], i.e. a
 *   convolution of x laid out as [C,H,W,N] (channels become the batch, the batch becomes the
 *   channels) with dy laid out as [Ho,Wo,N,F] as the filter, dilated by the forward stride.
 *
 * Every attribute combination tfjs can send is handled: strides, 'same'/'valid'/explicit
 * padding (also padding larger than the kernel, by materialising a cropped/padded copy),
 * dimRoundingMode, and NCHW (by transposing to NHWC and back). Conv gradients never carry
 * dilations (tfjs-core rejects dilated conv2d gradients before reaching a kernel).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type Conv2DInfo = tf.backend_util.Conv2DInfo;

/** Runs another wasm kernel directly (no engine bookkeeping: the caller disposes the result). */
export function runWasmKernel(
  backend: BackendWasm,
  name: string,
  inputs: Record<string, Info>,
  attrs: Record<string, unknown> = {},
): Info {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel ${name} is not registered`);
  return k.kernelFunc({
    inputs: inputs as tf.NamedTensorInfoMap,
    backend,
    attrs: attrs as tf.NamedAttrMap,
  }) as Info;
}

export function heapF32(backend: BackendWasm, info: Info): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

function dispose(backend: BackendWasm, ...infos: Info[]): void {
  for (const i of infos) backend.disposeData(i.dataId);
}

function transpose(backend: BackendWasm, x: Info, perm: number[]): Info {
  return runWasmKernel(backend, 'Transpose', { x }, { perm });
}

/** Forward NHWC conv on the wasm backend with explicit, non-negative padding. */
function conv(
  backend: BackendWasm,
  x: Info,
  filter: Info,
  pads: [number, number, number, number],
  dilations: [number, number] = [1, 1],
): Info {
  const [top, bottom, left, right] = pads;
  return runWasmKernel(
    backend,
    'Conv2D',
    { x, filter },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations,
      dimRoundingMode: undefined,
    },
  );
}

/** rot180 + in/out swap: [kh,kw,C,F] → [kh,kw,F,C]. Filters are small, a JS loop is fine. */
function flipTransposeFilter(backend: BackendWasm, filter: Info): Info {
  const [kh, kw, c, f] = filter.shape;
  const out = backend.makeOutput([kh, kw, f, c], 'float32');
  const src = heapF32(backend, filter);
  const dst = heapF32(backend, out);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const s0 = ((kh - 1 - i) * kw + (kw - 1 - j)) * c * f;
      const d0 = (i * kw + j) * f * c;
      for (let ci = 0; ci < c; ci++)
        for (let fi = 0; fi < f; fi++) dst[d0 + fi * c + ci] = src[s0 + ci * f + fi];
    }
  return out;
}

/**
 * dy [N,Ho,Wo,F] → zero-dilated by the stride and placed at offset (top,left) inside an
 * [N,outH,outW,F] zero buffer; pixels that fall outside are cropped (negative padding).
 */
function dilatePad(
  backend: BackendWasm,
  dy: Info,
  sh: number,
  sw: number,
  top: number,
  left: number,
  outH: number,
  outW: number,
): Info {
  const [n, ho, wo, f] = dy.shape;
  const out = backend.makeOutput([n, outH, outW, f], 'float32');
  const src = heapF32(backend, dy);
  const dst = heapF32(backend, out);
  dst.fill(0);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < ho; y++) {
      const ty = top + y * sh;
      if (ty < 0 || ty >= outH) continue;
      for (let x = 0; x < wo; x++) {
        const tx = left + x * sw;
        if (tx < 0 || tx >= outW) continue;
        const s = ((b * ho + y) * wo + x) * f;
        dst.set(src.subarray(s, s + f), ((b * outH + ty) * outW + tx) * f);
      }
    }
  return out;
}

/** Input gradient for NHWC dy; `ci` is the forward conv's info. */
export function conv2dBackpropInputNHWC(
  backend: BackendWasm,
  dy: Info,
  filter: Info,
  ci: Conv2DInfo,
): Info {
  const { inHeight: h, inWidth: w, filterHeight: kh, filterWidth: kw } = ci;
  const [, ho, wo] = dy.shape;
  const { strideHeight: sh, strideWidth: sw } = ci;
  const top = kh - 1 - ci.padInfo.top;
  const left = kw - 1 - ci.padInfo.left;
  const bottom = h - ((ho - 1) * sh + 1) - top + kh - 1;
  const right = w - ((wo - 1) * sw + 1) - left + kw - 1;
  const wT = flipTransposeFilter(backend, filter);
  try {
    if (sh === 1 && sw === 1 && Math.min(top, bottom, left, right) >= 0)
      return conv(backend, dy, wT, [top, bottom, left, right]);
    // Strided or over-padded forward conv: materialise the dilated, padded/cropped dy.
    const src = dilatePad(backend, dy, sh, sw, top, left, h + kh - 1, w + kw - 1);
    try {
      return conv(backend, src, wT, [0, 0, 0, 0]);
    } finally {
      dispose(backend, src);
    }
  } finally {
    dispose(backend, wT);
  }
}

/** Filter gradient for NHWC x and dy; `ci` is the forward conv's info. */
export function conv2dBackpropFilterNHWC(
  backend: BackendWasm,
  x: Info,
  dy: Info,
  ci: Conv2DInfo,
): Info {
  const { inHeight: h, inWidth: w, filterHeight: kh, filterWidth: kw } = ci;
  const [, ho, wo] = dy.shape;
  const { strideHeight: sh, strideWidth: sw } = ci;
  const top = ci.padInfo.top;
  const left = ci.padInfo.left;
  // Rows of x below the last window are unused: crop them (negative bottom padding).
  const bottom = kh + (ho - 1) * sh - h - top;
  const right = kw + (wo - 1) * sw - w - left;
  let xT = transpose(backend, x, [3, 1, 2, 0]); // [C,H,W,N]
  if (bottom < 0 || right < 0) {
    const [c, , , n] = xT.shape;
    const cropped = runWasmKernel(
      backend,
      'Slice',
      { x: xT },
      { begin: [0, 0, 0, 0], size: [c, h + Math.min(bottom, 0), w + Math.min(right, 0), n] },
    );
    dispose(backend, xT);
    xT = cropped;
  }
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [Ho,Wo,N,F]
  const g = conv(backend, xT, dyT, [top, Math.max(bottom, 0), left, Math.max(right, 0)], [sh, sw]); // [C,kh,kw,F]
  dispose(backend, xT, dyT);
  const out = transpose(backend, g, [1, 2, 0, 3]);
  dispose(backend, g);
  return out;
}

function convInfoFor(
  inShape: number[],
  filterShape: number[],
  attrs: tf.Conv2DBackpropInputAttrs | tf.Conv2DBackpropFilterAttrs,
): Conv2DInfo {
  const fmt = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    fmt,
  );
}

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];

function conv2DBackpropInputKernel(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): Info {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as unknown as { dy: Info; filter: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const ci = convInfoFor(attrs.inputShape, filter.shape, attrs);
  if (ci.dataFormat === 'channelsLast') return conv2dBackpropInputNHWC(backend, dy, filter, ci);
  const dyT = transpose(backend, dy, NCHW_TO_NHWC);
  const dx = conv2dBackpropInputNHWC(backend, dyT, filter, ci);
  const out = transpose(backend, dx, NHWC_TO_NCHW);
  dispose(backend, dyT, dx);
  return out;
}

function conv2DBackpropFilterKernel(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}): Info {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as unknown as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const ci = convInfoFor(x.shape, attrs.filterShape, attrs);
  if (ci.dataFormat === 'channelsLast') return conv2dBackpropFilterNHWC(backend, x, dy, ci);
  const xT = transpose(backend, x, NCHW_TO_NHWC);
  const dyT = transpose(backend, dy, NCHW_TO_NHWC);
  const out = conv2dBackpropFilterNHWC(backend, xT, dyT, ci);
  dispose(backend, xT, dyT);
  return out;
}

export const CONV_GRAD_KERNELS: tf.KernelConfig[] = [
  {
    kernelName: tf.Conv2DBackpropInput,
    backendName: 'wasm',
    kernelFunc: conv2DBackpropInputKernel as unknown as tf.KernelFunc,
  },
  {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: conv2DBackpropFilterKernel as unknown as tf.KernelFunc,
  },
];
