import * as fs from 'node:fs';
import * as path from 'node:path';
import { FerError } from './errors';
import { isProcessAlive } from './lock';
import { oneLine } from './os-error';

/** A temp name in the same directory, so the final rename is atomic on one filesystem. */
export function tempPath(target: string): string {
  return path.join(
    path.dirname(target),
    `.tmp-${path.basename(target)}-${process.pid}-${Date.now()}`,
  );
}

/** Temp names older than this are stale even if their PID is alive again (reused PID). */
const STALE_MS = 6 * 3600_000;

/**
 * Leftovers of killed writes of `target` (tempPath names, `.old` folders of writeDirAtomic) whose
 * owner process is dead or that are older than six hours: the newest `.old` folder is put back
 * when `target` is missing (a kill between writeDirAtomic's two renames), the rest deleted.
 * Nothing that does not match `.tmp-<basename>-<pid>-<ms>[.old]` is touched.
 */
export function cleanStaleTemps(target: string, now = Date.now()): string[] {
  const parent = path.dirname(path.resolve(target));
  const base = path.basename(path.resolve(target));
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const prefix = `.tmp-${base}-`;
  const stale = names.filter((f) => {
    if (!f.startsWith(prefix)) return false;
    const m = /^(\d+)-(\d+)(\.old)?$/.exec(f.slice(prefix.length));
    if (!m) return false;
    const pid = Number(m[1]);
    return pid !== process.pid && (!isProcessAlive(pid) || now - Number(m[2]) > STALE_MS);
  });
  const olds = stale.filter((f) => f.endsWith('.old')).sort();
  const done: string[] = [];
  try {
    if (!fs.existsSync(target) && olds.length > 0) {
      const back = olds.pop()!;
      fs.renameSync(path.join(parent, back), target);
      stale.splice(stale.indexOf(back), 1);
    }
    for (const f of stale) {
      fs.rmSync(path.join(parent, f), { recursive: true, force: true });
      done.push(f);
    }
  } catch {
    // Cleaning is best effort: a leftover that cannot be removed must not stop the command.
  }
  return done;
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
    // V8 quotes the offending text, newlines included: keep the message on one line.
    throw new FerError(`not valid JSON: ${oneLine((e as Error).message, 200)}`, file);
  }
}

/**
 * Replace a whole directory atomically: `fill` writes into a temp directory that is renamed over
 * `target` only when it succeeds. Used for model folders and checkpoints. `mayReplace` is called
 * just before an existing `target` is swapped out and throws if it must not be
 * (lib/util/output-path's checkOutputDir).
 */
export async function writeDirAtomic(
  target: string,
  fill: (tmpDir: string) => Promise<void> | void,
  mayReplace?: (target: string) => void,
): Promise<void> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tempPath(target);
  const old = `${tmp}.old`;
  try {
    fs.mkdirSync(tmp, { recursive: true });
    await fill(tmp);
    if (fs.existsSync(target)) {
      mayReplace?.(target);
      fs.renameSync(target, old);
    }
    fs.renameSync(tmp, target);
    fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(target) && fs.existsSync(old)) fs.renameSync(old, target);
    throw e;
  }
}
