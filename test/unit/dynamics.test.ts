import { strict as assert } from 'node:assert';
import {
  checkTransitionMatrix,
  defaultTransitionMatrix,
  forwardFilter,
  generateSequences,
  oracleNextState,
  oracleNextStateAccuracy,
  stationaryDistribution,
} from '../../lib/dynamics/markov';
import { EMOTIONS, emotionIndex } from '../../lib/data/classes';

const P = defaultTransitionMatrix();
const idx = emotionIndex;

/** A fake dataset: rows 0..699, label = row % 7. */
const labels = Uint8Array.from({ length: 700 }, (_, i) => i % 7);

describe('emotion dynamics: Markov chain', () => {
  it('is row-stochastic, persistent, and encodes the documented transitions', () => {
    checkTransitionMatrix(P);
    for (const e of EMOTIONS)
      if (e !== 'surprise') assert.equal(oracleNextState(P, idx(e)), idx(e), `${e} persists`);
    // surprise is short-lived: its likeliest successor is happy, not itself.
    assert.equal(oracleNextState(P, idx('surprise')), idx('happy'));
    const exitsOf = (e: (typeof EMOTIONS)[number]): number[] =>
      P[idx(e)].map((p, j) => (j === idx(e) ? -1 : p));
    const top = (e: (typeof EMOTIONS)[number]): string =>
      EMOTIONS[exitsOf(e).indexOf(Math.max(...exitsOf(e)))];
    assert.equal(top('neutral'), 'happy');
    assert.ok(P[idx('surprise')][idx('fear')] > P[idx('surprise')][idx('sad')]);
  });

  it('rejects a malformed matrix', () => {
    const bad = P.map((r) => r.slice());
    bad[2][2] += 0.1;
    assert.throws(() => checkTransitionMatrix(bad), /row 2 sums to/);
    assert.throws(() => checkTransitionMatrix(P.slice(0, 6)), /must have 7 rows/);
  });

  it('has a stationary distribution pi = pi P', () => {
    const pi = stationaryDistribution(P);
    assert.ok(Math.abs(pi.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    pi.forEach((p, j) =>
      assert.ok(Math.abs(pi.reduce((acc, q, i) => acc + q * P[i][j], 0) - p) < 1e-10),
    );
  });

  it('generates deterministic sequences whose empirical transitions match P', () => {
    const pool = Int32Array.from({ length: 700 }, (_, i) => i);
    const a = generateSequences(labels, pool, { n: 4000, T: 8, seed: 1 });
    assert.deepEqual(generateSequences(labels, pool, { n: 4000, T: 8, seed: 1 }), a);
    assert.notDeepEqual(
      generateSequences(labels, pool, { n: 50, T: 8, seed: 2 }).states,
      a.states.subarray(0, 400),
    );
    const counts = P.map((r) => r.map(() => 0));
    for (let s = 0; s < a.n; s++)
      for (let t = 1; t < a.T; t++) counts[a.states[s * a.T + t - 1]][a.states[s * a.T + t]]++;
    counts.forEach((row, i) => {
      const n = row.reduce((x, y) => x + y, 0);
      row.forEach((c, j) => {
        const p = P[i][j];
        const se = Math.sqrt((p * (1 - p)) / n);
        assert.ok(Math.abs(c / n - p) < 4 * se + 1e-9, `P[${i}][${j}]: ${c / n} vs ${p} (n=${n})`);
      });
    });
    // Every frame shows a face of its own state.
    a.rows.forEach((r, k) => assert.equal(labels[r], a.states[k]));
  });

  it('draws faces only from the given pool', () => {
    const pool = Int32Array.from({ length: 350 }, (_, i) => i * 2); // even rows only
    const s = generateSequences(labels, pool, { n: 200, T: 8, seed: 3 });
    assert.ok(s.rows.every((r) => r % 2 === 0));
    assert.throws(
      () => generateSequences(labels, Int32Array.from([0, 1, 2]), { n: 1, T: 2, seed: 0 }),
      /no faces of: happy, sad, surprise, neutral/,
    );
  });

  it('oracle accuracy equals the stationary-weighted max transition probability, and a simulation agrees', () => {
    const acc = oracleNextStateAccuracy(P);
    const pool = Int32Array.from({ length: 700 }, (_, i) => i);
    const s = generateSequences(labels, pool, { n: 3000, T: 20, seed: 5 });
    let hit = 0,
      tot = 0;
    for (let q = 0; q < s.n; q++)
      for (let t = 0; t < s.T - 1; t++) {
        tot++;
        if (oracleNextState(P, s.states[q * s.T + t]) === s.states[q * s.T + t + 1]) hit++;
      }
    assert.ok(Math.abs(hit / tot - acc) < 0.01, `${hit / tot} vs ${acc}`);
  });

  it('forward filter: sharp frames pass through, ambiguous frames lean on the past', () => {
    const prior = new Array(7).fill(1 / 7);
    const K = 7;
    const probs = new Float32Array(2 * K);
    probs[idx('neutral')] = 1; // t=0: certainly neutral (up to the 1e-12 floor)
    probs.fill(1 / 7, K); // t=1: the classifier has no idea
    const post = forwardFilter(probs, 2, P, prior);
    assert.ok(post[idx('neutral')] > 0.999);
    // With an uninformative frame the posterior is the chain's prediction from neutral.
    for (let c = 0; c < K; c++) assert.ok(Math.abs(post[K + c] - P[idx('neutral')][c]) < 1e-9);
  });
});
