import * as fs from 'node:fs';
import * as path from 'node:path';
import { FerError } from './errors';

/** A temp name in the same directory, so the final rename is atomic on one filesystem. */
export function tempPath(target: string): string {
  return path.join(
    path.dirname(target),
    `.tmp-${path.basename(target)}-${process.pid}-${Date.now()}`,
  );
}

/** Write a file so that readers see either the old content or the new, never half of it. */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tempPath(target);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeJsonAtomic(target: string, value: unknown): void {
  writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n');
}

/** The reading side: parse a JSON file, or a FerError that names the file. */
export function readJsonFile<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new FerError(`not valid JSON: ${(e as Error).message}`, file);
  }
}

/**
 * Replace a whole directory atomically: `fill` writes into a temp directory that is renamed over
 * `target` only when it succeeds. Used for model folders and checkpoints.
 */
export async function writeDirAtomic(
  target: string,
  fill: (tmpDir: string) => Promise<void> | void,
): Promise<void> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tempPath(target);
  const old = `${tmp}.old`;
  try {
    fs.mkdirSync(tmp, { recursive: true });
    await fill(tmp);
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(tmp, target);
    fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(target) && fs.existsSync(old)) fs.renameSync(old, target);
    throw e;
  }
}
