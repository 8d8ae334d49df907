/**
 * Sequences for the emotion-dynamics experiment: which faces each split's sequences may show,
 * the sequences themselves (T shown frames plus the hidden next state), and their pixels.
 *
 * Split hygiene: training sequences draw faces from the official split's training rows,
 * validation sequences from its validation rows, test sequences from its test rows, with
 * `dropLeakedTest` so that no test face has an exact pixel copy among the training or
 * validation faces. Rows the per-frame CNN was trained on can be kept out of the training
 * pool, so that the sequence model learns from encoder features of faces the encoder has not
 * memorised (the features it will see at test time).
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, NUM_CLASSES, PIXELS_PER_IMAGE } from '../data/classes';
import type { FerDataset } from '../data/dataset';
import { makeSplit } from '../data/split';
import { normalizeImages } from '../data/tensor';
import { FerError } from '../util/errors';
import type { Rng } from '../util/rng';
import { generateSequences, type TransitionMatrix } from './markov';

/** A set of sequences: T frames shown, and the state that follows them (task b's target). */
export interface DynamicsSequences {
  n: number;
  /** Frames shown per sequence. */
  T: number;
  /** n*T states of the shown frames, sequence-major. */
  states: Uint8Array;
  /** n*T dataset rows shown (rows[k] has label states[k]). */
  rows: Int32Array;
  /** n states that follow the last frame; their faces are never shown. */
  next: Uint8Array;
}

/**
 * n sequences of T shown frames from the chain P, faces from `pool`. The chain runs T + 1
 * steps; the last step's state is kept as `next` and its face dropped.
 */
export function makeDynamicsSequences(
  labels: Uint8Array,
  pool: Int32Array,
  opts: { n: number; T: number; seed: number; P?: TransitionMatrix },
): DynamicsSequences {
  if (!(Number.isInteger(opts.T) && opts.T >= 1))
    throw new FerError(`sequence length T must be an integer >= 1, got ${opts.T}`);
  if (!(Number.isInteger(opts.n) && opts.n >= 1))
    throw new FerError(`sequence count must be an integer >= 1, got ${opts.n}`);
  const full = generateSequences(labels, pool, {
    n: opts.n,
    T: opts.T + 1,
    seed: opts.seed,
    P: opts.P,
  });
  const { n, T } = opts;
  const states = new Uint8Array(n * T);
  const rows = new Int32Array(n * T);
  const next = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    states.set(full.states.subarray(s * (T + 1), s * (T + 1) + T), s * T);
    rows.set(full.rows.subarray(s * (T + 1), s * (T + 1) + T), s * T);
    next[s] = full.states[s * (T + 1) + T];
  }
  return { n, T, states, rows, next };
}

/** The state of each sequence's last shown frame (task a's target). */
export function lastStates(seqs: DynamicsSequences): Int32Array {
  return Int32Array.from({ length: seqs.n }, (_, s) => seqs.states[s * seqs.T + seqs.T - 1]);
}

/** The hidden next states (task b's target), as Int32Array. */
export function nextStates(seqs: DynamicsSequences): Int32Array {
  return Int32Array.from(seqs.next);
}

export interface DynamicsPools {
  /** Faces allowed in training / validation / test sequences (dataset rows, sorted). */
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  /** Test rows removed because an identical image is among the training or validation rows. */
  droppedLeakedTest: number;
  /** Training rows kept out of the training pool because the per-frame CNN trained on them. */
  excludedFrameTrain: number;
}

/**
 * The official split's pools (seeded validation hold-out, `dropLeakedTest`). `exclude` (the
 * per-frame CNN's own training rows) is removed from the training pool unless that would leave
 * fewer than `minPerClass` faces of some class, in which case the pool is kept whole and
 * `excludedFrameTrain` is 0.
 */
export function dynamicsPools(
  ds: FerDataset,
  opts: {
    splitSeed?: number;
    valFraction?: number;
    exclude?: Int32Array;
    minPerClass?: number;
  } = {},
): DynamicsPools {
  const split = makeSplit(ds, 'official', {
    seed: opts.splitSeed ?? 0,
    valFraction: opts.valFraction ?? 0.1,
    dropLeakedTest: true,
  });
  let train = split.train;
  let excluded = 0;
  if (opts.exclude && opts.exclude.length > 0) {
    const drop = new Set(opts.exclude);
    const rest = split.train.filter((r) => !drop.has(r));
    const perClass = new Array<number>(NUM_CLASSES).fill(0);
    for (const r of rest) perClass[ds.labels[r]]++;
    if (Math.min(...perClass) >= (opts.minPerClass ?? 20)) {
      excluded = split.train.length - rest.length;
      train = rest;
    }
  }
  return {
    train,
    val: split.val,
    test: split.test,
    droppedLeakedTest: split.droppedTest?.length ?? 0,
    excludedFrameTrain: excluded,
  };
}

/** Throws unless no dataset row, and no exact pixel copy of one, is shown in both sets. */
export function checkDisjoint(ds: FerDataset, a: Int32Array, b: Int32Array, what: string): void {
  const rowsA = new Set(a);
  const shared = b.find((r) => rowsA.has(r));
  if (shared !== undefined) throw new FerError(`${what}: dataset row ${shared} is in both`);
  const key = (r: number): string =>
    Buffer.from(
      ds.pixels.buffer,
      ds.pixels.byteOffset + r * PIXELS_PER_IMAGE,
      PIXELS_PER_IMAGE,
    ).toString('base64');
  const pixelsA = new Set(Array.from(rowsA, key));
  const copy = Array.from(new Set(b)).find((r) => pixelsA.has(key(r)));
  if (copy !== undefined)
    throw new FerError(`${what}: row ${copy} has an exact copy in the other set`);
}

/**
 * Pixels of sequences s0..s1-1 as a [b*T, 48, 48, 1] tensor in [0, 1] (frame-major within each
 * sequence). With `noise`, each frame gets its own Gaussian noise from `rng`, drawn in order,
 * so the noise a frame gets does not depend on how the sequences are batched.
 */
export function sequenceFrames(
  ds: FerDataset,
  seqs: DynamicsSequences,
  s0: number,
  s1: number,
  opts: { noise?: number; rng?: Rng } = {},
): tf.Tensor4D {
  const rows = seqs.rows.subarray(s0 * seqs.T, s1 * seqs.T);
  if (opts.noise && !opts.rng) throw new FerError('sequenceFrames: noise needs an rng');
  const x = normalizeImages(ds, rows, { noise: opts.noise, rng: opts.rng });
  return tf.tensor4d(x, [rows.length, IMAGE_SIZE, IMAGE_SIZE, 1], 'float32');
}
