/**
 * Binary cache of the parsed dataset, so that later runs load FER2013 in ~0.1 s instead of
 * re-parsing 301 MB of text.
 *
 * One file per source CSV, `data/cache/fer2013-<hash of the source path>.bin`:
 *   bytes 0..7   magic "FERCACHE"
 *   bytes 8..11  uint32 LE length H of the JSON header
 *   bytes 12..   JSON header (CacheHeader), space-padded so the payload starts at a multiple of 8
 *   payload      labels (n bytes), usage (n bytes), padding to 8, pixels (n*2304 bytes)
 * It is written to a temp file and renamed, so a reader never sees half of it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanStaleTemps, writeFileAtomic } from '../util/atomic';
import { FerError } from '../util/errors';
import { osErrorToFerError } from '../util/os-error';
import { checkCacheFile } from '../util/output-path';
import { PIXELS_PER_IMAGE, USAGES } from './classes';
import { hashFerSource, parseFer2013Csv } from './csv';
import { ORIGINAL_SHA256, type FerDataset } from './dataset';

export const CACHE_FORMAT_VERSION = 1;
const MAGIC = Buffer.from('FERCACHE', 'latin1');

/** Default cache folder: `<repo>/data/cache` (gitignored). */
export const DEFAULT_CACHE_DIR = path.resolve(__dirname, '..', '..', 'data', 'cache');

export interface CacheHeader {
  format: 'fer2013-cache';
  version: number;
  /** SHA-256 of the uncompressed source CSV. */
  sourceSha256: string;
  /** Whether the source is the original Kaggle file. */
  original: boolean;
  /** Absolute path, size and mtime of the source when the cache was built: the cheap check. */
  sourcePath: string;
  sourceSize: number;
  sourceMtimeMs: number;
  n: number;
  classCounts: number[];
  usageCounts: Record<string, number>;
  /** Byte offsets of the arrays from the start of the file. */
  offsets: { labels: number; usage: number; pixels: number };
  createdAt: string;
}

/** `--csv` option, else `FER2013_CSV`, else a FerError saying how to provide the file. */
export function resolveCsvPath(opt?: string): string {
  const p = opt ?? process.env.FER2013_CSV;
  if (p === undefined || p === '')
    throw new FerError(
      'no FER2013 CSV given: pass --csv <file> or set FER2013_CSV to fer2013.csv or fer2013.csv.gz',
    );
  return p;
}

/** The cache file used for a given source CSV. */
export function cachePathFor(csv: string, cacheDir = DEFAULT_CACHE_DIR): string {
  const key = crypto.createHash('sha256').update(path.resolve(csv)).digest('hex').slice(0, 12);
  return path.join(cacheDir, `fer2013-${key}.bin`);
}

const align8 = (x: number): number => Math.ceil(x / 8) * 8;

function countsOf(ds: FerDataset): { classCounts: number[]; usageCounts: Record<string, number> } {
  const classCounts = new Array<number>(7).fill(0);
  const u = new Array<number>(USAGES.length).fill(0);
  for (let i = 0; i < ds.n; i++) {
    classCounts[ds.labels[i]]++;
    u[ds.usage[i]]++;
  }
  return { classCounts, usageCounts: Object.fromEntries(USAGES.map((name, k) => [name, u[k]])) };
}

/** Serialise a dataset and its source's identity to `target`, atomically. */
export function writeCache(target: string, ds: FerDataset, sourceStat?: fs.Stats): CacheHeader {
  const st = sourceStat ?? fs.statSync(ds.source);
  const n = ds.n;
  // The header's length depends on the offsets and vice versa; offsets are measured from the
  // payload start first, then shifted once the header length is known.
  const header: CacheHeader = {
    format: 'fer2013-cache',
    version: CACHE_FORMAT_VERSION,
    sourceSha256: ds.sha256,
    original: ds.sha256 === ORIGINAL_SHA256,
    sourcePath: path.resolve(ds.source),
    sourceSize: st.size,
    sourceMtimeMs: st.mtimeMs,
    n,
    ...countsOf(ds),
    offsets: { labels: 0, usage: 0, pixels: 0 },
    createdAt: new Date().toISOString(),
  };
  // Reserve room for offsets up to 12 digits each so that filling them in keeps the length.
  header.offsets = { labels: 1e11, usage: 1e11, pixels: 1e11 };
  const start = align8(12 + Buffer.byteLength(JSON.stringify(header)));
  header.offsets = { labels: start, usage: start + n, pixels: align8(start + 2 * n) };
  let json = JSON.stringify(header);
  json = json.padEnd(start - 12, ' ');
  const total = header.offsets.pixels + n * PIXELS_PER_IMAGE;
  const buf = Buffer.alloc(total);
  MAGIC.copy(buf, 0);
  buf.writeUInt32LE(json.length, 8);
  buf.write(json, 12, 'latin1');
  buf.set(ds.labels.subarray(0, n), header.offsets.labels);
  buf.set(ds.usage.subarray(0, n), header.offsets.usage);
  buf.set(ds.pixels.subarray(0, n * PIXELS_PER_IMAGE), header.offsets.pixels);
  writeFileAtomic(target, buf);
  return header;
}

/** Read only the JSON header (cheap); undefined when the file is absent or not a valid cache. */
export function readCacheHeader(file: string): CacheHeader | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const pre = Buffer.alloc(12);
    if (fs.readSync(fd, pre, 0, 12, 0) !== 12 || !pre.subarray(0, 8).equals(MAGIC)) return undefined;
    const len = pre.readUInt32LE(8);
    if (len > 1 << 20) return undefined;
    const jb = Buffer.alloc(len);
    if (fs.readSync(fd, jb, 0, len, 12) !== len) return undefined;
    const h = JSON.parse(jb.toString('latin1')) as CacheHeader;
    return h.format === 'fer2013-cache' && h.version === CACHE_FORMAT_VERSION ? h : undefined;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Load a cache file into views over one buffer (no per-array copies). */
export function readCache(file: string, source?: string): FerDataset & { header: CacheHeader } {
  const header = readCacheHeader(file);
  if (!header) throw new FerError('not a valid FER2013 cache file (delete it to rebuild)', file);
  const buf = fs.readFileSync(file);
  const { n, offsets } = header;
  if (buf.length !== offsets.pixels + n * PIXELS_PER_IMAGE)
    throw new FerError(`cache file has ${buf.length} bytes, header implies ${offsets.pixels + n * PIXELS_PER_IMAGE}`, file);
  const view = (off: number, len: number): Uint8Array => new Uint8Array(buf.buffer, buf.byteOffset + off, len);
  return {
    n,
    labels: view(offsets.labels, n),
    usage: view(offsets.usage, n),
    pixels: view(offsets.pixels, n * PIXELS_PER_IMAGE),
    sha256: header.sourceSha256,
    source: source ?? header.sourcePath,
    header,
  };
}

export interface LoadOptions {
  /** CSV path; defaults to resolveCsvPath() (FER2013_CSV). */
  csv?: string;
  /** Cache folder; defaults to data/cache in the repository. */
  cacheDir?: string;
  /** Ignore any cache and re-parse the CSV. */
  rebuild?: boolean;
  /** Progress messages (e.g. console.error). */
  log?: (s: string) => void;
  /** A cache that cannot be written is an error (`fer data prepare`), not a warning. */
  requireCache?: boolean;
}

/**
 * FER2013 from the binary cache when it is current, else parsed from the CSV (and cached).
 *
 * "Current" means: same path, size and mtime as when built (no hashing needed), or, when those
 * changed, the source's SHA-256 still equals the cached one (then only the cheap key is updated).
 * A different hash rebuilds the cache.
 */
export async function loadFer2013(opts: LoadOptions = {}): Promise<FerDataset> {
  const csv = resolveCsvPath(opts.csv);
  const log = opts.log ?? ((): void => {});
  let st: fs.Stats;
  try {
    st = fs.statSync(csv);
  } catch {
    throw new FerError('no such file', csv);
  }
  const target = cachePathFor(csv, opts.cacheDir);
  // Temp files of a killed build (`.tmp-fer2013-<key>.bin-<pid>-<ms>`) whose process is gone.
  cleanStaleTemps(target);
  const tryWrite = (f: () => void): boolean => writeOrWarn(target, f, log, opts.requireCache);
  const header = opts.rebuild ? undefined : readCacheHeader(target);
  if (header) {
    const sameStat =
      header.sourcePath === path.resolve(csv) &&
      header.sourceSize === st.size &&
      header.sourceMtimeMs === st.mtimeMs;
    try {
      if (sameStat) {
        log(`fer2013: loading cache ${target}`);
        return readCache(target, csv);
      }
      log(`fer2013: ${csv} changed on disk since the cache was built; checking its SHA-256`);
      const sha = await hashFerSource(csv);
      if (sha === header.sourceSha256) {
        const ds = readCache(target, csv);
        tryWrite(() => writeCache(target, ds, st));
        return ds;
      }
      log(`fer2013: source hash differs from the cache's; rebuilding`);
    } catch (e) {
      // A damaged cache is rebuilt; a bad source is the user's error and propagates.
      if (!(e instanceof FerError) || e.file !== target) throw e;
      log(`fer2013: ${e.format()}; rebuilding`);
    }
  }
  log(`fer2013: parsing ${csv}`);
  const t0 = Date.now();
  const ds = await parseFer2013Csv(csv);
  log(
    `fer2013: ${ds.n} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s, sha256 ${ds.sha256}` +
      (ds.original ? ' (the original file)' : ' (NOT the original Kaggle file)'),
  );
  if (tryWrite(() => writeCache(target, ds, st))) log(`fer2013: cached to ${target}`);
  return ds;
}

/**
 * A cache that cannot be written (read-only checkout, full disk) is a warning, not a failure,
 * unless `required`; a foreign file in the cache's place is never replaced.
 */
function writeOrWarn(
  target: string,
  f: () => void,
  log: (s: string) => void,
  required = false,
): boolean {
  try {
    checkCacheFile(target, MAGIC);
    f();
    return true;
  } catch (e) {
    const err = e instanceof FerError ? e : osErrorToFerError(e);
    // Name the cache file once: the inner error may name it (or a folder above it) already.
    const inner = err && err.file === target ? err.message : err?.format();
    if (required) throw err ? new FerError(`could not write the cache: ${inner}`, target) : e;
    const why = inner ?? (e instanceof Error ? e.message : String(e));
    log(`fer2013: could not write the cache: ${why}`);
    return false;
  }
}
