/**
 * Saved predictions, one file per noise level and seed, so that an evaluation that runs for
 * hours (the paper profile: 7,178 images × 51 noise draws per model) resumes where it stopped
 * instead of starting again, and shows how far it has got while it runs (`ls` the folder).
 *
 * A cache folder belongs to one model on one set of test rows on one backend: its name is a
 * hash of the weights' bytes, the rows, the backend and FORMAT (bumped whenever the noise or
 * the preprocessing changes), so a stale entry is never read, only left unused. Inside:
 *   clean.f32           the clean run's probabilities (Table 1 needs them), float32, n × k
 *   <level>-<seed>.u8   a noisy run's predicted labels, one byte per image
 * Each file is written to a temporary name and renamed into place, so a kill leaves whole
 * files only; a file of the wrong size is an error naming it, never silently reused.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import { FerError } from '../util/errors';

/** Part of every key: bump it when the predictions of given weights and rows would change. */
const FORMAT = 'fer-pred-cache/1';

/** The cache folder name's hash: weights files (their bytes), rows, backend, FORMAT. */
export function predictionCacheKey(parts: {
  /** The model folder's files that determine its predictions (model.json, weights). */
  files: string[];
  indices: Int32Array;
  backend: string;
}): string {
  const h = createHash('sha256').update(FORMAT).update('\0').update(parts.backend).update('\0');
  for (const f of [...parts.files].sort())
    h.update(path.basename(f)).update('\0').update(fs.readFileSync(f));
  h.update(
    new Uint8Array(parts.indices.buffer, parts.indices.byteOffset, parts.indices.byteLength),
  );
  return h.digest('hex').slice(0, 16);
}

/** The files of a tfjs model folder that its predictions depend on. */
export function modelFiles(dir: string): string[] {
  const names = fs.readdirSync(dir).filter((f) => f === 'model.json' || /\.bin$/.test(f));
  if (!names.includes('model.json')) throw new FerError('no model.json in the model folder', dir);
  return names.map((f) => path.join(dir, f));
}

/** One model's saved predictions in folder `dir` (created on the first write). */
export class PredictionCache {
  constructor(
    readonly dir: string,
    /** Images per run. */
    readonly n: number,
  ) {}

  private file(level: number, seed: number): string {
    return path.join(this.dir, level === 0 ? 'clean.f32' : `${level}-${seed}.u8`);
  }

  private read(file: string, bytes: number): Buffer | null {
    if (!fs.existsSync(file)) return null;
    const b = fs.readFileSync(file);
    if (b.length !== bytes)
      throw new FerError(
        `a saved prediction file has ${b.length} bytes, expected ${bytes}; delete it to recompute`,
        file,
      );
    return b;
  }

  /** The clean run's probabilities (n × k), or null when not saved yet. */
  getClean(k: number): Float32Array | null {
    const b = this.read(this.file(0, 0), this.n * k * 4);
    return b && new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  }

  putClean(probs: Float32Array): void {
    writeFileAtomic(
      this.file(0, 0),
      new Uint8Array(probs.buffer, probs.byteOffset, probs.byteLength),
    );
  }

  /** A noisy run's labels, or null when not saved yet. */
  getLabels(level: number, seed: number): Int32Array | null {
    const b = this.read(this.file(level, seed), this.n);
    return b && Int32Array.from(b);
  }

  putLabels(level: number, seed: number, yPred: ArrayLike<number>): void {
    writeFileAtomic(this.file(level, seed), Uint8Array.from(yPred));
  }
}
