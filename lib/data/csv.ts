/**
 * Streaming reader for FER2013's `fer2013.csv` (plain or gzipped).
 *
 * The file is 301 MB of decimal text (35,887 rows of 2,304 space-separated pixels), so the reader
 * never builds per-row or per-pixel strings: it splits chunks at '\n' with Buffer.indexOf and
 * parses digits straight into one preallocated, growing Uint8Array. Every row is validated, and
 * every problem is a FerError with the file and 1-based line number.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { FerError } from '../util/errors';
import { NUM_CLASSES, PIXELS_PER_IMAGE, USAGES } from './classes';
import { ORIGINAL_SHA256, type FerDataset } from './dataset';

/** What the parser returns: the dataset plus facts about the source bytes. */
export interface ParsedFer2013 extends FerDataset {
  /** Uncompressed size in bytes (301,072,766 for the original). */
  readonly bytes: number;
  /** Whether `sha256` equals ORIGINAL_SHA256, i.e. the file is byte-identical to Kaggle's. */
  readonly original: boolean;
  /** Whether the source was gzip-compressed. */
  readonly gzip: boolean;
}

export interface ParseOptions {
  /** Stream chunk size in bytes (tests use tiny chunks to exercise rows split across chunks). */
  chunkSize?: number;
}

export const CSV_HEADER = 'emotion,pixels,Usage';
/** Longest line accepted; a real row is at most 2304*4+~20 bytes. Guards against binary input. */
const MAX_LINE = 64 * 1024;
const LF = 10;
const CR = 13;
const COMMA = 44;
const SPACE = 32;
const QUOTE = 34;
const USAGE_BYTES = USAGES.map((u) => Buffer.from(u, 'latin1'));

/** True when the file starts with the gzip magic bytes 1f 8b (the extension is not trusted). */
export function isGzipFile(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return fs.readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A stream of the file's uncompressed bytes. Throws FerError for a missing or unreadable file.
 */
export function openFerStream(file: string, chunkSize = 1 << 20): { stream: NodeJS.ReadableStream; gzip: boolean } {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new FerError('no such file', file);
  }
  if (!st.isFile()) throw new FerError('not a regular file', file);
  const gzip = isGzipFile(file);
  const raw = fs.createReadStream(file, { highWaterMark: chunkSize });
  if (!gzip) return { stream: raw, gzip };
  const gunzip = zlib.createGunzip({ chunkSize: Math.max(chunkSize, 64) });
  raw.on('error', (e) => gunzip.destroy(e));
  return { stream: raw.pipe(gunzip), gzip };
}

/** Uncompressed size hint: file size, or the gzip trailer's ISIZE (size mod 2^32). */
function sizeHint(file: string, gzip: boolean): number {
  const size = fs.statSync(file).size;
  if (!gzip || size < 18) return size;
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    fs.readSync(fd, b, 0, 4, size - 4);
    return b.readUInt32LE(0);
  } finally {
    fs.closeSync(fd);
  }
}

/** Printable form of a few bytes for error messages. */
function show(buf: Uint8Array, s: number, e: number): string {
  const t = Buffer.from(buf.buffer, buf.byteOffset + s, Math.min(e - s, 40)).toString('latin1');
  return JSON.stringify(e - s > 40 ? t + '…' : t);
}

/**
 * Incremental row parser. `line(buf, s, e)` receives one line without its '\n'; the parser owns
 * the growing output arrays.
 */
class RowParser {
  n = 0;
  lineNo = 0;
  pixels: Uint8Array;
  labels: Uint8Array;
  usage: Uint8Array;
  private sawHeader = false;
  /** Line number of the first blank line in a run of blank lines not yet followed by data. */
  private blankAt = 0;

  constructor(
    private readonly file: string,
    rowsHint: number,
  ) {
    const cap = Math.max(16, rowsHint);
    this.pixels = new Uint8Array(cap * PIXELS_PER_IMAGE);
    this.labels = new Uint8Array(cap);
    this.usage = new Uint8Array(cap);
  }

  private fail(msg: string): never {
    throw new FerError(msg, this.file, this.lineNo);
  }

  private grow(): void {
    const cap = Math.ceil(this.labels.length * 1.5) + 16;
    const p = new Uint8Array(cap * PIXELS_PER_IMAGE);
    p.set(this.pixels);
    this.pixels = p;
    const l = new Uint8Array(cap);
    l.set(this.labels);
    this.labels = l;
    const u = new Uint8Array(cap);
    u.set(this.usage);
    this.usage = u;
  }

  line(buf: Uint8Array, s: number, e: number): void {
    this.lineNo++;
    if (e > s && buf[e - 1] === CR) e--;
    if (!this.sawHeader) return this.header(buf, s, e);
    // Blank lines are tolerated only at the very end of the file (checked in finish()).
    if (e === s) {
      if (this.blankAt === 0) this.blankAt = this.lineNo;
      return;
    }
    if (this.blankAt !== 0) {
      this.lineNo = this.blankAt;
      this.fail('empty line (expected emotion,pixels,Usage)');
    }
    this.row(buf, s, e);
  }

  private header(buf: Uint8Array, s: number, e: number): void {
    this.sawHeader = true;
    // A UTF-8 BOM (EF BB BF) is what Excel and some editors put in front of a saved CSV.
    if (e - s >= 3 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) s += 3;
    const h = Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('latin1');
    if (h === CSV_HEADER) return;
    const cols = h.split(',');
    const missing = CSV_HEADER.split(',').filter((c) => !cols.includes(c));
    if (missing.length > 0)
      this.fail(`missing column ${missing.map((m) => `'${m}'`).join(', ')}: header is ${show(buf, s, e)}, expected "${CSV_HEADER}"`);
    this.fail(`header is ${show(buf, s, e)}, expected "${CSV_HEADER}"`);
  }

  private row(buf: Uint8Array, s: number, e: number): void {
    // Locate the two commas; the pixel field is the long middle one.
    const c1 = indexOfByte(buf, COMMA, s, e);
    const c2 = c1 < 0 ? -1 : indexOfByte(buf, COMMA, c1 + 1, e);
    if (c1 < 0 || c2 < 0) this.fail(`expected 3 fields (emotion,pixels,Usage), found ${c1 < 0 ? 1 : 2}`);
    if (indexOfByte(buf, COMMA, c2 + 1, e) >= 0)
      this.fail(`expected 3 fields (emotion,pixels,Usage), found more`);
    if (this.n === this.labels.length) this.grow();
    const i = this.n;

    // emotion
    let [ls, le] = unquote(buf, s, c1);
    if (le === ls) this.fail('empty emotion label');
    let label = 0;
    for (let k = ls; k < le; k++) {
      const d = buf[k] - 48;
      if (d < 0 || d > 9) this.fail(`emotion label ${show(buf, ls, le)} is not an integer`);
      label = label * 10 + d;
      if (label > 1000) break;
    }
    if (label >= NUM_CLASSES)
      this.fail(`emotion label ${show(buf, ls, le)} is out of range 0-${NUM_CLASSES - 1}`);
    this.labels[i] = label;

    // Usage
    [ls, le] = unquote(buf, c2 + 1, e);
    let u = -1;
    for (let k = 0; k < USAGE_BYTES.length && u < 0; k++) {
      const ub = USAGE_BYTES[k];
      if (ub.length !== le - ls) continue;
      let j = 0;
      while (j < ub.length && ub[j] === buf[ls + j]) j++;
      if (j === ub.length) u = k;
    }
    if (u < 0) this.fail(`unknown Usage ${show(buf, ls, le)} (expected ${USAGES.join(', ')})`);
    this.usage[i] = u;

    // pixels: exactly 2304 integers 0..255 separated by single spaces.
    [ls, le] = unquote(buf, c1 + 1, c2);
    const out = this.pixels;
    let o = i * PIXELS_PER_IMAGE;
    const end = o + PIXELS_PER_IMAGE;
    let v = 0;
    let nd = 0;
    for (let k = ls; k < le; k++) {
      const b = buf[k];
      if (b === SPACE) {
        if (nd === 0) this.pixelError(o - i * PIXELS_PER_IMAGE, 'an empty value (two spaces, or a leading space)');
        if (o === end) this.countError(buf, k, le);
        out[o++] = v;
        v = 0;
        nd = 0;
      } else {
        const d = b - 48;
        if (d < 0 || d > 9)
          this.pixelError(o - i * PIXELS_PER_IMAGE, `invalid character ${show(buf, k, k + 1)}`);
        v = v * 10 + d;
        if (++nd > 3 || v > 255) {
          let k2 = k + 1;
          while (k2 < le && buf[k2] >= 48 && buf[k2] <= 57) k2++;
          let q = k;
          while (q > ls && buf[q - 1] !== SPACE) q--;
          this.pixelError(o - i * PIXELS_PER_IMAGE, `value ${show(buf, q, k2).slice(1, -1)} is out of range 0-255`);
        }
      }
    }
    if (nd === 0) {
      if (le === ls) this.fail(`expected ${PIXELS_PER_IMAGE} pixel values, found 0`);
      this.pixelError(o - i * PIXELS_PER_IMAGE, 'an empty value (trailing space)');
    }
    if (o === end) this.countError(buf, le, le);
    out[o++] = v;
    if (o !== end) this.fail(`expected ${PIXELS_PER_IMAGE} pixel values, found ${o - i * PIXELS_PER_IMAGE}`);
    this.n++;
  }

  private pixelError(index: number, what: string): never {
    this.fail(`pixel ${index + 1}: ${what}`);
  }

  private countError(buf: Uint8Array, k: number, le: number): never {
    let extra = 1;
    for (let j = k; j < le; j++) if (buf[j] === SPACE) extra++;
    this.fail(`expected ${PIXELS_PER_IMAGE} pixel values, found ${PIXELS_PER_IMAGE + extra}`);
  }

  finish(): void {
    if (!this.sawHeader) {
      this.lineNo = 1;
      this.fail(`empty file (expected the header "${CSV_HEADER}")`);
    }
    if (this.n === 0) this.fail('no data rows after the header');
  }
}

function indexOfByte(buf: Uint8Array, byte: number, s: number, e: number): number {
  for (let k = s; k < e; k++) if (buf[k] === byte) return k;
  return -1;
}

/** Strip one pair of surrounding double quotes (CSV writers may quote the pixel field). */
function unquote(buf: Uint8Array, s: number, e: number): [number, number] {
  if (e - s >= 2 && buf[s] === QUOTE && buf[e - 1] === QUOTE) return [s + 1, e - 1];
  return [s, e];
}

/**
 * Parse and validate a whole FER2013 CSV (plain or gzip, detected by magic bytes), computing the
 * SHA-256 of the uncompressed bytes on the way.
 */
export async function parseFer2013Csv(file: string, opts: ParseOptions = {}): Promise<ParsedFer2013> {
  const { stream, gzip } = openFerStream(file, opts.chunkSize);
  // Rows average ~8,390 bytes in the original; over-estimating slightly avoids a regrow.
  const parser = new RowParser(file, Math.ceil(sizeHint(file, gzip) / 8000) + 16);
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  // Pieces of a line that spans chunk boundaries.
  let carry: Buffer[] = [];
  let carryLen = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
      let s = 0;
      let nl = chunk.indexOf(LF, 0);
      if (carryLen > 0) {
        if (nl < 0) {
          carry.push(chunk);
          carryLen += chunk.length;
          if (carryLen > MAX_LINE) tooLong(parser, file);
          continue;
        }
        carry.push(chunk.subarray(0, nl));
        const line = Buffer.concat(carry);
        carry = [];
        carryLen = 0;
        if (line.length > MAX_LINE) tooLong(parser, file);
        parser.line(line, 0, line.length);
        s = nl + 1;
        nl = chunk.indexOf(LF, s);
      }
      while (nl >= 0) {
        if (nl - s > MAX_LINE) tooLong(parser, file);
        parser.line(chunk, s, nl);
        s = nl + 1;
        nl = chunk.indexOf(LF, s);
      }
      if (s < chunk.length) {
        carry.push(chunk.subarray(s));
        carryLen = chunk.length - s;
        if (carryLen > MAX_LINE) tooLong(parser, file);
      }
    }
  } catch (e) {
    if (e instanceof FerError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (gzip && typeof err.code === 'string' && err.code.startsWith('Z_'))
      throw new FerError(
        `corrupt or truncated gzip (${err.message}) after ${bytes} uncompressed bytes`,
        file,
        parser.lineNo + 1,
      );
    throw new FerError(`cannot read: ${err.message}`, file);
  }
  // The last line may lack a trailing newline.
  if (carryLen > 0) {
    const line = Buffer.concat(carry);
    try {
      parser.line(line, 0, line.length);
    } catch (e) {
      // A bad last line without a newline is most often a cut-off download.
      if (e instanceof FerError && e.line === parser.lineNo)
        throw new FerError(`${e.message} (last line has no newline: truncated file?)`, file, e.line);
      throw e;
    }
  }
  parser.finish();
  const n = parser.n;
  const sha256 = hash.digest('hex');
  // Trim the over-allocated buffers; a copy of 83 MB is cheaper than keeping 2x around.
  const trim = (a: Uint8Array, len: number): Uint8Array => (a.length === len ? a : a.slice(0, len));
  return {
    n,
    pixels: trim(parser.pixels, n * PIXELS_PER_IMAGE),
    labels: trim(parser.labels, n),
    usage: trim(parser.usage, n),
    sha256,
    source: file,
    bytes,
    original: sha256 === ORIGINAL_SHA256,
    gzip,
  };
}

function tooLong(parser: RowParser, file: string): never {
  throw new FerError(`line longer than ${MAX_LINE} bytes (is this a FER2013 CSV?)`, file, parser.lineNo + 1);
}

/** SHA-256 of the uncompressed bytes only, without parsing (used to validate a cache cheaply). */
export async function hashFerSource(file: string): Promise<string> {
  const { stream, gzip } = openFerStream(file);
  const hash = crypto.createHash('sha256');
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  } catch (e) {
    const err = e as Error;
    throw new FerError(`${gzip ? 'corrupt or truncated gzip' : 'cannot read'}: ${err.message}`, file);
  }
  return hash.digest('hex');
}
