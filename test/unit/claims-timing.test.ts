import { strict as assert } from 'node:assert';
import {
  claim2bFromPairedTiming,
  pairedSpeedupVerdict,
  SPEEDUP_REPRODUCED,
  speedupVerdict,
} from '../../lib/report/claims';
import { summariseBatch } from '../../lib/eval/paired-timing';
import { syntheticTiming } from '../fixtures/timing-fixtures';

const ci = (lo: number, hi: number) => ({ estimate: (lo + hi) / 2, lo, hi });
const at = (batchSize: number, lo: number, hi: number) => ({ batchSize, ratio: ci(lo, hi) });

describe('claim 2b from a paired timing', () => {
  it('one batch size: the CI against the 1.5x threshold', () => {
    assert.equal(SPEEDUP_REPRODUCED, 1.5);
    assert.equal(speedupVerdict(ci(1.5, 2.2)), 'reproduced');
    assert.equal(speedupVerdict(ci(0.8, 1.49)), 'contradicted');
    assert.equal(speedupVerdict(ci(1.4, 1.6)), 'undecided');
    // A CI that reaches 1.5 does not rule it out.
    assert.equal(speedupVerdict(ci(1.2, 1.5)), 'undecided');
  });

  it('batch 1 decides unless another batch size decides the other way', () => {
    assert.equal(pairedSpeedupVerdict([at(1, 0.9, 0.95), at(256, 1.2, 1.3)]), 'contradicted');
    assert.equal(pairedSpeedupVerdict([at(1, 0.9, 0.95), at(256, 1.4, 1.7)]), 'contradicted');
    assert.equal(pairedSpeedupVerdict([at(1, 0.9, 0.95), at(256, 1.6, 1.7)]), 'undecided');
    assert.equal(pairedSpeedupVerdict([at(1, 1.8, 2.0), at(32, 1.6, 1.9)]), 'reproduced');
    assert.equal(pairedSpeedupVerdict([at(1, 1.8, 2.0), at(32, 1.0, 1.1)]), 'undecided');
    assert.equal(pairedSpeedupVerdict([at(1, 1.4, 1.6), at(32, 1.0, 1.1)]), 'undecided');
  });

  it('without batch 1 every batch size must agree', () => {
    assert.equal(pairedSpeedupVerdict([at(32, 1.6, 1.7), at(256, 1.8, 1.9)]), 'reproduced');
    assert.equal(pairedSpeedupVerdict([at(32, 1.6, 1.7), at(256, 1.4, 1.6)]), 'undecided');
    assert.equal(pairedSpeedupVerdict([]), 'not tested');
  });

  it('a hybrid twice as fast everywhere is reproduced, with the FLOP bound in the evidence', () => {
    const v = claim2bFromPairedTiming(syntheticTiming({ 1: 2, 32: 2, 256: 2 }));
    assert.equal(v.id, '2b');
    assert.equal(v.verdict, 'reproduced');
    assert.match(v.evidence, /at batch 1, .* at batch 32, .* at batch 256/);
    assert.match(v.evidence, /bound a compute-bound speed-up at 1\.33×/);
    assert.match(v.evidence, /no PyTorch reference \(\/usr\/bin\/python3 cannot import torch\)/);
    assert.match(v.evidence, /tfjs wasm with 2 threads, Test CPU/);
  });

  it("a hybrid slower at batch 1 and 1.3x at 256 contradicts; PyTorch's verdict is named", () => {
    const v = claim2bFromPairedTiming(syntheticTiming({ 1: 0.9, 32: 1.1, 256: 1.3 }, 2));
    assert.equal(v.verdict, 'contradicted');
    assert.match(v.evidence, /^the hybrid's paired speed-up/);
    assert.match(
      v.evidence,
      /PyTorch 1\.13\.0 on the same machine: \d\.\d\d \[.*\]× at batch 1 \(verdict reproduced\)/,
    );
    const same = claim2bFromPairedTiming(syntheticTiming({ 1: 0.9 }, 1.0));
    assert.match(same.evidence, /\(the same verdict\)/);
  });

  it('a CI straddling 1.5x at batch 1 is undecided', () => {
    const t = syntheticTiming({ 1: 2 });
    const a = [10, 10, 10, 10, 10, 10];
    // Per-round speed-ups 1.2 … 1.9: the median CI spans the threshold.
    t.tfjs.batches = [
      summariseBatch(
        1,
        a,
        [1.2, 1.4, 1.5, 1.6, 1.8, 1.9].map((k) => 10 / k),
      ),
    ];
    assert.equal(claim2bFromPairedTiming(t).verdict, 'undecided');
  });
});
