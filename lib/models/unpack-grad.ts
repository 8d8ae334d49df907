import * as tf from '@tensorflow/tfjs';

/**
 * tfjs 4.22's gradient of Unpack (unstack) calls `stack(dy)`, but the engine hands a
 * single-output op its one gradient as a Tensor rather than a one-element array, so any
 * model that unstacks an axis of size 1 cannot be trained: an LSTM over a sequence of length
 * 1 fails in backprop with "Argument tensors passed to stack must be a `Tensor[]`". This
 * registers the same gradient, accepting either form.
 *
 * The gradient registry is global to the process, and a second copy of tfjs-core (the one
 * danfojs-node brings in through the tfjs-node override) registers its own Unpack gradient
 * when it loads, replacing this one. So building a model and starting a training register it
 * again (`registerUnpackGradient`), not only importing this module.
 */
export function registerUnpackGradient(): void {
  tf.registerGradient({
    kernelName: 'Unpack',
    gradFunc: (dy: tf.Tensor | tf.Tensor[], _saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const dys = Array.isArray(dy) ? dy : [dy];
      return { value: () => tf.stack(dys, attrs.axis as number) };
    },
  });
}

registerUnpackGradient();
