/**
 * Emotion dynamics as a Markov chain, and sequences of FER2013 faces that follow it.
 *
 * The paper argues that LSTM layers suit emotions because emotions change over time, but it only
 * ever classifies still images. To test the claim we need sequences whose emotion *does* follow
 * a known temporal law. FER2013 has no video, so we simulate the law and show, at each step, a
 * real face of the current state. Because the law is known, the best possible predictor of the
 * next state (the oracle) is known too, and any model can be placed between chance and it.
 */
import { EMOTIONS, NUM_CLASSES } from '../data/classes';
import { Rng } from '../util/rng';
import { FerError } from '../util/errors';

/** A row-stochastic 7x7 matrix: P[i][j] = Pr(next = j | now = i), in EMOTIONS order. */
export type TransitionMatrix = number[][];

/**
 * Plausibility weights of the transitions away from each state (self excluded), and the
 * probability of staying. Rationale, in the order of EMOTIONS:
 * - angry mostly calms to neutral, or turns to disgust or sadness;
 * - disgust is brief and shades into anger or back to neutral;
 * - fear resolves into surprise, sadness or neutral;
 * - happy returns to neutral, sometimes via surprise;
 * - sad drifts back to neutral, or into anger;
 * - surprise is the shortest-lived state: it resolves into happiness or fear, so its most likely
 *   successor is NOT itself, and knowing the dynamics beats predicting persistence;
 * - neutral is the hub: happy is its most common exit.
 */
const STAY: Record<(typeof EMOTIONS)[number], number> = {
  angry: 0.7,
  disgust: 0.5,
  fear: 0.6,
  happy: 0.75,
  sad: 0.7,
  surprise: 0.3,
  neutral: 0.75,
};
const EXITS: Record<
  (typeof EMOTIONS)[number],
  Partial<Record<(typeof EMOTIONS)[number], number>>
> = {
  angry: { neutral: 4, disgust: 2, sad: 2, fear: 0.5, happy: 0.5, surprise: 0.5 },
  disgust: { angry: 4, neutral: 4, sad: 1, fear: 0.5, surprise: 0.5 },
  fear: { surprise: 3, sad: 2, neutral: 3, angry: 1 },
  happy: { neutral: 6, surprise: 2, sad: 0.5, angry: 0.25, fear: 0.25 },
  sad: { neutral: 5, angry: 2, fear: 1, happy: 0.5, disgust: 0.5 },
  surprise: { happy: 5, fear: 3, neutral: 2, angry: 0.5 },
  neutral: { happy: 4, sad: 2, surprise: 2, angry: 1, fear: 1, disgust: 0.5 },
};

/** The study's documented transition matrix (see STAY and EXITS for the reasoning). */
export function defaultTransitionMatrix(): TransitionMatrix {
  return EMOTIONS.map((from) => {
    const exits = EXITS[from];
    const total = Object.values(exits).reduce((a, b) => a + (b ?? 0), 0);
    return EMOTIONS.map((to) =>
      to === from ? STAY[from] : ((exits[to] ?? 0) / total) * (1 - STAY[from]),
    );
  });
}

/** Throw unless P is a square row-stochastic matrix over the 7 classes. */
export function checkTransitionMatrix(P: TransitionMatrix): void {
  if (P.length !== NUM_CLASSES)
    throw new FerError(`transition matrix must have ${NUM_CLASSES} rows`);
  P.forEach((row, i) => {
    if (row.length !== NUM_CLASSES)
      throw new FerError(`transition matrix row ${i} must have ${NUM_CLASSES} entries`);
    if (row.some((p) => !(p >= 0)))
      throw new FerError(`transition matrix row ${i} has a negative or NaN entry`);
    const s = row.reduce((a, b) => a + b, 0);
    if (Math.abs(s - 1) > 1e-9)
      throw new FerError(`transition matrix row ${i} sums to ${s}, not 1`);
  });
}

/** Stationary distribution pi = pi P, by power iteration (the chain is irreducible and aperiodic). */
export function stationaryDistribution(P: TransitionMatrix): number[] {
  let pi = new Array<number>(P.length).fill(1 / P.length);
  for (let it = 0; it < 10_000; it++) {
    const next = pi.map((_, j) => pi.reduce((acc, p, i) => acc + p * P[i][j], 0));
    const delta = next.reduce((acc, v, j) => acc + Math.abs(v - pi[j]), 0);
    pi = next;
    if (delta < 1e-14) break;
  }
  return pi;
}

export interface SequenceSet {
  /** Number of sequences. */
  n: number;
  /** Frames per sequence. */
  T: number;
  /** n*T emotion states, sequence-major. */
  states: Uint8Array;
  /** n*T dataset rows: the face shown at each step (its label equals the state). */
  rows: Int32Array;
}

export interface SequenceOptions {
  n: number;
  T: number;
  seed: number;
  P?: TransitionMatrix;
  /** Distribution of the first state; default the stationary distribution of P. */
  initial?: number[];
}

/**
 * Generate n sequences of T states from the chain, and show at each step a random face, drawn
 * only from `pool` (dataset rows of one split), whose label is the current state. Faces are drawn
 * with replacement within the pool, so a pool never leaks into another split's sequences.
 */
export function generateSequences(
  labels: Uint8Array,
  pool: Int32Array,
  opts: SequenceOptions,
): SequenceSet {
  const P = opts.P ?? defaultTransitionMatrix();
  checkTransitionMatrix(P);
  if (!(opts.n > 0 && opts.T > 0)) throw new FerError('sequence count and length must be positive');
  const byClass: number[][] = EMOTIONS.map(() => []);
  for (const r of pool) byClass[labels[r]].push(r);
  const empty = EMOTIONS.filter((_, c) => byClass[c].length === 0);
  if (empty.length) throw new FerError(`the image pool has no faces of: ${empty.join(', ')}`);
  const initial = opts.initial ?? stationaryDistribution(P);
  const rng = new Rng(opts.seed);
  const states = new Uint8Array(opts.n * opts.T);
  const rows = new Int32Array(opts.n * opts.T);
  for (let s = 0; s < opts.n; s++) {
    let state = sampleCategorical(initial, rng);
    for (let t = 0; t < opts.T; t++) {
      if (t > 0) state = sampleCategorical(P[state], rng);
      const k = s * opts.T + t;
      states[k] = state;
      const faces = byClass[state];
      rows[k] = faces[rng.int(faces.length)];
    }
  }
  return { n: opts.n, T: opts.T, states, rows };
}

function sampleCategorical(p: readonly number[], rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < p.length - 1; i++) {
    u -= p[i];
    if (u < 0) return i;
  }
  return p.length - 1;
}

/**
 * Task (b) oracle: knowing the TRUE current state s, predict argmax_j P[s][j], the Bayes-optimal
 * guess of the next state. Its expected accuracy, sum_s pi_s max_j P[s][j], is the ceiling for
 * any next-state predictor.
 */
export function oracleNextState(P: TransitionMatrix, current: number): number {
  const row = P[current];
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}

/** Expected accuracy of the oracle at stationarity. */
export function oracleNextStateAccuracy(P: TransitionMatrix): number {
  const pi = stationaryDistribution(P);
  return pi.reduce((acc, p, s) => acc + p * Math.max(...P[s]), 0);
}

/**
 * HMM forward filter: a non-learned way to use past frames for task (a). Treat a per-frame
 * classifier's softmax q_t(c) as an emission likelihood up to a constant, p(x_t | c) ∝ q_t(c) /
 * prior(c) (dividing out the training class prior), and run
 *   alpha_t(c) ∝ p(x_t | c) * sum_i alpha_{t-1}(i) P[i][c].
 * Returns the filtered posteriors (T*7, row-major) for one sequence of per-frame probabilities.
 */
export function forwardFilter(
  frameProbs: Float32Array | number[],
  T: number,
  P: TransitionMatrix,
  classPrior: readonly number[],
  initial: readonly number[] = stationaryDistribution(P),
): Float64Array {
  const K = NUM_CLASSES;
  const out = new Float64Array(T * K);
  let prev: number[] | null = null;
  for (let t = 0; t < T; t++) {
    let z = 0;
    for (let c = 0; c < K; c++) {
      const predicted: number = prev
        ? prev.reduce((acc, a, i) => acc + a * P[i][c], 0)
        : initial[c];
      const v =
        (Math.max(frameProbs[t * K + c], 1e-12) / Math.max(classPrior[c], 1e-12)) * predicted;
      out[t * K + c] = v;
      z += v;
    }
    for (let c = 0; c < K; c++) out[t * K + c] /= z;
    prev = Array.from(out.subarray(t * K, (t + 1) * K));
  }
  return out;
}
