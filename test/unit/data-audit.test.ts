import { strict as assert } from 'node:assert';
import { auditDuplicates, imageGroups, rowsWithCopiesIn, splitLeakage } from '../../lib/data/audit';
import { makeSplit } from '../../lib/data/split';
import { makeDataset, randomRows, type FixtureRow } from '../fixtures/fer';

describe('data: duplicate and leakage audit', () => {
  // Usage by i % 10: 0-7 Training, 8 PublicTest, 9 PrivateTest.
  function fixture(byteOffset = 0) {
    const rows: FixtureRow[] = randomRows(60, 11);
    const copy = (src: number, dst: number, label = rows[src].label): void => {
      rows[dst] = { ...rows[dst], label, pixels: rows[src].pixels.slice() };
    };
    copy(0, 1); // group {0,1}: Training only, same label
    copy(2, 3, (rows[2].label + 1) % 7); // group {2,3}: conflicting labels
    copy(4, 8); // group {4,8}: PublicTest copy of Training
    copy(5, 9); // group {5,9,19}: PrivateTest copies of Training
    copy(5, 19);
    copy(18, 29); // group {18,29}: PrivateTest copy of PublicTest
    // A near-copy (one pixel differs) must not be grouped.
    rows[30] = { ...rows[30], pixels: rows[31].pixels.slice() };
    rows[30].pixels[1000] ^= 1;
    return makeDataset(rows, byteOffset);
  }

  it('finds groups, conflicts and usage overlaps exactly', () => {
    const ds = fixture();
    const g = imageGroups(ds);
    assert.equal(g[1], 0);
    assert.equal(g[19], 5);
    assert.equal(g[30], 30);
    assert.equal(g[31], 31);
    const a = auditDuplicates(ds);
    assert.equal(a.rows, 60);
    assert.equal(a.duplicateGroups, 5);
    assert.equal(a.rowsInDuplicateGroups, 11);
    assert.equal(a.distinct, 60 - 11 + 5);
    assert.equal(a.conflictingLabelGroups, 1);
    assert.equal(a.usageOverlap.PublicTest.Training, 1); // row 8
    assert.equal(a.usageOverlap.PrivateTest.Training, 2); // rows 9, 19
    assert.equal(a.usageOverlap.PrivateTest.PublicTest, 1); // row 29
    assert.equal(a.usageOverlap.PublicTest.PrivateTest, 1); // row 18
    assert.equal(a.usageOverlap.Training.Training, 4); // rows 0, 1, 2, 3
    assert.equal(a.usageOverlap.PrivateTest.PrivateTest, 2); // rows 9, 19
    assert.equal(a.usageOverlap.Training.PrivateTest, 1); // row 5
  });

  it('gives the same answer for an unaligned pixel buffer', () => {
    assert.deepEqual(imageGroups(fixture(3)), imageGroups(fixture(0)));
    assert.deepEqual(auditDuplicates(fixture(1)), auditDuplicates(fixture(0)));
  });

  it('counts test rows leaking into train and val per split', () => {
    const ds = fixture();
    const pp = splitLeakage(ds, makeSplit(ds, 'public-private'));
    assert.deepEqual(pp, { testInTrain: 2, testInVal: 1, testInTrainOrVal: 3, valInTrain: 1 });
    const off = makeSplit(ds, 'official', { seed: 2 });
    const l = splitLeakage(ds, off);
    // Test = rows 8, 9, 19, 29 and their group mates 4, 5, 18 are Training or PublicTest.
    assert.equal(l.testInTrainOrVal, 3);
    assert.deepEqual(
      rowsWithCopiesIn(ds, off.test, [off.train, off.val]),
      Int32Array.from([8, 9, 19]),
    );
  });

  it('reports no duplicates for distinct images', () => {
    const a = auditDuplicates(makeDataset(randomRows(40, 1)));
    assert.equal(a.distinct, 40);
    assert.equal(a.duplicateGroups, 0);
    assert.equal(a.usageOverlap.PrivateTest.Training, 0);
  });
});
