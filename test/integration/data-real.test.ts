/**
 * Integration test on the real FER2013 file (skipped unless FER2013_CSV is set). It parses the
 * file at most once: loadFer2013 builds or reuses the binary cache in data/cache/.
 */
import { strict as assert } from 'node:assert';
import { auditDuplicates, splitLeakage } from '../../lib/data/audit';
import { loadFer2013 } from '../../lib/data/cache';
import { ORIGINAL_SHA256, type FerDataset } from '../../lib/data/dataset';
import { makeSplit } from '../../lib/data/split';

describe('data: the real fer2013.csv (FER2013_CSV)', function () {
  let ds: FerDataset;
  before(async function () {
    if (!process.env.FER2013_CSV) {
      console.log('      (skipped: set FER2013_CSV to fer2013.csv or fer2013.csv.gz)');
      this.skip();
    }
    ds = await loadFer2013();
  });

  it('has 35,887 rows with the known class and usage counts and the original hash', () => {
    assert.equal(ds.n, 35_887);
    assert.equal(ds.sha256, ORIGINAL_SHA256);
    const classes = new Array<number>(7).fill(0);
    const usage = [0, 0, 0];
    for (let i = 0; i < ds.n; i++) {
      classes[ds.labels[i]]++;
      usage[ds.usage[i]]++;
    }
    assert.deepEqual(classes, [4953, 547, 5121, 8989, 6077, 4002, 6198]);
    assert.deepEqual(usage, [28_709, 3_589, 3_589]);
  });

  it('has the known duplicates and test leakage', () => {
    const a = auditDuplicates(ds);
    assert.equal(a.distinct, 34_034);
    assert.equal(a.duplicateGroups, 1_516);
    assert.equal(a.rowsInDuplicateGroups, 3_369);
    assert.equal(a.conflictingLabelGroups, 57);
    assert.equal(a.usageOverlap.PublicTest.Training, 280);
    assert.equal(a.usageOverlap.PrivateTest.Training, 288);
    assert.equal(a.usageOverlap.PrivateTest.PublicTest, 44);
  });

  it('official split: 80:20 by Usage, and dropLeakedTest removes the 568 leaked test rows', () => {
    const s = makeSplit(ds, 'official', { seed: 0 });
    assert.equal(s.train.length + s.val.length, 28_709);
    assert.equal(s.val.length, 2_871);
    assert.equal(s.test.length, 7_178);
    assert.equal(splitLeakage(ds, s).testInTrainOrVal, 280 + 288);
    const clean = makeSplit(ds, 'official', { seed: 0, dropLeakedTest: true });
    assert.equal(clean.test.length, 7_178 - 568);
    assert.equal(splitLeakage(ds, clean).testInTrainOrVal, 0);
  });
});
