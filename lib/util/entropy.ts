import { FerError } from './errors';

/** Shannon entropy in bits of the distribution c / Σc: H = -Σ_k q_k log2 q_k (0 log 0 = 0). */
export function entropyBits(counts: readonly number[]): number {
  const n = counts.reduce((s, v) => s + v, 0);
  if (n <= 0) throw new FerError('entropy of an empty distribution');
  let h = 0;
  for (const c of counts) {
    if (c < 0) throw new FerError(`negative count ${c}`);
    if (c > 0) h -= (c / n) * Math.log2(c / n);
  }
  return h;
}
