import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { parseFer2013Csv } from '../../lib/data/csv';
import { PIXELS_PER_IMAGE } from '../../lib/data/classes';
import { FerError } from '../../lib/util/errors';
import {
  ferCsv,
  randomRows,
  rowLine,
  tempDir,
  writeFixture,
  type FixtureRow,
} from '../fixtures/fer';

const HEADER = 'emotion,pixels,Usage\n';

describe('data: FER2013 CSV parser', () => {
  let dir: string;
  let cleanup: () => void;
  const rows = randomRows(12, 5);
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  function assertRows(
    ds: Awaited<ReturnType<typeof parseFer2013Csv>>,
    expected: FixtureRow[],
  ): void {
    assert.equal(ds.n, expected.length);
    assert.equal(ds.pixels.length, expected.length * PIXELS_PER_IMAGE);
    expected.forEach((r, i) => {
      assert.equal(ds.labels[i], r.label);
      assert.equal(ds.usage[i], ['Training', 'PublicTest', 'PrivateTest'].indexOf(r.usage));
      assert.deepEqual(
        ds.pixels.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE),
        r.pixels,
      );
    });
  }

  it('reads labels, usage and every pixel, and hashes the bytes', async () => {
    const text = ferCsv(rows);
    const file = writeFixture(dir, 'plain.csv', text);
    const ds = await parseFer2013Csv(file);
    assertRows(ds, rows);
    assert.equal(ds.sha256, crypto.createHash('sha256').update(text).digest('hex'));
    assert.equal(ds.bytes, Buffer.byteLength(text));
    assert.equal(ds.original, false);
    assert.equal(ds.gzip, false);
    assert.equal(ds.source, file);
  });

  it('handles rows split across stream chunks of any size', async () => {
    const file = writeFixture(dir, 'chunks.csv', ferCsv(rows));
    for (const chunkSize of [1, 7, 4096])
      assertRows(await parseFer2013Csv(file, { chunkSize }), rows);
  });

  it('detects gzip by magic bytes and hashes the uncompressed bytes', async () => {
    const text = ferCsv(rows);
    // Deliberately misnamed: the extension must not matter.
    const file = writeFixture(dir, 'compressed.csv', text, { gzip: true });
    const ds = await parseFer2013Csv(file);
    assertRows(ds, rows);
    assert.equal(ds.gzip, true);
    assert.equal(ds.sha256, crypto.createHash('sha256').update(text).digest('hex'));
  });

  it('accepts CRLF line endings, a UTF-8 BOM, quoted fields and a missing final newline', async () => {
    assertRows(
      await parseFer2013Csv(writeFixture(dir, 'crlf.csv', ferCsv(rows, { crlf: true, bom: true }))),
      rows,
    );
    const quoted =
      HEADER +
      rows.map((r) => `"${r.label}","${Array.from(r.pixels).join(' ')}",${r.usage}`).join('\n');
    assertRows(await parseFer2013Csv(writeFixture(dir, 'quoted.csv', quoted)), rows);
  });

  it('tolerates blank lines only at the end', async () => {
    assertRows(
      await parseFer2013Csv(writeFixture(dir, 'trail.csv', ferCsv(rows) + '\n\r\n')),
      rows,
    );
    const mid = HEADER + rowLine(rows[0]) + '\n\n' + rowLine(rows[1]) + '\n';
    await rejects(writeFixture(dir, 'mid.csv', mid), 3, /empty line/);
  });

  /** Expect a FerError carrying this file, line and message. */
  async function rejects(file: string, line: number, msg: RegExp): Promise<void> {
    await assert.rejects(parseFer2013Csv(file), (e: unknown) => {
      assert.ok(e instanceof FerError, `expected FerError, got ${String(e)}`);
      assert.equal(e.file, file);
      assert.equal(e.line, line);
      assert.match(e.message, msg);
      assert.equal(e.format(), `${file}:${line}: ${e.message}`);
      return true;
    });
  }

  const pix = (vals: number[]): string => vals.join(' ');
  const good = Array.from(rows[0].pixels);

  it('rejects an empty file', async () => {
    await rejects(writeFixture(dir, 'empty.csv', ''), 1, /empty file/);
  });

  it('rejects a header-only file', async () => {
    await rejects(writeFixture(dir, 'header.csv', HEADER), 1, /no data rows/);
  });

  it('rejects a missing column in the header', async () => {
    await rejects(
      writeFixture(dir, 'nocol.csv', 'emotion,pixels\n0,1 2\n'),
      1,
      /missing column 'Usage'/,
    );
    await rejects(writeFixture(dir, 'badhdr.csv', 'emotion,pixels,Usage,x\n'), 1, /header is/);
  });

  it('rejects a row with a missing or extra field', async () => {
    await rejects(
      writeFixture(dir, 'two.csv', HEADER + rowLine(rows[0]) + `\n3,${pix(good)}\n`),
      3,
      /expected 3 fields.*found 2/,
    );
    await rejects(writeFixture(dir, 'one.csv', HEADER + '3\n'), 2, /expected 3 fields.*found 1/);
    await rejects(
      writeFixture(dir, 'four.csv', HEADER + `3,${pix(good)},Training,x\n`),
      2,
      /found more/,
    );
  });

  it('rejects a wrong pixel count', async () => {
    await rejects(
      writeFixture(dir, 'short.csv', HEADER + `3,${pix(good.slice(1))},Training\n`),
      2,
      /expected 2304 pixel values, found 2303/,
    );
    await rejects(
      writeFixture(dir, 'long.csv', HEADER + `3,${pix([...good, 5, 6])},Training\n`),
      2,
      /expected 2304 pixel values, found 2306/,
    );
    await rejects(writeFixture(dir, 'none.csv', HEADER + `3,,Training\n`), 2, /found 0/);
  });

  it('rejects a pixel value of 256, a non-digit and doubled spaces', async () => {
    const v = [...good];
    v[100] = 256;
    await rejects(
      writeFixture(dir, '256.csv', HEADER + `3,${pix(v)},Training\n`),
      2,
      /pixel 101: value 256 is out of range 0-255/,
    );
    const w: (number | string)[] = [...good];
    w[5] = '-1';
    await rejects(
      writeFixture(dir, 'neg.csv', HEADER + `3,${w.join(' ')},Training\n`),
      2,
      /pixel 6: invalid character "-"/,
    );
    await rejects(
      writeFixture(dir, 'sp.csv', HEADER + `3,${pix(good).replace(' ', '  ')},Training\n`),
      2,
      /empty value/,
    );
  });

  it('rejects a label of 7 or a non-numeric label', async () => {
    await rejects(
      writeFixture(dir, 'l7.csv', HEADER + rowLine(rows[0]) + `\n7,${pix(good)},Training\n`),
      3,
      /emotion label "7" is out of range 0-6/,
    );
    await rejects(
      writeFixture(dir, 'lx.csv', HEADER + `x,${pix(good)},Training\n`),
      2,
      /not an integer/,
    );
    await rejects(
      writeFixture(dir, 'le.csv', HEADER + `,${pix(good)},Training\n`),
      2,
      /empty emotion label/,
    );
  });

  it('rejects an unknown Usage', async () => {
    await rejects(
      writeFixture(dir, 'usage.csv', HEADER + `3,${pix(good)},Validation\n`),
      2,
      /unknown Usage "Validation"/,
    );
  });

  it('rejects a truncated gzip with the line it reached', async () => {
    const gz = zlib.gzipSync(Buffer.from(ferCsv(randomRows(40, 2))));
    const file = writeFixture(dir, 'trunc.csv.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    await assert.rejects(parseFer2013Csv(file), (e: unknown) => {
      assert.ok(e instanceof FerError);
      assert.equal(e.file, file);
      assert.ok(e.line !== undefined && e.line > 1, `line ${e.line}`);
      assert.match(e.message, /truncated gzip/);
      return true;
    });
  });

  it('flags a cut-off last line as a probable truncation', async () => {
    const text = ferCsv(rows);
    await rejects(
      writeFixture(dir, 'cut.csv', text.slice(0, text.length - 3000)),
      rows.length + 1,
      /truncated file\?/,
    );
  });

  it('reports a missing file as a FerError', async () => {
    await assert.rejects(
      parseFer2013Csv(`${dir}/nope.csv`),
      (e: unknown) => e instanceof FerError && /no such file/.test(e.message),
    );
  });

  it('rejects binary input without newlines', async () => {
    const file = writeFixture(dir, 'bin.csv', Buffer.alloc(200_000, 65));
    await assert.rejects(parseFer2013Csv(file), /longer than/);
    assert.ok(fs.existsSync(file));
  });
});
