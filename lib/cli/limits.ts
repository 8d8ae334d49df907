/**
 * Upper bounds of the CLI's numeric options: each is far above any real use and low enough that
 * the work or memory it implies cannot take the machine down (`--noise-seeds 1e9` once aborted
 * with out-of-memory). Lower bounds come with each option.
 */
import * as fs from 'node:fs';
import { FerError } from '../util/errors';

/** Images in a limit or sample (FER2013 has 35,887). */
export const MAX_IMAGES = 1_000_000;
export const MAX_NOISE_SEEDS = 100;
export const MAX_BOOTSTRAP = 100_000;
export const MAX_BATCH = 65_536;
export const MAX_EPOCHS = 10_000;
/** Seeds are 32-bit. */
export const MAX_SEED = 2 ** 32 - 1;
export const MAX_SEQUENCES = 1_000_000;
/** Timed rounds per batch size of `fer time`. */
export const MAX_TIMING_ROUNDS = 10_000;

/** A model folder to read must exist and be a folder (checked before any work). */
export function assertModelDir(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FerError(code === 'ENOENT' ? 'no such model folder' : `cannot read (${code})`, dir);
  }
  if (!st.isDirectory()) throw new FerError('is not a folder (a model folder was expected)', dir);
}
