import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng';

/**
 * Gives every Dropout layer a fresh seed from `rng`. tfjs's Dropout passes its fixed `seed` to
 * `randomUniform` on every call, so a seeded layer would drop the *same* units in every batch,
 * and an unseeded one draws from Math.random (not reproducible). Calling this before each
 * training step makes the masks vary per step yet depend only on the Rng state, which the
 * checkpoint saves: that is what makes a resumed run bit-identical to an uninterrupted one.
 */
export function reseedDropout(model: tf.LayersModel, rng: Rng): void {
  for (const l of model.layers)
    if (l.getClassName() === 'Dropout') (l as unknown as { seed: number }).seed = rng.seed();
}
