/**
 * Gradients that tfjs composes from many full-size element-wise ops, computed with fewer
 * passes over memory while the onednn backend is active (on every other backend, and for
 * shapes not handled here, tfjs's own gradient runs unchanged).
 *
 * - FusedBatchNorm: tfjs's gradient makes ~15 passes over activation-sized tensors. All five
 *   gradients need only two per-channel sums, S1 = Σ dy and S2 = Σ dy·(x − mean) (one fused
 *   native pass, `FerBatchNormGradSum`), and dx = dy · scale/√(var+ε) (one pass):
 *     dx = dy·k, dmean = −k·S1, dvar = −½·scale·r³·S2, dscale = r·S2, doffset = S1,
 *   with r = 1/√(var+ε), k = scale·r.
 * - Mean: tfjs multiplies dy by a full-size tensor of ones, then divides; dy/N broadcast to the
 *   input's shape is the same value (dy·1/N = dy/N exactly) in one pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { OnednnAddon } from './addon';

export const BN_GRAD_SUM = 'FerBatchNormGradSum';

type Info = tf.TensorInfo;

/** The kernel behind S2 (registered for `backendName` only). */
export function bnGradSumKernel(addon: OnednnAddon, backendName: string): tf.KernelConfig {
  return {
    kernelName: BN_GRAD_SUM,
    backendName,
    kernelFunc: ((args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend }) => {
      const backend = args.backend as BackendWasm;
      const { dy, x, mean } = args.inputs as unknown as { dy: Info; x: Info; mean: Info };
      const out = backend.makeOutput(mean.shape, 'float32');
      const v = (t: Info): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;
      addon.bnGradSum(v(dy), v(x), v(mean), v(out));
      return out;
    }) as unknown as tf.KernelFunc,
  };
}

function batchNormGrad(original: tf.GradConfig, backendName: string): tf.GradConfig {
  return {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as (tf.Tensor | null | undefined)[];
      const dyt = dy as tf.Tensor;
      const c = mean ? mean.shape[0] : 0;
      const native =
        tf.getBackend() === backendName &&
        x &&
        mean &&
        variance &&
        mean.rank === 1 &&
        variance.rank === 1 &&
        x.rank >= 2 &&
        x.shape[x.rank - 1] === c &&
        (!scale || (scale.rank === 1 && scale.shape[0] === c)) &&
        x.dtype === 'float32' &&
        dyt.dtype === 'float32';
      if (!native) return original.gradFunc(dy, saved, attrs);
      const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      const r = tf.rsqrt(tf.add(variance, varianceEpsilon));
      const sc = scale ?? tf.onesLike(mean);
      const k = tf.mul(sc, r);
      const s2 = (): tf.Tensor =>
        tf.engine().runKernel(BN_GRAD_SUM, { dy: dyt, x, mean }) as tf.Tensor;
      return {
        x: () => tf.mul(dyt, k),
        mean: () => tf.neg(tf.mul(k, tf.sum(dyt, axes))),
        variance: () => tf.mul(tf.mul(sc, tf.mul(tf.mul(tf.mul(r, r), r), -0.5)), s2()),
        scale: () => tf.mul(r, s2()),
        offset: () => tf.sum(dyt, axes),
      };
    },
  };
}

function meanGrad(original: tf.GradConfig, backendName: string): tf.GradConfig {
  return {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      const dyt = dy as tf.Tensor;
      if (tf.getBackend() !== backendName || x.dtype !== 'float32' || dyt.dtype !== 'float32')
        return original.gradFunc(dy, saved, attrs);
      const axes = tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x.shape);
      const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const n = axes.reduce((p, a) => p * x.shape[a], 1);
      return { x: () => tf.broadcastTo(tf.div(tf.reshape(dyt, expanded), n), x.shape) };
    },
  };
}

/** Replaces the FusedBatchNorm and Mean gradients with ones that use the fast path on `backendName`. */
export function registerOnednnGradients(backendName: string): void {
  const bn = tf.getGradient(tf.FusedBatchNorm);
  if (bn) tf.registerGradient(batchNormGrad(bn, backendName));
  const mean = tf.getGradient(tf.Mean);
  if (mean) tf.registerGradient(meanGrad(mean, backendName));
}
