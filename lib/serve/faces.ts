/**
 * The teaching page's test faces: a small, class-balanced sample of the models' *test* split
 * (never the whole dataset), sent to the browser as JSON with the pixels base64-encoded.
 */
import { EMOTIONS, NUM_CLASSES, gatherPixels, makeSplit, SPLIT_NAMES } from '../data';
import type { FerDataset, SplitName } from '../data';
import type { StudyModelMeta } from '../models/meta';
import { FerError } from '../util/errors';
import { Rng } from '../util/rng';

export interface TestFaces {
  split: SplitName;
  splitSeed: number;
  /** SHA-256 of the dataset the faces come from. */
  datasetSha256: string;
  /** Requested faces per class (a class with fewer test images gives all it has). */
  perClass: number;
  /** Dataset row of each face, grouped by class, ascending within a class. */
  rows: Int32Array;
  labels: Uint8Array;
  /** rows.length * 2304 grey values 0..255. */
  pixels: Uint8Array;
}

/** What `/api/faces.json` sends. */
export interface FacesPayload {
  classes: string[];
  split: SplitName;
  splitSeed: number;
  datasetSha256: string;
  perClass: number;
  faces: { row: number; label: number }[];
  /** base64 of faces.length * 2304 bytes, row-major 48 x 48. */
  pixels: string;
}

/**
 * Test-split rows of `ds` for the split a model was trained with (meta.json's split and
 * split seed, as `fer eval` recreates it); `official` seed 0 when there is no meta.json.
 * Throws if the model was trained on a different dataset file.
 */
export function testRowsFor(
  ds: FerDataset,
  meta: StudyModelMeta | null,
): { rows: Int32Array; split: SplitName; splitSeed: number } {
  if (!meta)
    return { rows: makeSplit(ds, 'official', { seed: 0 }).test, split: 'official', splitSeed: 0 };
  if (meta.datasetSha256 && meta.datasetSha256 !== ds.sha256)
    throw new FerError(
      `the models were trained on dataset ${meta.datasetSha256.slice(0, 12)}… but ${ds.source} is ${ds.sha256.slice(0, 12)}…; pass the right --csv`,
    );
  if (!(SPLIT_NAMES as readonly string[]).includes(meta.split))
    throw new FerError(
      `meta.json: unknown split '${meta.split}' (known: ${SPLIT_NAMES.join(', ')})`,
    );
  const cfg = meta.config ?? {};
  const num = (k: string): number | undefined =>
    typeof cfg[k] === 'number' ? (cfg[k] as number) : undefined;
  const split = meta.split as SplitName;
  const splitSeed = num('splitSeed') ?? meta.seed;
  const s = makeSplit(ds, split, {
    seed: splitSeed,
    valFraction: num('valFraction'),
    testFraction: num('testFraction'),
    dropLeakedTest: cfg.dropLeakedTest === true,
  });
  return { rows: s.test, split, splitSeed };
}

/**
 * Up to `perClass` random rows of each class from `testRows` (seeded, so the page shows the
 * same faces every time), grouped by class.
 */
export function selectTestFaces(
  ds: FerDataset,
  test: { rows: Int32Array; split: SplitName; splitSeed: number },
  perClass = 20,
  seed = 0,
): TestFaces {
  if (!(Number.isInteger(perClass) && perClass >= 1))
    throw new FerError(`faces per class must be a positive integer, got ${perClass}`);
  const byClass: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  for (const r of test.rows) byClass[ds.labels[r]].push(r);
  const rng = new Rng(seed);
  const picked: number[] = [];
  for (const rows of byClass)
    picked.push(
      ...rng
        .shuffle(rows.slice())
        .slice(0, perClass)
        .sort((a, b) => a - b),
    );
  if (picked.length === 0)
    throw new FerError(`the ${test.split} test split of ${ds.source} is empty`);
  const rows = Int32Array.from(picked);
  const pixels = gatherPixels(ds, rows);
  return {
    split: test.split,
    splitSeed: test.splitSeed,
    datasetSha256: ds.sha256,
    perClass,
    rows,
    labels: Uint8Array.from(rows, (r) => ds.labels[r]),
    pixels,
  };
}

export function facesPayload(f: TestFaces): FacesPayload {
  return {
    classes: [...EMOTIONS],
    split: f.split,
    splitSeed: f.splitSeed,
    datasetSha256: f.datasetSha256,
    perClass: f.perClass,
    faces: Array.from(f.rows, (row, k) => ({ row, label: f.labels[k] })),
    pixels: Buffer.from(f.pixels.buffer, f.pixels.byteOffset, f.pixels.byteLength).toString(
      'base64',
    ),
  };
}
