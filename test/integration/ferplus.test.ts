import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { checkFerPlusAlignment, loadFerPlus, majorityVote } from '../../lib/robustness/ferplus';
import { FerError } from '../../lib/util/errors';

const HEADER =
  'Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF';

describe('FER+ labels', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferplus-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string | Buffer): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };

  describe('majorityVote (FERPlus "majority" mode)', () => {
    // columns: neutral happiness surprise sadness anger disgust fear contempt unknown NF
    it('maps the strict-majority winner to the FER2013 label', () => {
      assert.equal(majorityVote([0, 8, 2, 0, 0, 0, 0, 0, 0, 0]), 3); // happiness -> happy
      assert.equal(majorityVote([6, 0, 0, 4, 0, 0, 0, 0, 0, 0]), 6); // neutral
      assert.equal(majorityVote([0, 0, 0, 0, 0, 0, 7, 0, 3, 0]), 2); // fear
    });
    it('drops single votes as outliers before counting', () => {
      // 4 anger vs 1+1+1+1+1+1 singles: after removal anger has 4 of 4.
      assert.equal(majorityVote([1, 1, 1, 1, 4, 1, 1, 0, 0, 0]), 0);
    });
    it('has no label without a strict majority (a tie is not one)', () => {
      assert.equal(majorityVote([5, 5, 0, 0, 0, 0, 0, 0, 0, 0]), 'no-majority');
      assert.equal(majorityVote([4, 3, 3, 0, 0, 0, 0, 0, 0, 0]), 'no-majority');
      assert.equal(majorityVote([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'no-majority');
    });
    it('drops unknown, not-a-face and contempt winners', () => {
      assert.equal(majorityVote([0, 0, 0, 0, 0, 0, 0, 0, 10, 0]), 'unknown');
      assert.equal(majorityVote([0, 0, 0, 0, 0, 0, 0, 0, 0, 10]), 'not-a-face');
      assert.equal(majorityVote([2, 0, 0, 0, 0, 0, 0, 8, 0, 0]), 'contempt');
    });
  });

  it('reads plain and gzipped files and counts drops', () => {
    const text = [
      HEADER,
      'Training,a.png,0,9,1,0,0,0,0,0,0,0',
      'PublicTest,,0,0,0,0,0,0,0,0,0,10',
      'PrivateTest,b.png,5,5,0,0,0,0,0,0,0,0',
      '',
    ].join('\r\n');
    for (const f of [write('s.csv', text), write('s.csv.gz', zlib.gzipSync(text))]) {
      const fp = loadFerPlus(f);
      assert.deepEqual(Array.from(fp.labels), [3, -1, -1]);
      assert.deepEqual(Array.from(fp.usage), [0, 1, 2]);
      assert.deepEqual(fp.dropped, { unknown: 0, 'not-a-face': 1, contempt: 0, 'no-majority': 1 });
    }
  });

  it('reports file and line for malformed input', () => {
    const cases: [string, RegExp, number][] = [
      [`${HEADER}\nTraining,a.png,0,9,1\n`, /expected 12 fields, got 5/, 2],
      [
        `${HEADER}\nTraining,a.png,0,9,1,0,0,0,0,0,0,0\nTrain,a.png,0,9,1,0,0,0,0,0,0,0\n`,
        /unknown Usage 'Train'/,
        3,
      ],
      [`${HEADER}\nTraining,a.png,0,x,1,0,0,0,0,0,0,0\n`, /vote count for happiness/, 2],
      ['emotion,pixels,Usage\n', /expected header/, 1],
      ['', /empty file/, 1],
    ];
    cases.forEach(([text, re, line], i) => {
      const f = write(`bad${i}.csv`, text);
      assert.throws(
        () => loadFerPlus(f),
        (e: unknown) =>
          e instanceof FerError && re.test(e.message) && e.file === f && e.line === line,
      );
    });
    assert.throws(
      () => loadFerPlus(write('bad.gz', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2]))),
      /corrupt gzip/,
    );
    assert.throws(
      () => loadFerPlus(path.join(dir, 'missing.csv')),
      /cannot read FER\+ file: ENOENT/,
    );
  });

  it('checks row alignment with the dataset', () => {
    const fp = loadFerPlus(
      write(
        'al.csv',
        `${HEADER}\nTraining,a.png,0,9,1,0,0,0,0,0,0,0\nPublicTest,b.png,0,9,1,0,0,0,0,0,0,0\n`,
      ),
    );
    checkFerPlusAlignment(fp, Uint8Array.from([0, 1]));
    assert.throws(
      () => checkFerPlusAlignment(fp, Uint8Array.from([0, 2])),
      (e: unknown) => e instanceof FerError && e.line === 3,
    );
    assert.throws(
      () => checkFerPlusAlignment(fp, Uint8Array.from([0])),
      /has 2 rows but the dataset has 1/,
    );
  });

  it('labels the real fer2013new.csv as FERPlus does', function () {
    const csv = process.env.FER2013_CSV;
    const file = csv && path.join(path.dirname(csv), 'fer2013new.csv.gz');
    if (!file || !fs.existsSync(file)) return this.skip();
    const fp = loadFerPlus(file);
    assert.equal(fp.labels.length, 35887);
    // 173 rows have no image name (all NF votes); 3 more have an NF majority.
    assert.equal(fp.dropped['not-a-face'], 176);
    assert.ok(fp.dropped.contempt > 100 && fp.dropped.contempt < 200);
    const kept = fp.labels.filter((l) => l >= 0).length;
    assert.equal(kept + Object.values(fp.dropped).reduce((a, b) => a + b, 0), 35887);
  });
});
