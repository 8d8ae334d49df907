import { strict as assert } from 'node:assert';
import { makeSplit, stratifiedQuotas, stratifiedSubset, type Split } from '../../lib/data/split';
import { makeDataset, randomRows, type FixtureRow } from '../fixtures/fer';

/** Per-class counts of some rows. */
function classCounts(labels: Uint8Array, rows: Int32Array): number[] {
  const c = new Array<number>(7).fill(0);
  for (const i of rows) c[labels[i]]++;
  return c;
}

function assertSortedDisjoint(s: Split, n: number): void {
  const seen = new Uint8Array(n);
  for (const part of [s.train, s.val, s.test]) {
    for (let k = 0; k < part.length; k++) {
      if (k > 0) assert.ok(part[k] > part[k - 1], 'sorted, no repeats');
      assert.equal(seen[part[k]], 0, `row ${part[k]} in two parts`);
      seen[part[k]] = 1;
    }
  }
}

/** Each part's class counts are within 1 of its proportional share of `pool`. */
function assertStratified(labels: Uint8Array, pool: Int32Array, part: Int32Array): void {
  const all = classCounts(labels, pool);
  const got = classCounts(labels, part);
  all.forEach((c, k) => {
    const want = (c * part.length) / pool.length;
    assert.ok(Math.abs(got[k] - want) <= 1, `class ${k}: ${got[k]} vs ${want.toFixed(2)}`);
  });
}

describe('data: splits', () => {
  // Unequal class sizes so that stratification is actually tested.
  const rows: FixtureRow[] = randomRows(700, 9).map((r, i) => ({
    ...r,
    label: [0, 1, 2, 3, 3, 3, 4, 5, 6, 6][i % 10],
  }));
  const ds = makeDataset(rows);
  const byUsage = (u: number): Int32Array =>
    Int32Array.from(rows.keys()).filter((i) => ds.usage[i] === u);

  it('official: train+val = Training, test = PublicTest+PrivateTest, stratified 10 % val', () => {
    const s = makeSplit(ds, 'official', { seed: 3 });
    assertSortedDisjoint(s, ds.n);
    const training = byUsage(0);
    assert.deepEqual(Int32Array.from([...s.train, ...s.val]).sort(), training);
    assert.deepEqual(s.test, Int32Array.from([...byUsage(1), ...byUsage(2)]).sort());
    assert.equal(s.val.length, Math.round(training.length * 0.1));
    assertStratified(ds.labels, training, s.val);
    assert.equal(s.name, 'official');
    assert.equal(s.seed, 3);
  });

  it('is deterministic in the seed, and the seed matters', () => {
    const a = makeSplit(ds, 'official', { seed: 3 });
    assert.deepEqual(makeSplit(ds, 'official', { seed: 3 }), a);
    const b = makeSplit(ds, 'official', { seed: 4 });
    assert.notDeepEqual(b.val, a.val);
    assert.deepEqual(b.test, a.test);
    assert.deepEqual(
      makeSplit(ds, 'paper-random', { seed: 5 }),
      makeSplit(ds, 'paper-random', { seed: 5 }),
    );
    assert.notDeepEqual(
      makeSplit(ds, 'paper-random', { seed: 6 }).test,
      makeSplit(ds, 'paper-random', { seed: 5 }).test,
    );
  });

  it('paper-random: stratified 80:20 of all rows, then 10 % val', () => {
    const s = makeSplit(ds, 'paper-random', { seed: 1, valFraction: 0.15 });
    assertSortedDisjoint(s, ds.n);
    assert.equal(s.train.length + s.val.length + s.test.length, ds.n);
    assert.equal(s.test.length, Math.round(ds.n * 0.2));
    assert.equal(s.val.length, Math.round((ds.n - s.test.length) * 0.15));
    const all = Int32Array.from(rows.keys());
    assertStratified(ds.labels, all, s.test);
    assertStratified(ds.labels, Int32Array.from([...s.train, ...s.val]).sort(), s.val);
  });

  it('public-private: the challenge protocol', () => {
    const s = makeSplit(ds, 'public-private');
    assert.deepEqual(s.train, byUsage(0));
    assert.deepEqual(s.val, byUsage(1));
    assert.deepEqual(s.test, byUsage(2));
  });

  it('dropLeakedTest removes exactly the test rows whose pixels occur in train or val', () => {
    // Usage by i % 10: 0-7 Training, 8 PublicTest, 9 PrivateTest.
    const r2 = randomRows(200, 4);
    const copy = (src: number, dst: number): void => {
      r2[dst] = { ...r2[dst], pixels: r2[src].pixels.slice() };
    };
    copy(0, 8); // Training -> PublicTest
    copy(1, 19); // Training -> PrivateTest
    copy(2, 29); // Training -> PrivateTest
    copy(38, 39); // PublicTest -> PrivateTest
    copy(49, 59); // PrivateTest -> PrivateTest: not a leak
    const d2 = makeDataset(r2);
    const pp = makeSplit(d2, 'public-private', { dropLeakedTest: true });
    assert.deepEqual(pp.droppedTest, Int32Array.from([19, 29, 39]));
    const plain = makeSplit(d2, 'public-private');
    assert.deepEqual(
      pp.test,
      plain.test.filter((i) => ![19, 29, 39].includes(i)),
    );
    assert.deepEqual(pp.train, plain.train);
    assert.deepEqual(pp.val, plain.val);
    // official: val comes from Training, so 8, 19, 29 leak and 39 (copy of a test row) does not.
    const off = makeSplit(d2, 'official', { dropLeakedTest: true });
    assert.deepEqual(off.droppedTest, Int32Array.from([8, 19, 29]));
    assert.equal(off.test.length, makeSplit(d2, 'official').test.length - 3);
    assert.equal(plain.droppedTest, undefined);
  });

  it('stratifiedQuotas sums to the total and never exceeds a class', () => {
    for (const [counts, total] of [
      [[10, 1, 5, 0, 7, 3, 3], 9],
      [[3995, 436, 4097, 7215, 4830, 3171, 4965], 2871],
      [[1, 1, 1, 1, 1, 1, 1], 3],
    ] as [number[], number][]) {
      const q = stratifiedQuotas(counts, total);
      assert.equal(
        q.reduce((a, b) => a + b, 0),
        total,
      );
      q.forEach((x, k) =>
        assert.ok(
          x <= counts[k] && x >= Math.floor((counts[k] * total) / counts.reduce((a, b) => a + b)),
        ),
      );
    }
  });

  it('stratifiedSubset: size, membership, proportions, determinism', () => {
    const pool = byUsage(0);
    const sub = stratifiedSubset(ds.labels, pool, 100, 7);
    assert.equal(sub.length, 100);
    const inPool = new Set(pool);
    for (const i of sub) assert.ok(inPool.has(i));
    assertStratified(ds.labels, pool, sub);
    assert.deepEqual(stratifiedSubset(ds.labels, pool, 100, 7), sub);
    assert.notDeepEqual(stratifiedSubset(ds.labels, pool, 100, 8), sub);
    // The input order does not matter.
    assert.deepEqual(stratifiedSubset(ds.labels, pool.slice().reverse(), 100, 7), sub);
    assert.equal(stratifiedSubset(ds.labels, pool, 10_000, 7).length, pool.length);
  });
});
