import { strict as assert } from 'node:assert';
import { accuracyScore } from '../../lib/eval/metrics';
import {
  aggregateSeeds,
  binomHalfCdf,
  bootstrapCI,
  chi2Df1Sf,
  flattenNumbers,
  mcnemarExact,
  packBits,
  quantileSorted,
  unpackBits,
} from '../../lib/eval/stats';
import { Rng } from '../../lib/util/rng';
import { FerError } from '../../lib/util/errors';

/** Paired correctness vectors with the given counts of (A,B) = (1,1), (1,0), (0,1), (0,0). */
function table(both: number, b: number, c: number, neither: number): [Uint8Array, Uint8Array] {
  const a: number[] = [],
    bb: number[] = [];
  const push = (x: number, y: number, k: number): void => {
    for (let i = 0; i < k; i++) {
      a.push(x);
      bb.push(y);
    }
  };
  push(1, 1, both);
  push(1, 0, b);
  push(0, 1, c);
  push(0, 0, neither);
  return [Uint8Array.from(a), Uint8Array.from(bb)];
}

describe('McNemar', () => {
  it('matches the hand-computed exact p for b=10, c=2', () => {
    // P(X<=2 | n=12, 1/2) = (1 + 12 + 66) / 4096 ; two-sided p = 79/2048 = 0.03857
    const [a, b] = table(50, 10, 2, 30);
    const r = mcnemarExact(a, b);
    assert.equal(r.b, 10);
    assert.equal(r.c, 2);
    assert.equal(r.n, 92);
    assert.ok(Math.abs(r.pValue - 79 / 2048) < 1e-12, String(r.pValue));
    assert.ok(Math.abs(r.chi2 - 49 / 12) < 1e-12);
    assert.ok(Math.abs(r.accuracyA - 60 / 92) < 1e-12);
  });

  it('is symmetric, clips at 1, and gives 1 with no discordant pairs', () => {
    assert.equal(
      mcnemarExact(...table(5, 2, 10, 5)).pValue,
      mcnemarExact(...table(5, 10, 2, 5)).pValue,
    );
    assert.equal(mcnemarExact(...table(5, 4, 4, 5)).pValue, 1);
    assert.equal(mcnemarExact(...table(5, 0, 0, 5)).pValue, 1);
    // b=0, c=5: 2 * (1/2)^5
    assert.ok(Math.abs(mcnemarExact(...table(0, 0, 5, 0)).pValue - 1 / 16) < 1e-12);
    assert.throws(() => mcnemarExact([true], [true, false]), FerError);
  });

  it('binomial tail and chi-square tail are right for large n', () => {
    // symmetry: P(X <= n/2 - 1) + P(X <= n/2 - 1) + P(X = n/2) = 1 for even n
    const n = 4000;
    const lower = binomHalfCdf(n / 2 - 1, n);
    const mid = binomHalfCdf(n / 2, n) - lower;
    assert.ok(Math.abs(2 * lower + mid - 1) < 1e-9);
    assert.ok(Math.abs(chi2Df1Sf(3.841458820694124) - 0.05) < 1e-6); // chi2(1) 95 % point
    assert.ok(Math.abs(chi2Df1Sf(6.634896601021214) - 0.01) < 1e-6);
  });
});

describe('bootstrapCI', () => {
  it('a 95 % CI covers the true accuracy in >= 90 of 100 synthetic draws', function () {
    const truth = 0.7,
      n = 150;
    const rng = new Rng(11);
    let covered = 0;
    let excludedFar = 0;
    for (let draw = 0; draw < 100; draw++) {
      const yTrue = new Int32Array(n);
      const yPred = Int32Array.from({ length: n }, () => (rng.next() < truth ? 0 : 1));
      const ci = bootstrapCI(yTrue, yPred, accuracyScore, { resamples: 300, seed: draw });
      assert.ok(ci.lo <= ci.estimate && ci.estimate <= ci.hi);
      if (ci.lo <= truth && truth <= ci.hi) covered++;
      if (!(ci.lo <= 0.5 && 0.5 <= ci.hi)) excludedFar++;
    }
    assert.ok(covered >= 90 && covered <= 100, `covered ${covered}/100`);
    // ...and it is not trivially wide: a value far from the truth is excluded every time.
    assert.equal(excludedFar, 100);
  });

  it('is reproducible for a seed', () => {
    const yT = [0, 1, 2, 0, 1, 2, 0, 1];
    const yP = [0, 1, 1, 0, 2, 2, 0, 0];
    const a = bootstrapCI(yT, yP, accuracyScore, { seed: 3, resamples: 200 });
    const b = bootstrapCI(yT, yP, accuracyScore, { seed: 3, resamples: 200 });
    assert.deepEqual(a, b);
    assert.equal(a.estimate, 5 / 8);
  });

  it('percentiles interpolate like numpy', () => {
    assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantileSorted([10, 20], 0.25), 12.5);
    assert.equal(quantileSorted([7], 0.975), 7);
  });
});

describe('aggregateSeeds', () => {
  it('gives mean and sample std per metric', () => {
    const r = aggregateSeeds([
      { acc: 1, f1: 2 },
      { acc: 3, f1: 2 },
      { acc: 5, f1: 2 },
    ]);
    assert.equal(r.acc.mean, 3);
    assert.equal(r.acc.std, 2); // sqrt(((-2)^2 + 0 + 2^2) / 2)
    assert.equal(r.f1.std, 0);
    assert.deepEqual(r.acc.values, [1, 3, 5]);
    assert.equal(aggregateSeeds([{ acc: 0.5 }]).acc.std, null);
    assert.throws(() => aggregateSeeds([{ acc: 1 }, { f1: 1 }]), FerError);
  });

  it('flattens nested results to dotted keys', () => {
    assert.deepEqual(flattenNumbers({ a: { b: 1, c: [2, 3] }, d: 'x', e: 4 }), {
      'a.b': 1,
      'a.c.0': 2,
      'a.c.1': 3,
      e: 4,
    });
  });
});

describe('packBits / unpackBits', () => {
  it('packs bit i into byte i >> 3, bit i & 7, base64-encoded', () => {
    // bits 0 and 8 set -> bytes [0x01, 0x01] -> base64 'AQE='; bits 1, 2 -> [0x06] -> 'Bg=='
    assert.equal(packBits([1, 0, 0, 0, 0, 0, 0, 0, 1]), 'AQE=');
    assert.equal(packBits([0, 1, 1]), 'Bg==');
    assert.deepEqual(Array.from(unpackBits('AQE=', 9)), [1, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert.throws(() => unpackBits('AQE=', 3), FerError);
  });
});
