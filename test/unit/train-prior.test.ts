import { strict as assert } from 'node:assert';
import { priorEntropy, priorWarning } from '../../lib/train/prior';

describe('train: the class-prior warning', () => {
  it('prior entropy equals the hand computation', () => {
    // two equal classes: ln 2; 3:1 → -(0.75 ln 0.75 + 0.25 ln 0.25) = 0.562335144618...
    assert.ok(Math.abs(priorEntropy([0, 0, 1, 1], 7) - Math.log(2)) < 1e-15);
    assert.ok(Math.abs(priorEntropy([0, 0, 0, 1], 7) - 0.5623351446188083) < 1e-15);
    assert.equal(priorEntropy([3, 3, 3], 7), 0);
  });

  it('warns from epoch 2 when the training loss is within 2 % of it, not otherwise', () => {
    const h = 1.81;
    assert.match(priorWarning(3, 1.8109, h) ?? '', /epoch 3's training loss 1\.8109 .* 1\.8100/);
    assert.ok(priorWarning(2, h * 0.981, h));
    assert.equal(priorWarning(2, h * 0.979, h), null); // learning: below the band
    assert.equal(priorWarning(1, 1.87, h), null); // the first epoch starts above it
    assert.equal(priorWarning(2, 1.52, h), null); // the paper CNN's epoch 2
    assert.equal(priorWarning(2, Number.NaN, h), null); // divergence is reported elsewhere
    assert.ok(priorWarning(1, 1.87, h, { fromEpoch: 1 }));
  });
});
