import { strict as assert } from 'node:assert';
import { ferSync } from '../fixtures/cli';
import { ferCsv, randomRows, tempDir, writeFixture } from '../fixtures/fer';

const fer = (...args: string[]) => ferSync(args);

describe('data: fer data check (CLI)', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  it('prints a JSON report and exits 0 for a valid file', () => {
    const file = writeFixture(dir, 'ok.csv.gz', ferCsv(randomRows(20, 1)), { gzip: true });
    const r = fer('data', 'check', file, '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      rows: number;
      original: boolean;
      usageCounts: Record<string, number>;
      duplicates: { distinct: number };
    };
    assert.equal(j.rows, 20);
    assert.equal(j.original, false);
    assert.deepEqual(j.usageCounts, { Training: 16, PublicTest: 2, PrivateTest: 2 });
    assert.equal(j.duplicates.distinct, 20);
  });

  it('prints one line <file>:<line>: <problem> and exits 1 for a malformed file', () => {
    const bad = ferCsv(randomRows(3, 1)).replace(/\n1,/, '\n7,');
    const file = writeFixture(dir, 'bad.csv', bad);
    const r = fer('data', 'check', file);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.equal(r.err, `${file}:3: emotion label "7" is out of range 0-6\n`);
  });
});
