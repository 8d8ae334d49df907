/**
 * Lock files that keep two trainings off one model folder or checkpoint. The lock of `target`
 * is `.<basename>.lock` beside it (not inside: the folder itself is replaced on every save) and
 * holds the owner's PID. A lock whose PID is dead (a killed run) is taken over.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FerError } from './errors';

/** Whether a process with this PID exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockPath(target: string): string {
  const abs = path.resolve(target);
  return path.join(path.dirname(abs), `.${path.basename(abs)}.lock`);
}

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

function readLock(file: string): LockInfo | null {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    return typeof j.pid === 'number' ? (j as LockInfo) : null;
  } catch {
    return null;
  }
}

const held = new Map<string, string>();
let exitHook = false;

/**
 * Takes the lock of `target` for this process, or throws a FerError naming the holder's PID.
 * `what` names the artefact in the message ('checkpoint', 'model folder'). Returns the release
 * function; the lock is also released when the process exits.
 */
export function acquireLock(target: string, what: string): () => void {
  const file = lockPath(target);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const info: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    command: process.argv.slice(2).join(' '),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(info) + '\n', { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const other = readLock(file);
      if (other?.pid === process.pid) break; // already ours
      // Another machine's PID cannot be checked from here: treat its lock as held.
      const fresh =
        other === null &&
        Date.now() - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 5000;
      const alive =
        fresh || (other !== null && (other.host !== info.host || isProcessAlive(other.pid)));
      if (alive || attempt > 0)
        throw new FerError(
          other
            ? `the ${what} is in use by a running training (PID ${other.pid}${other.host !== info.host ? ` on ${other.host}` : ''}, lock ${file}); wait for it or stop it`
            : `the ${what} is locked (${file} is being written); try again`,
          target,
        );
      // A dead owner's lock (or an unreadable one) is stale: take it over.
      fs.rmSync(file, { force: true });
    }
  }
  held.set(file, String(process.pid));
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const f of held.keys()) releaseFile(f);
    });
  }
  return () => releaseFile(file);
}

function releaseFile(file: string): void {
  if (!held.delete(file)) return;
  if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
}
