import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cachePathFor,
  loadFer2013,
  readCache,
  readCacheHeader,
  resolveCsvPath,
  writeCache,
} from '../../lib/data/cache';
import { parseFer2013Csv } from '../../lib/data/csv';
import { FerError } from '../../lib/util/errors';
import { ferCsv, randomRows, tempDir, writeFixture } from '../fixtures/fer';

describe('data: binary cache', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  /** loadFer2013 with its log captured. */
  async function load(csv: string, cacheDir: string, rebuild = false) {
    const log: string[] = [];
    const ds = await loadFer2013({ csv, cacheDir, rebuild, log: (s) => log.push(s) });
    return { ds, log: log.join('\n') };
  }

  it('round-trips pixels, labels, usage and hash, and leaves no temp files', async () => {
    const csv = writeFixture(dir, 'a.csv.gz', ferCsv(randomRows(30, 3)), { gzip: true });
    const cacheDir = path.join(dir, 'cache');
    const first = await load(csv, cacheDir);
    assert.match(first.log, /parsing/);
    const second = await load(csv, cacheDir);
    assert.match(second.log, /loading cache/);
    assert.doesNotMatch(second.log, /parsing/);
    const parsed = await parseFer2013Csv(csv);
    for (const ds of [first.ds, second.ds]) {
      assert.equal(ds.n, 30);
      assert.deepEqual(ds.pixels, parsed.pixels);
      assert.deepEqual(ds.labels, parsed.labels);
      assert.deepEqual(ds.usage, parsed.usage);
      assert.equal(ds.sha256, parsed.sha256);
    }
    assert.deepEqual(fs.readdirSync(cacheDir), [path.basename(cachePathFor(csv, cacheDir))]);
    const h = readCacheHeader(cachePathFor(csv, cacheDir));
    assert.ok(h);
    assert.equal(h.n, 30);
    assert.equal(h.sourceSha256, parsed.sha256);
    assert.deepEqual(h.classCounts, [5, 5, 4, 4, 4, 4, 4]);
    assert.deepEqual(h.usageCounts, { Training: 24, PublicTest: 3, PrivateTest: 3 });
    assert.equal(h.offsets.pixels % 8, 0);
  });

  it('rebuilds when the source content (hash) changes', async () => {
    const csv = writeFixture(dir, 'a.csv', ferCsv(randomRows(10, 1)));
    const cacheDir = path.join(dir, 'cache');
    const a = await load(csv, cacheDir);
    writeFixture(dir, 'a.csv', ferCsv(randomRows(14, 2)));
    const b = await load(csv, cacheDir);
    assert.match(b.log, /hash differs/);
    assert.equal(b.ds.n, 14);
    assert.notEqual(b.ds.sha256, a.ds.sha256);
    const c = await load(csv, cacheDir);
    assert.match(c.log, /loading cache/);
    assert.equal(c.ds.sha256, b.ds.sha256);
  });

  it('keeps the cache when only the mtime changes and the hash is the same', async () => {
    const csv = writeFixture(dir, 'a.csv', ferCsv(randomRows(10, 1)));
    const cacheDir = path.join(dir, 'cache');
    await load(csv, cacheDir);
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(csv, later, later);
    const b = await load(csv, cacheDir);
    assert.match(b.log, /checking its SHA-256/);
    assert.doesNotMatch(b.log, /parsing/);
    // The cheap key is refreshed, so the next load needs no hashing.
    const c = await load(csv, cacheDir);
    assert.doesNotMatch(c.log, /SHA-256/);
    assert.equal(c.ds.n, 10);
  });

  it('rebuilds a damaged cache and honours rebuild: true', async () => {
    const csv = writeFixture(dir, 'a.csv', ferCsv(randomRows(8, 1)));
    const cacheDir = path.join(dir, 'cache');
    await load(csv, cacheDir);
    const target = cachePathFor(csv, cacheDir);
    fs.truncateSync(target, fs.statSync(target).size - 100);
    assert.throws(() => readCache(target), FerError);
    const b = await load(csv, cacheDir);
    assert.match(b.log, /rebuilding/);
    assert.equal(b.ds.n, 8);
    assert.match((await load(csv, cacheDir, true)).log, /parsing/);
  });

  it('writes atomically: a failed write leaves neither a partial file nor a temp file', async () => {
    const csv = writeFixture(dir, 'a.csv', ferCsv(randomRows(5, 1)));
    const ds = await parseFer2013Csv(csv);
    const cacheDir = path.join(dir, 'cache');
    const target = path.join(cacheDir, 'x.bin');
    fs.mkdirSync(target, { recursive: true }); // a directory in the way makes the rename fail
    assert.throws(() => writeCache(target, ds));
    assert.deepEqual(fs.readdirSync(cacheDir), ['x.bin']);
    assert.ok(fs.statSync(target).isDirectory());
    fs.rmdirSync(target);
    writeCache(target, ds);
    assert.deepEqual(fs.readdirSync(cacheDir), ['x.bin']);
    assert.equal(readCache(target).n, 5);
  });

  it('still returns the data when the cache folder cannot be written', async () => {
    const csv = writeFixture(dir, 'a.csv', ferCsv(randomRows(4, 1)));
    const blocker = writeFixture(dir, 'file', 'not a folder');
    const r = await load(csv, path.join(blocker, 'cache'));
    assert.equal(r.ds.n, 4);
    assert.match(r.log, /could not write the cache/);
  });

  it('resolves the CSV from the option, then FER2013_CSV, else a FerError', () => {
    const saved = process.env.FER2013_CSV;
    try {
      process.env.FER2013_CSV = '/env.csv';
      assert.equal(resolveCsvPath('/opt.csv'), '/opt.csv');
      assert.equal(resolveCsvPath(), '/env.csv');
      delete process.env.FER2013_CSV;
      assert.throws(
        () => resolveCsvPath(),
        (e: unknown) => e instanceof FerError && /FER2013_CSV/.test(e.message),
      );
    } finally {
      if (saved === undefined) delete process.env.FER2013_CSV;
      else process.env.FER2013_CSV = saved;
    }
  });
});
