/**
 * The one place that decides whether an output path may be written. A command may write into a
 * new path, an empty folder, or a path that already holds the same kind of artefact, which is
 * recognised by its marker files (a model folder: model.json + meta.json; a checkpoint:
 * state.json; a result JSON: its `schema` field; the data cache: its magic bytes). Anything else
 * is refused with a one-line FerError naming the path and what it holds, so that a typo such as
 * `--out .` can never replace a folder or file that fer did not create.
 */
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { cleanStaleTemps } from './atomic';
import { FerError } from './errors';

/** Folders that writeDirAtomic replaces as a whole. */
export type DirKind = 'model' | 'checkpoint';

interface DirSpec {
  what: string;
  markers: string[];
  /** Every other entry fer itself writes there. */
  extra: string[];
}

const DIR_SPECS: Record<DirKind, DirSpec> = {
  model: {
    what: 'a model folder (model.json + meta.json)',
    markers: ['model.json', 'meta.json'],
    extra: ['weights.bin', 'train-log.jsonl'],
  },
  checkpoint: {
    what: 'a training checkpoint (state.json)',
    markers: ['state.json'],
    extra: ['weights.bin', 'optimizer.bin', 'best.bin', 'train-log.jsonl'],
  },
};

/** What an output path holds now: nothing, an empty folder, or an artefact of the right kind. */
export type OutputState = 'new' | 'empty' | 'same-kind';

const list = (names: string[], max = 3): string =>
  names.slice(0, max).join(', ') + (names.length > max ? `, … (${names.length} entries)` : '');

function lstat(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    // ENOTDIR: a parent is a file; assertCreatable then names that parent.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new FerError(`cannot inspect: ${(e as Error).message}`, p);
  }
}

/** Weight shards a model.json lists (plain names only); none when it cannot be read. */
function listedShards(dir: string): string[] {
  try {
    const j = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
      weightsManifest?: { paths?: unknown }[];
    };
    return (j.weightsManifest ?? []).flatMap((g) =>
      Array.isArray(g.paths) ? g.paths.filter((p): p is string => typeof p === 'string') : [],
    );
  } catch {
    return [];
  }
}

/**
 * Fails unless `p` can be created: its nearest existing ancestor must be a writable folder.
 * (The process's own permission check; for root it passes, and the write's OS error is then
 * still turned into a one-line user error by the CLI.)
 */
export function assertCreatable(p: string): void {
  let dir = path.dirname(path.resolve(p));
  for (;;) {
    const st = lstat(dir) ?? null;
    if (st) {
      const real = st.isSymbolicLink() ? fs.statSync(dir) : st;
      if (!real.isDirectory()) throw new FerError(`cannot write here: ${dir} is not a folder`, p);
      try {
        fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
        // access() passes for root even where writes fail (read-only mounts it does catch):
        // create and remove a probe under the project's temp pattern to be sure. Its name must
        // not be a temp name an atomic write of this process may be using in the same
        // millisecond (that gave EEXIST, read as "not writable"), hence the random part.
        const probe = path.join(
          dir,
          `.tmp-${path.basename(p)}-${process.pid}-${Date.now()}-probe${randomBytes(4).toString('hex')}`,
        );
        fs.mkdirSync(probe);
        fs.rmdirSync(probe);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new FerError(
          `cannot write here: folder ${dir} is not writable (${code ?? 'EACCES'})`,
          p,
        );
      }
      return;
    }
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

/**
 * May `dir` be (re)placed by a folder of `kind`? It must be new, an empty folder, or a folder
 * holding exactly that kind of artefact (its marker files and nothing fer does not write there).
 * Stale temp folders of a killed save beside it are cleaned first.
 */
export function checkOutputDir(dir: string, kind: DirKind): OutputState {
  const spec = DIR_SPECS[kind];
  if (dir.trim() === '') throw new FerError(`the output path for ${spec.what} is empty`);
  cleanStaleTemps(dir);
  assertCreatable(dir);
  const st = lstat(dir);
  if (!st) return 'new';
  if (st.isSymbolicLink())
    throw new FerError(`is a symbolic link; refusing to replace it with ${spec.what}`, dir);
  if (!st.isDirectory())
    throw new FerError(`is a file, not ${spec.what}; refusing to replace it`, dir);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir).sort();
  } catch (e) {
    throw new FerError(`cannot list the folder: ${(e as Error).message}`, dir);
  }
  if (entries.length === 0) return 'empty';
  const missing = spec.markers.filter((m) => !entries.includes(m));
  if (missing.length > 0)
    throw new FerError(
      `holds ${list(entries)} and is not ${spec.what}; refusing to replace it (pick a new or empty folder)`,
      dir,
    );
  const known = new Set([
    ...spec.markers,
    ...spec.extra,
    ...(kind === 'model' ? listedShards(dir) : []),
  ]);
  const foreign = entries.filter(
    (e) => !known.has(e) || !(lstat(path.join(dir, e))?.isFile() ?? false),
  );
  if (foreign.length > 0)
    throw new FerError(
      `is ${spec.what} but also holds ${list(foreign)}, which fer did not write; refusing to replace it`,
      dir,
    );
  return 'same-kind';
}

/**
 * May `file` be (re)placed by a result JSON with this `schema`? It must be new or hold a JSON
 * object with the same `schema`. `sameProducer`, given the existing object, returns null when
 * this run may replace it, else why not (e.g. it holds another model's result).
 */
export function checkOutputFile(
  file: string,
  schema: string,
  sameProducer?: (existing: Record<string, unknown>) => string | null,
): OutputState {
  if (file.trim() === '') throw new FerError(`the output file for a ${schema} result is empty`);
  cleanStaleTemps(file);
  assertCreatable(file);
  const st = lstat(file);
  if (!st) return 'new';
  const real = st.isSymbolicLink() ? fs.statSync(file) : st;
  if (real.isDirectory())
    throw new FerError(`is a folder; a ${schema} result must be written to a file`, file);
  if (!real.isFile())
    throw new FerError(
      `is not a regular file; refusing to replace it with a ${schema} result`,
      file,
    );
  let found: unknown;
  try {
    found = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new FerError(
      `holds something that is not JSON; refusing to replace it with a ${schema} result`,
      file,
    );
  }
  // Result JSONs name their kind in `schema` (the dynamics experiment in `experiment`).
  const obj =
    found !== null && typeof found === 'object' && !Array.isArray(found)
      ? (found as Record<string, unknown>)
      : {};
  const have = obj.schema ?? obj.experiment;
  if (have !== schema)
    throw new FerError(
      `holds ${typeof have === 'string' ? `a ${have} result` : 'JSON that is not a fer result'}, not a ${schema} result; refusing to replace it`,
      file,
    );
  const why = sameProducer?.(found as Record<string, unknown>) ?? null;
  if (why !== null) throw new FerError(`${why}; refusing to replace it (pass --out FILE)`, file);
  return 'same-kind';
}

/**
 * May the data cache `file` be (re)written? New, or a file that starts with the cache's magic
 * bytes (a damaged cache is rebuilt); anything else is refused.
 */
export function checkCacheFile(file: string, magic: Buffer): OutputState {
  cleanStaleTemps(file);
  assertCreatable(file);
  const st = lstat(file);
  if (!st) return 'new';
  if (!st.isFile())
    throw new FerError('is not a regular file; refusing to replace it with the data cache', file);
  const head = Buffer.alloc(magic.length);
  const fd = fs.openSync(file, 'r');
  let n: number;
  try {
    n = fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (n === 0 || head.subarray(0, n).equals(magic.subarray(0, n))) return 'same-kind';
  throw new FerError('is not a FER2013 cache file; refusing to replace it', file);
}
