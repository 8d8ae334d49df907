import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { addGaussianNoise, PAPER_NOISE_LEVELS } from '../../lib/data/noise';
import { batches, imagesToTensor, labelsOf, normalizeImages, oneHot } from '../../lib/data/tensor';
import { PIXELS_PER_IMAGE } from '../../lib/data/classes';
import { Rng } from '../../lib/util/rng';
import { makeDataset, randomRows } from '../fixtures/fer';

function meanStd(x: Float32Array | number[]): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  for (const v of x) {
    s += v;
    s2 += v * v;
  }
  const mean = s / x.length;
  return { mean, std: Math.sqrt(s2 / x.length - mean * mean) };
}

describe('data: noise', () => {
  it('has the paper levels', () => {
    assert.deepEqual(
      PAPER_NOISE_LEVELS,
      [0.005, 0.01, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3],
    );
  });

  it('adds N(0, σ²) away from the bounds', () => {
    for (const sigma of [0.01, 0.05, 0.08]) {
      const x = new Float32Array(100_000).fill(0.5);
      addGaussianNoise(x, sigma, new Rng(1));
      const d = Array.from(x, (v) => v - 0.5);
      const { mean, std } = meanStd(d);
      // Standard error of the mean is σ/√n ≈ σ/316; of the std about σ/447.
      assert.ok(Math.abs(mean) < (4 * sigma) / 316, `mean ${mean}`);
      assert.ok(Math.abs(std / sigma - 1) < 0.01, `std ${std} vs ${sigma}`);
    }
  });

  it('clips to [0, 1]', () => {
    const x = new Float32Array(20_000);
    for (let i = 0; i < x.length; i++) x[i] = i % 2; // half 0, half 1
    addGaussianNoise(x, 0.3, new Rng(2));
    let atBound = 0;
    for (let i = 0; i < x.length; i++) {
      assert.ok(x[i] >= 0 && x[i] <= 1);
      if (x[i] === i % 2) atBound++;
    }
    // Half of the draws push past the bound and are clipped back onto it.
    assert.ok(Math.abs(atBound / x.length - 0.5) < 0.02, `${atBound}`);
  });

  it('is reproducible from the seed and differs across seeds; σ = 0 is a no-op', () => {
    const base = Float32Array.from({ length: 5000 }, (_, i) => (i % 256) / 255);
    const a = addGaussianNoise(base.slice(), 0.1, new Rng(7));
    assert.deepEqual(addGaussianNoise(base.slice(), 0.1, new Rng(7)), a);
    assert.notDeepEqual(addGaussianNoise(base.slice(), 0.1, new Rng(8)), a);
    assert.deepEqual(addGaussianNoise(base.slice(), 0, new Rng(7)), base);
    assert.throws(() => addGaussianNoise(base.slice(), -1, new Rng(7)), RangeError);
  });
});

describe('data: tensors', () => {
  const ds = makeDataset(randomRows(20, 3));
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('normalises rows to [0, 1] as [n, 48, 48, 1]', () => {
    const idx = Int32Array.from([3, 0, 7]);
    const t = imagesToTensor(ds, idx);
    assert.deepEqual(t.shape, [3, 48, 48, 1]);
    assert.equal(t.dtype, 'float32');
    const v = t.dataSync();
    idx.forEach((row, k) => {
      for (const j of [0, 1, 1000, PIXELS_PER_IMAGE - 1])
        assert.equal(
          v[k * PIXELS_PER_IMAGE + j],
          Math.fround(ds.pixels[row * PIXELS_PER_IMAGE + j] / 255),
        );
    });
    t.dispose();
  });

  it('applies seeded noise identically in tensors, arrays and batches', () => {
    const idx = Int32Array.from({ length: 20 }, (_, i) => i);
    const a = normalizeImages(ds, idx, { noise: 0.1, seed: 4 });
    const t = imagesToTensor(ds, idx, { noise: 0.1, seed: 4 });
    assert.deepEqual(t.dataSync(), a);
    t.dispose();
    const clean = normalizeImages(ds, idx);
    assert.notDeepEqual(a, clean);
    // Batching does not change the noise drawn for the pass.
    const parts: number[] = [];
    for (const b of batches(ds, idx, 6, { noise: 0.1, seed: 4 })) {
      parts.push(...b.x.dataSync());
      b.x.dispose();
      b.y.dispose();
    }
    assert.deepEqual(Float32Array.from(parts), a);
  });

  it('labelsOf and oneHot agree', () => {
    const idx = Int32Array.from([5, 6, 12]);
    const y = labelsOf(ds, idx);
    assert.deepEqual(Array.from(y), [5, 6, 5]);
    const oh = oneHot(y);
    assert.deepEqual(oh.shape, [3, 7]);
    assert.deepEqual(Array.from(tf.argMax(oh, 1).dataSync()), [5, 6, 5]);
    assert.equal(tf.sum(oh).dataSync()[0], 3);
    oh.dispose();
    assert.throws(() => oneHot([7]), RangeError);
  });

  it('batches cover every row once, shuffled by the rng, with the right sizes', () => {
    const idx = Int32Array.from({ length: 20 }, (_, i) => i);
    const seen: number[] = [];
    const sizes: number[] = [];
    for (const b of batches(ds, idx, 8, { shuffle: new Rng(1) })) {
      sizes.push(b.indices.length);
      seen.push(...b.indices);
      assert.deepEqual(
        Array.from(tf.argMax(b.y, 1).dataSync()),
        Array.from(labelsOf(ds, b.indices)),
      );
      b.x.dispose();
      b.y.dispose();
    }
    assert.deepEqual(sizes, [8, 8, 4]);
    assert.notDeepEqual(seen, Array.from(idx));
    assert.deepEqual(
      seen.slice().sort((p, q) => p - q),
      Array.from(idx),
    );
    const dropped = [...batches(ds, idx, 8, { dropRemainder: true })];
    assert.equal(dropped.length, 2);
    for (const b of dropped) tf.dispose([b.x, b.y]);
  });
});
