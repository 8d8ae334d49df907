import { strict as assert } from 'node:assert';
import { loadFer2013, makeSplit, type FerDataset } from '../../lib/data';
import { EMOTIONS } from '../../lib/data/classes';
import { classificationReport } from '../../lib/eval/metrics';
import { PAPER } from '../../lib/eval/paper';

/**
 * Real-data checks of the metric-definition question behind Table 4: what a model that has
 * collapsed to one class scores on the official test set under each F1 definition.
 */
describe('evaluation on the real FER2013 test set', function () {
  let ds: FerDataset;
  before(async function () {
    if (!process.env.FER2013_CSV) this.skip(); // needs the real file
    ds = await loadFer2013();
  });

  it("a single-class predictor reproduces Table 4's 30 % CNN cell only with weighted F1", () => {
    const test = makeSplit(ds, 'official').test;
    assert.equal(test.length, 7178);
    const y = Int32Array.from(test, (i) => ds.labels[i]);
    const paperAcc = PAPER.table3.cnn[9],
      paperF1 = PAPER.table4.cnn[9];
    // The class whose constant prediction comes closest to the paper's 0.18 accuracy.
    const byClass = EMOTIONS.map((_, c) =>
      classificationReport(y, new Int32Array(y.length).fill(c)),
    );
    const best = byClass.reduce((a, b) =>
      Math.abs(b.accuracy - paperAcc) < Math.abs(a.accuracy - paperAcc) ? b : a,
    );
    assert.ok(Math.abs(best.accuracy - paperAcc) < 0.01, `accuracy ${best.accuracy}`);
    // weighted F1 = prevalence * 2p/(1+p) rounds to the paper's 0.05; macro and micro do not.
    assert.ok(Math.abs(best.weighted.f1 - paperF1) < 0.005, `weighted ${best.weighted.f1}`);
    assert.ok(Math.abs(best.macro.f1 - paperF1) >= 0.005, `macro ${best.macro.f1}`);
    assert.ok(Math.abs(best.micro.f1 - paperF1) >= 0.005, `micro ${best.micro.f1}`);
  });
});
