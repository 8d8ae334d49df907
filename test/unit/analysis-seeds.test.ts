import { strict as assert } from 'node:assert';
import {
  collapseBySeed,
  directionFlips,
  pairedTTest,
  seedSpread,
  studentTCdf,
  studentTQuantile,
} from '../../lib/eval/seeds';
import { FerError } from '../../lib/util/errors';

const close = (a: number, b: number, tol: number): void =>
  assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

describe('analysis: between-seed statistics', () => {
  it('mean ± sd over seeds', () => {
    // mean (0.60 + 0.62 + 0.64)/3 = 0.62; sd = sqrt((0.0004 + 0 + 0.0004)/2) = 0.02
    const s = seedSpread([0.6, 0.62, 0.64]);
    close(s.mean, 0.62, 1e-12);
    close(s.std as number, 0.02, 1e-12);
    assert.equal(seedSpread([0.5]).std, null);
  });

  it('Student-t CDF matches the closed forms for df = 1 and 2, and scipy', () => {
    // df = 1 (Cauchy): F(t) = 1/2 + atan(t)/π; df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t²))
    for (const t of [-3, -0.7, 0, 0.4, 1.9, 12]) {
      close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12);
      close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12);
    }
    // scipy 1.10: t.cdf(-2.5, 7), t.cdf(0.3, 30), t.ppf(0.975, 4)
    close(studentTCdf(-2.5, 7), 0.020496109292876437, 1e-12);
    close(studentTCdf(0.3, 30), 0.6168769473578236, 1e-12);
    close(studentTQuantile(0.975, 4), 2.7764451051977987, 1e-9);
  });

  it('paired t-test on 3 toy seeds equals the hand computation', () => {
    // d = (0.03, 0, 0.04): d̄ = 0.07/3, s_d² = ((0.02/3)² + (0.07/3)² + (0.05/3)²)/2 = 0.0078/18,
    // t = d̄ / (s_d/√3) = 1.94145..., df = 2, p = 1 - t/sqrt(2 + t²) = 0.19171 (df-2 closed form;
    // scipy ttest_rel gives statistic 1.9414506867883021, p 0.19170962313452386).
    const r = pairedTTest([0.62, 0.6, 0.61], [0.59, 0.6, 0.57]);
    const mean = 0.07 / 3;
    const sd = Math.sqrt(0.0078 / 18);
    const t = mean / (sd / Math.sqrt(3));
    close(r.meanDifference, mean, 1e-12);
    close(r.sdDifference, sd, 1e-12);
    close(r.t, t, 1e-9);
    assert.equal(r.df, 2);
    close(r.pValue, 1 - t / Math.sqrt(2 + t * t), 1e-10);
    close(r.pValue, 0.19170962313452386, 1e-10);
    // 95 % CI: d̄ ± t_{0.975,2} s_d/√3, with the df-2 quantile in closed form
    // t_q = (2q-1) sqrt(2 / (1 - (2q-1)²)) = 0.95 sqrt(2/0.0975) = 4.30265
    const tq = 0.95 * Math.sqrt(2 / (1 - 0.95 * 0.95));
    close(r.ci.lo, mean - tq * (sd / Math.sqrt(3)), 1e-9);
    close(r.ci.hi, mean + tq * (sd / Math.sqrt(3)), 1e-9);
  });

  it('paired t-test on 5 seeds matches scipy, and handles zero variance', () => {
    const r = pairedTTest([0.62, 0.6, 0.61, 0.58, 0.64], [0.59, 0.6, 0.57, 0.6, 0.6]);
    close(r.t, 1.5, 1e-9);
    close(r.pValue, 0.208, 1e-9);
    assert.equal(pairedTTest([1, 2], [1, 2]).pValue, 1);
    const same = pairedTTest([2, 3], [1, 2]);
    assert.equal(same.t, Infinity);
    assert.equal(same.pValue, 0);
    assert.throws(() => pairedTTest([1], [2]), FerError);
    assert.throws(() => pairedTTest([1, 2], [2]), FerError);
  });

  it('counts direction flips and the class each seed collapses to', () => {
    assert.deepEqual(directionFlips([0.6, 0.5, 0.7, 0.4], [0.5, 0.6, 0.6, 0.4]), {
      positive: 2,
      negative: 1,
      zero: 1,
      flips: 1,
    });
    const c = collapseBySeed([
      { seed: 1, counts: [0, 0, 0, 1, 0, 0, 99] },
      { seed: 2, counts: [0, 0, 0, 90, 0, 0, 10] },
    ]);
    assert.deepEqual(
      c.seeds.map((s) => [s.seed, s.topClass, s.topShare]),
      [
        [1, 6, 0.99],
        [2, 3, 0.9],
      ],
    );
    assert.equal(c.sameClass, false);
  });
});
