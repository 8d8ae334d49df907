/**
 * Gaussian pixel noise as the paper applies it to test images (its Fig. 4 code is missing from
 * the text; this is the most natural reading, see PAPER-NOTES.md):
 *   x' = clip(x + N(0, σ²), 0, 1), images scaled to [0, 1], σ = the noise level.
 */
import type { Rng } from '../util/rng';

/** The paper's ten noise levels (Tables 3 and 4), as σ on the [0, 1] pixel scale. */
export const PAPER_NOISE_LEVELS: readonly number[] = [
  0.005, 0.01, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3,
];

/** Add N(0, σ²) to every element in place and clip to [0, 1]; returns `x`. */
export function addGaussianNoise(x: Float32Array, sigma: number, rng: Rng): Float32Array {
  if (!(sigma >= 0)) throw new RangeError(`noise sigma must be >= 0, got ${sigma}`);
  if (sigma === 0) return x;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] + sigma * rng.normal();
    x[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return x;
}
