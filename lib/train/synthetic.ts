/**
 * A small synthetic stand-in for FER2013, for tests and demos without the real file: each class
 * is a bright square at its own place on a noisy background, jittered per image, so a model
 * that learns anything beats chance (1/7) clearly, yet one epoch does not make it trivial.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { IMAGE_SIZE, NUM_CLASSES, PIXELS_PER_IMAGE, USAGES } from '../data/classes';
import type { FerDataset } from '../data/dataset';
import { writeFileAtomic } from '../util/atomic';
import { Rng } from '../util/rng';

export interface SyntheticOptions {
  /** Rows (default 700). Usage: 80 % Training, 10 % PublicTest, 10 % PrivateTest. */
  n?: number;
  seed?: number;
  /** Background noise amplitude 0..255 (default 140; higher is harder). */
  noise?: number;
}

export function syntheticFer(opts: SyntheticOptions = {}): FerDataset {
  const n = opts.n ?? 700;
  const amp = opts.noise ?? 140;
  const rng = new Rng(opts.seed ?? 7);
  const pixels = new Uint8Array(n * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(n);
  const usage = new Uint8Array(n);
  const side = 12;
  for (let i = 0; i < n; i++) {
    const c = rng.int(NUM_CLASSES);
    labels[i] = c;
    usage[i] = i < 0.8 * n ? 0 : i < 0.9 * n ? 1 : 2;
    // Class c's square sits on a 3x3 grid of anchors (7 of the 9 used), jittered by ±4 px.
    const ay = 4 + Math.floor(c / 3) * 14 + rng.int(9) - 4;
    const ax = 4 + (c % 3) * 14 + rng.int(9) - 4;
    const base = i * PIXELS_PER_IMAGE;
    for (let y = 0; y < IMAGE_SIZE; y++)
      for (let x = 0; x < IMAGE_SIZE; x++) {
        const inSquare = y >= ay && y < ay + side && x >= ax && x < ax + side;
        const v = rng.next() * amp + (inSquare ? 110 : 0);
        pixels[base + y * IMAGE_SIZE + x] = Math.min(255, Math.round(v));
      }
  }
  const sha256 = createHash('sha256').update(pixels).update(labels).update(usage).digest('hex');
  return { n, pixels, labels, usage, sha256, source: `synthetic:${n}:${opts.seed ?? 7}` };
}

/** Writes a dataset as a FER2013-format CSV (emotion,pixels,Usage), e.g. for CLI tests. */
export function writeFerCsv(file: string, ds: FerDataset): void {
  const lines = ['emotion,pixels,Usage'];
  for (let i = 0; i < ds.n; i++) {
    const px = Array.from(
      ds.pixels.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE),
    ).join(' ');
    lines.push(`${ds.labels[i]},${px},${USAGES[ds.usage[i]]}`);
  }
  writeFileAtomic(file, lines.join('\n') + '\n');
  if (!fs.existsSync(file)) throw new Error(`could not write ${file}`);
}
