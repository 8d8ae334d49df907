/**
 * A training that predicts the class prior has stopped learning: its mean cross-entropy sits at
 * the prior's entropy H(p) = -Σ_c p_c ln p_c, the loss of answering p for every image. The
 * training loop warns when an epoch ends there, so that a dead design is noticed after two epochs
 * rather than after early stopping.
 */
import { entropyBits } from '../util/entropy';

/** Entropy (nats) of the label distribution: the cross-entropy of always predicting it. */
export function priorEntropy(labels: ArrayLike<number>, numClasses: number): number {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return entropyBits(counts) * Math.LN2;
}

/**
 * The warning for an epoch whose mean training loss is within `tolerance` (relative) of the
 * prior's entropy, from epoch `fromEpoch` on (the first epoch starts above it), else null.
 */
export function priorWarning(
  epoch: number,
  loss: number,
  entropy: number,
  opts: { fromEpoch?: number; tolerance?: number } = {},
): string | null {
  const { fromEpoch = 2, tolerance = 0.02 } = opts;
  if (epoch < fromEpoch || !(loss >= entropy * (1 - tolerance))) return null;
  return (
    `warning: epoch ${epoch}'s training loss ${loss.toFixed(4)} is at the class prior's entropy ` +
    `${entropy.toFixed(4)}: the model answers the label frequencies for every image and is not learning`
  );
}
