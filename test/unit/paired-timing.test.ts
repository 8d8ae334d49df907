import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  flopRatio,
  formatPairedTiming,
  loadPairedTiming,
  median,
  medianCI,
  medianRank,
  MIN_ROUNDS,
  pairedRatios,
  pairedTimingFor,
  summariseBatch,
} from '../../lib/eval/paired-timing';
import { FerError } from '../../lib/util/errors';
import { syntheticTiming } from '../fixtures/timing-fixtures';

describe('paired timing statistics', () => {
  it('median is the middle value, or the mean of the two middle ones', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('medianRank matches the binomial order-statistic table', () => {
    // P(Bin(n, 1/2) <= k-1) <= 0.025: none for n = 5 (1/32 > 0.025), k = 1 for n = 6 (1/64),
    // k = 2 for n = 10 (11/1024), and the textbook ranks 6 of 20 and 10 of 30.
    assert.equal(medianRank(5), 0);
    assert.equal(medianRank(6), 1);
    assert.equal(medianRank(10), 2);
    assert.equal(medianRank(20), 6);
    assert.equal(medianRank(30), 10);
    assert.ok(medianRank(MIN_ROUNDS) > 0 && medianRank(MIN_ROUNDS - 1) === 0);
  });

  it('medianCI takes the 2nd and 9th of 10 values with coverage 1 - 22/1024', () => {
    const c = medianCI([7, 3, 10, 1, 5, 9, 2, 8, 4, 6]);
    assert.deepEqual({ estimate: c.estimate, lo: c.lo, hi: c.hi }, { estimate: 5.5, lo: 2, hi: 9 });
    assert.equal(c.coverage, 1 - 22 / 1024);
  });

  it('medianCI refuses too few values', () => {
    assert.throws(
      () => medianCI([1, 2, 3, 4, 5]),
      (e: unknown) =>
        e instanceof FerError && /95 % CI of a median needs more values than 5/.test(e.message),
    );
  });

  it('pairedRatios divides round by round and checks its input', () => {
    assert.deepEqual(pairedRatios([2, 9], [1, 3]), [2, 3]);
    assert.throws(() => pairedRatios([1], [1, 2]), /differ/);
    assert.throws(() => pairedRatios([1], [0]), /not positive/);
  });

  it('summariseBatch: medians, CIs and the paired ratio by hand', () => {
    const a = [10, 12, 11, 13, 9, 10.5];
    const b = [5, 6, 5.5, 6.5, 4.5, 5];
    const s = summariseBatch(32, a, b);
    // a sorted: 9 10 10.5 11 12 13; n = 6 gives the extremes (k = 1), coverage 1 - 2/64.
    assert.deepEqual(
      { e: s.a.estimate, lo: s.a.lo, hi: s.a.hi, cov: s.a.coverage },
      { e: 10.75, lo: 9, hi: 13, cov: 1 - 2 / 64 },
    );
    // Ratios 2, 2, 2, 2, 2, 2.1: median 2, CI [2, 2.1].
    assert.deepEqual(
      { e: s.ratio.estimate, lo: s.ratio.lo, hi: s.ratio.hi },
      { e: 2, lo: 2, hi: 2.1 },
    );
    assert.deepEqual(s.msPerImage, [a, b]);
    assert.equal(s.batchSize, 32);
  });

  it('the ratio pairs round with round (not the ratio of the medians)', () => {
    // Ratios 1/3, 0.8, 1.5, 8/3, 5, 12: median (1.5 + 8/3) / 2; the medians' ratio would be 2.
    const s = summariseBatch(1, [10, 20, 30, 40, 50, 60], [30, 25, 20, 15, 10, 5]);
    assert.equal(s.ratio.estimate, (1.5 + 40 / 15) / 2);
    assert.deepEqual([s.ratio.lo, s.ratio.hi], [10 / 30, 12]);
  });

  it('flopRatio of the paper models is 1.33, and null when a count is missing', () => {
    assert.equal(flopRatio(580_951_040, 435_817_984)!.toFixed(3), '1.333');
    assert.equal(flopRatio(null, 1), null);
    assert.equal(flopRatio(1, 0), null);
  });
});

describe('paired timing results', () => {
  it('pairedTimingFor accepts only CNN-then-hybrid with the reported parameter counts', () => {
    const t = syntheticTiming({ 1: 1 });
    assert.equal(pairedTimingFor(t, 4_478_727, 3_117_319), t);
    assert.equal(pairedTimingFor(t, 282_567, 3_117_319), null);
    assert.equal(pairedTimingFor(null, 4_478_727, 3_117_319), null);
    const swapped = { ...t, models: [t.models[1], t.models[0]] as typeof t.models };
    assert.equal(pairedTimingFor(swapped, 4_478_727, 3_117_319), null);
  });

  it('loadPairedTiming: absent is null, another schema is a FerError', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-timing-'));
    try {
      assert.equal(loadPairedTiming(dir), null);
      fs.writeFileSync(path.join(dir, 'timing.json'), JSON.stringify({ schema: 'fer-eval/1' }));
      assert.throws(() => loadPairedTiming(dir), /unknown schema 'fer-eval\/1'/);
      const t = syntheticTiming({ 1: 2 });
      fs.writeFileSync(path.join(dir, 'timing.json'), JSON.stringify(t));
      assert.deepEqual(loadPairedTiming(dir), t);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('formatPairedTiming lists every framework and batch, or why PyTorch is missing', () => {
    const s = formatPairedTiming(syntheticTiming({ 1: 2, 256: 1.5 }));
    assert.match(s, /FLOP ratio A\/B 1\.33/);
    assert.match(s, /tfjs wasm, 2 thr\s+1 /);
    assert.match(s, /tfjs wasm, 2 thr\s+256 /);
    assert.match(s, /pytorch: \/usr\/bin\/python3 cannot import torch/);
    assert.match(
      formatPairedTiming(syntheticTiming({ 1: 2 }, 1.1)),
      /pytorch 1\.13\.0, 2 thr\s+1 /,
    );
  });
});
