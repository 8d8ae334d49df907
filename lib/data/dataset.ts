import { PIXELS_PER_IMAGE } from './classes';

/**
 * The in-memory FER2013 dataset. One contiguous Uint8Array holds all pixels, so the whole set
 * costs 82.7 MB and any subset can be normalised into a tensor with a single copy.
 */
export interface FerDataset {
  /** Number of rows (35,887 for the original file). */
  readonly n: number;
  /** n * 2304 grey values 0..255, row-major, image i at [i*2304, (i+1)*2304). */
  readonly pixels: Uint8Array;
  /** n labels 0..6, indices into EMOTIONS. */
  readonly labels: Uint8Array;
  /** n usage codes 0..2, indices into USAGES. */
  readonly usage: Uint8Array;
  /** SHA-256 (hex) of the uncompressed CSV bytes. */
  readonly sha256: string;
  /** Path the dataset was read from. */
  readonly source: string;
}

/** The pixels of `rows`, copied in order into one new n * 2304 buffer. */
export function gatherPixels(ds: FerDataset, rows: ArrayLike<number>): Uint8Array {
  const size = PIXELS_PER_IMAGE;
  const out = new Uint8Array(rows.length * size);
  for (let k = 0; k < rows.length; k++) out.set(ds.pixels.subarray(rows[k] * size, (rows[k] + 1) * size), k * size);
  return out;
}

/** SHA-256 of the original Kaggle fer2013.csv (uncompressed, 301,072,766 bytes). */
export const ORIGINAL_SHA256 = '3b8d9617d1017f34733c8f2474d7784c563ce86c40a86ac12c2d37cc968f871b';
