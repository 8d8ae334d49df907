import * as tf from '@tensorflow/tfjs';

/**
 * tfjs 4.22's gradient of Unpack (unstack) calls `stack(dy)`, but the engine hands a
 * single-output op its one gradient as a Tensor rather than a one-element array, so any
 * model that unstacks an axis of size 1 cannot be trained: an LSTM over a sequence of length
 * 1 fails in backprop with "Argument tensors passed to stack must be a `Tensor[]`". This
 * registers the same gradient, accepting either form. Importing this module applies it.
 */
tf.registerGradient({
  kernelName: 'Unpack',
  gradFunc: (dy: tf.Tensor | tf.Tensor[], _saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const dys = Array.isArray(dy) ? dy : [dy];
    return { value: () => tf.stack(dys, attrs.axis as number) };
  },
});
