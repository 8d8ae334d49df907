/**
 * Train/val/test splits of FER2013, as sorted row-index arrays, deterministic from a seed.
 *
 * - `official` (default): train = Training (28,709) minus a stratified validation fraction,
 *   test = PublicTest + PrivateTest (7,178). This is the paper's 80:20; the test set never
 *   takes part in model selection.
 * - `paper-random`: a stratified random 80:20 split of all rows, then val from train.
 * - `public-private`: the challenge protocol: train = Training, val = PublicTest,
 *   test = PrivateTest.
 */
import { Rng } from '../util/rng';
import { FerError } from '../util/errors';
import { NUM_CLASSES } from './classes';
import type { FerDataset } from './dataset';
import { rowsWithCopiesIn } from './audit';

export const SPLIT_NAMES = ['official', 'paper-random', 'public-private'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

export interface Split {
  name: SplitName;
  seed: number;
  /** Sorted row indices into the dataset. */
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  /** Test rows removed because an identical image is in train or val (dropLeakedTest). */
  droppedTest?: Int32Array;
}

export interface SplitOptions {
  /** Seed for the random parts (default 0). */
  seed?: number;
  /** Fraction of the training rows held out for validation (default 0.1). */
  valFraction?: number;
  /** Fraction of all rows used as test by `paper-random` (default 0.2). */
  testFraction?: number;
  /** Remove test rows whose exact pixels occur in train or val. */
  dropLeakedTest?: boolean;
}

const USAGE_TRAINING = 0;
const USAGE_PUBLIC = 1;
const USAGE_PRIVATE = 2;

/**
 * How many of each class to take so that the total is round(fraction * n) and each class gets
 * its proportional share: floors first, then the largest remainders (ties to the lower class).
 */
export function stratifiedQuotas(classCounts: number[], total: number): number[] {
  const n = classCounts.reduce((a, b) => a + b, 0);
  if (n === 0) return classCounts.map(() => 0);
  const exact = classCounts.map((c) => (c * total) / n);
  const q = exact.map(Math.floor);
  let left = total - q.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, k) => ({ k, r: e - Math.floor(e) }))
    .sort((a, b) => b.r - a.r || a.k - b.k);
  for (const { k } of order) {
    if (left <= 0) break;
    if (q[k] < classCounts[k]) {
      q[k]++;
      left--;
    }
  }
  return q;
}

/**
 * Split `indices` into (picked, rest) where `picked` has `count` rows with the class proportions
 * of `indices`. Both come back sorted.
 */
export function stratifiedPick(
  labels: Uint8Array,
  indices: Int32Array,
  count: number,
  rng: Rng,
): { picked: Int32Array; rest: Int32Array } {
  const byClass: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  // Sorting first makes the result independent of the order `indices` came in.
  const sorted = Int32Array.from(indices).sort();
  for (const i of sorted) byClass[labels[i]].push(i);
  const quotas = stratifiedQuotas(
    byClass.map((c) => c.length),
    Math.min(Math.max(0, Math.round(count)), sorted.length),
  );
  const picked: number[] = [];
  const rest: number[] = [];
  byClass.forEach((rows, c) => {
    rng.shuffle(rows);
    for (let k = 0; k < rows.length; k++) (k < quotas[c] ? picked : rest).push(rows[k]);
  });
  return { picked: Int32Array.from(picked).sort(), rest: Int32Array.from(rest).sort() };
}

/** A stratified random subset of `count` rows from `indices` (sorted), deterministic in `seed`. */
export function stratifiedSubset(
  labels: Uint8Array,
  indices: Int32Array,
  count: number,
  seed: number,
): Int32Array {
  return stratifiedPick(labels, indices, count, new Rng(seed)).picked;
}

function rowsWhere(ds: FerDataset, pred: (i: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < ds.n; i++) if (pred(i)) out.push(i);
  return Int32Array.from(out);
}

/** Build one of the named splits; the same (dataset, name, options) always gives the same rows. */
export function makeSplit(ds: FerDataset, name: SplitName = 'official', opts: SplitOptions = {}): Split {
  const seed = opts.seed ?? 0;
  const valFraction = opts.valFraction ?? 0.1;
  const testFraction = opts.testFraction ?? 0.2;
  if (!(valFraction >= 0 && valFraction < 1)) throw new FerError(`valFraction must be in [0, 1), got ${valFraction}`);
  if (!(testFraction > 0 && testFraction < 1)) throw new FerError(`testFraction must be in (0, 1), got ${testFraction}`);
  const rng = new Rng(seed);
  let train: Int32Array;
  let val: Int32Array;
  let test: Int32Array;
  switch (name) {
    case 'official': {
      const training = rowsWhere(ds, (i) => ds.usage[i] === USAGE_TRAINING);
      test = rowsWhere(ds, (i) => ds.usage[i] !== USAGE_TRAINING);
      ({ picked: val, rest: train } = stratifiedPick(ds.labels, training, training.length * valFraction, rng));
      break;
    }
    case 'paper-random': {
      const all = rowsWhere(ds, () => true);
      let trainAll: Int32Array;
      ({ picked: test, rest: trainAll } = stratifiedPick(ds.labels, all, ds.n * testFraction, rng));
      ({ picked: val, rest: train } = stratifiedPick(ds.labels, trainAll, trainAll.length * valFraction, rng));
      break;
    }
    case 'public-private':
      train = rowsWhere(ds, (i) => ds.usage[i] === USAGE_TRAINING);
      val = rowsWhere(ds, (i) => ds.usage[i] === USAGE_PUBLIC);
      test = rowsWhere(ds, (i) => ds.usage[i] === USAGE_PRIVATE);
      break;
    default:
      throw new FerError(`unknown split '${String(name)}' (expected ${SPLIT_NAMES.join(', ')})`);
  }
  const split: Split = { name, seed, train, val, test };
  if (opts.dropLeakedTest) {
    const leaked = rowsWithCopiesIn(ds, test, [train, val]);
    const drop = new Set(leaked);
    split.test = test.filter((i) => !drop.has(i));
    split.droppedTest = leaked;
  }
  return split;
}
