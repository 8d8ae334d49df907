/**
 * Exact-duplicate and leakage audit. FER2013 holds the same 48x48 image more than once (1,516
 * groups over 3,369 rows in the original), sometimes with different labels, and some test images
 * also occur in Training, which inflates test scores.
 *
 * Images are bucketed by a fast 64-bit hash of their 576 uint32 words and then compared byte by
 * byte, so hash collisions can never merge different images.
 */
import { PIXELS_PER_IMAGE, USAGES, type Usage } from './classes';
import type { FerDataset } from './dataset';

const WORDS = PIXELS_PER_IMAGE / 4;

/** Two independent 32-bit lanes combined into a 53-bit number usable as a Map key. */
function hashWords(w: Uint32Array, off: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x27d4eb2f;
  for (let k = off, end = off + WORDS; k < end; k++) {
    const x = w[k];
    h1 = Math.imul(h1 ^ x, 0x9e3779b1);
    h1 = (h1 << 13) | (h1 >>> 19);
    h2 = Math.imul(h2 + x, 0x85ebca77);
    h2 ^= h2 >>> 15;
  }
  h1 = fmix32(h1);
  h2 = fmix32(h2 ^ h1);
  return (h1 >>> 0) * 2097152 + (h2 >>> 11);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function sameImage(p: Uint8Array, a: number, b: number): boolean {
  const oa = a * PIXELS_PER_IMAGE;
  const ob = b * PIXELS_PER_IMAGE;
  for (let k = 0; k < PIXELS_PER_IMAGE; k++) if (p[oa + k] !== p[ob + k]) return false;
  return true;
}

const groupsMemo = new WeakMap<Uint8Array, Int32Array>();

/**
 * For every row, the index of the first row holding an identical image (itself when unique or
 * first). Memoised per pixel buffer, so repeated audits and splits cost one pass.
 */
export function imageGroups(ds: FerDataset): Int32Array {
  const memo = groupsMemo.get(ds.pixels);
  if (memo && memo.length === ds.n) return memo;
  const p = ds.pixels;
  // A Uint32Array view needs 4-byte alignment; otherwise hash an aligned copy of each image.
  const aligned = p.byteOffset % 4 === 0;
  const all = aligned ? new Uint32Array(p.buffer, p.byteOffset, ds.n * WORDS) : undefined;
  const scratch = new Uint32Array(WORDS);
  const scratchBytes = new Uint8Array(scratch.buffer);
  const groupOf = new Int32Array(ds.n);
  const buckets = new Map<number, number[]>();
  for (let i = 0; i < ds.n; i++) {
    let h: number;
    if (all) h = hashWords(all, i * WORDS);
    else {
      scratchBytes.set(p.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE));
      h = hashWords(scratch, 0);
    }
    const reps = buckets.get(h);
    if (reps === undefined) {
      buckets.set(h, [i]);
      groupOf[i] = i;
      continue;
    }
    let g = -1;
    for (const r of reps) if (sameImage(p, r, i)) g = r;
    if (g < 0) {
      reps.push(i);
      g = i;
    }
    groupOf[i] = g;
  }
  groupsMemo.set(ds.pixels, groupOf);
  return groupOf;
}

export interface DuplicateAudit {
  rows: number;
  /** Number of distinct images. */
  distinct: number;
  /** Groups of two or more identical images. */
  duplicateGroups: number;
  /** Rows that belong to such a group. */
  rowsInDuplicateGroups: number;
  /** Duplicate groups whose copies carry more than one label. */
  conflictingLabelGroups: number;
  /**
   * usageOverlap[u][v]: rows of usage u that have an identical image in another row of usage v
   * (e.g. PublicTest→Training = 280 in the original file).
   */
  usageOverlap: Record<Usage, Record<Usage, number>>;
}

/** Whole-file duplicate audit (independent of any split). */
export function auditDuplicates(ds: FerDataset): DuplicateAudit {
  const g = imageGroups(ds);
  const U = USAGES.length;
  const size = new Int32Array(ds.n);
  const perUsage = new Int32Array(ds.n * U);
  const labelMask = new Int32Array(ds.n);
  for (let i = 0; i < ds.n; i++) {
    size[g[i]]++;
    perUsage[g[i] * U + ds.usage[i]]++;
    labelMask[g[i]] |= 1 << ds.labels[i];
  }
  let distinct = 0;
  let duplicateGroups = 0;
  let rowsInDuplicateGroups = 0;
  let conflictingLabelGroups = 0;
  for (let i = 0; i < ds.n; i++) {
    if (size[i] === 0) continue;
    distinct++;
    if (size[i] < 2) continue;
    duplicateGroups++;
    rowsInDuplicateGroups += size[i];
    // More than one bit set means more than one label.
    if ((labelMask[i] & (labelMask[i] - 1)) !== 0) conflictingLabelGroups++;
  }
  const overlap = USAGES.map(() => new Array<number>(U).fill(0));
  for (let i = 0; i < ds.n; i++) {
    const u = ds.usage[i];
    for (let v = 0; v < U; v++)
      if (perUsage[g[i] * U + v] - (u === v ? 1 : 0) > 0) overlap[u][v]++;
  }
  const usageOverlap = Object.fromEntries(
    USAGES.map((u, a) => [u, Object.fromEntries(USAGES.map((v, b) => [v, overlap[a][b]]))]),
  ) as Record<Usage, Record<Usage, number>>;
  return {
    rows: ds.n,
    distinct,
    duplicateGroups,
    rowsInDuplicateGroups,
    conflictingLabelGroups,
    usageOverlap,
  };
}

/** Rows of `rows` whose image also occurs in any of `reference` (by exact pixels). */
export function rowsWithCopiesIn(
  ds: FerDataset,
  rows: Int32Array,
  reference: Int32Array[],
): Int32Array {
  const g = imageGroups(ds);
  const mark = new Uint8Array(ds.n);
  for (const ref of reference) for (let k = 0; k < ref.length; k++) mark[g[ref[k]]] = 1;
  const out: number[] = [];
  for (let k = 0; k < rows.length; k++) if (mark[g[rows[k]]]) out.push(rows[k]);
  return Int32Array.from(out);
}

export interface SplitLeakage {
  /** Test rows with an identical image in train. */
  testInTrain: number;
  /** Test rows with an identical image in val. */
  testInVal: number;
  /** Test rows with an identical image in train or val (what dropLeakedTest removes). */
  testInTrainOrVal: number;
  /** Val rows with an identical image in train (inflates early-stopping scores). */
  valInTrain: number;
}

/** Leakage between the parts of a split (row-index sets). */
export function splitLeakage(
  ds: FerDataset,
  split: { train: Int32Array; val: Int32Array; test: Int32Array },
): SplitLeakage {
  return {
    testInTrain: rowsWithCopiesIn(ds, split.test, [split.train]).length,
    testInVal: rowsWithCopiesIn(ds, split.test, [split.val]).length,
    testInTrainOrVal: rowsWithCopiesIn(ds, split.test, [split.train, split.val]).length,
    valInTrain: rowsWithCopiesIn(ds, split.val, [split.train]).length,
  };
}
