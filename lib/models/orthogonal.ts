import { Rng } from '../util/rng';

/**
 * A rows×cols matrix (row-major) with orthonormal rows (rows ≤ cols), from a seeded Gaussian
 * matrix by modified Gram-Schmidt in float64: the same distribution as Keras's orthogonal
 * initializer (QR of a Gaussian matrix), without tfjs's slow tensor-op QR.
 */
export function orthogonalRows(rows: number, cols: number, seed: number): Float32Array {
  if (rows > cols) throw new Error(`orthogonalRows: rows (${rows}) > cols (${cols})`);
  const rng = new Rng(seed);
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = rng.normal();
  for (let i = 0; i < rows; i++) {
    const ri = i * cols;
    // Two passes of Gram-Schmidt keep the rows orthogonal to float64 precision.
    for (let pass = 0; pass < 2; pass++)
      for (let j = 0; j < i; j++) {
        const rj = j * cols;
        let dot = 0;
        for (let k = 0; k < cols; k++) dot += m[ri + k] * m[rj + k];
        for (let k = 0; k < cols; k++) m[ri + k] -= dot * m[rj + k];
      }
    let norm = 0;
    for (let k = 0; k < cols; k++) norm += m[ri + k] * m[ri + k];
    norm = Math.sqrt(norm);
    for (let k = 0; k < cols; k++) m[ri + k] /= norm;
  }
  return Float32Array.from(m);
}
