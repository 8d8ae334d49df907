import { strict as assert } from 'node:assert';
import { Rng } from '../../lib/util/rng';

describe('Rng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(1),
      b = new Rng(1),
      c = new Rng(2);
    const xa = [a.next(), a.next(), a.next()];
    assert.deepEqual(xa, [b.next(), b.next(), b.next()]);
    assert.notDeepEqual(xa, [c.next(), c.next(), c.next()]);
  });

  it('resumes bit-exactly from a saved state', () => {
    const a = new Rng(7);
    a.normal();
    const st = a.getState();
    const b = Rng.fromState(JSON.parse(JSON.stringify(st)));
    for (let i = 0; i < 100; i++) assert.equal(a.normal(), b.normal());
  });

  it('has the moments of U(0,1) and N(0,1)', () => {
    const r = new Rng(3);
    const n = 200_000;
    let su = 0,
      sn = 0,
      sn2 = 0;
    for (let i = 0; i < n; i++) {
      su += r.next();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    assert.ok(Math.abs(su / n - 0.5) < 0.005);
    assert.ok(Math.abs(sn / n) < 0.01);
    assert.ok(Math.abs(sn2 / n - 1) < 0.02);
  });
});
