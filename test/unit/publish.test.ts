import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { publishedBytes } from '../../scripts/publish';

describe('publish: what a published file holds', () => {
  it("makes a notebook's absolute checkout paths repository-relative, and copies other files as they are", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-publish-'));
    try {
      const root = path.join(dir, 'checkout');
      const line = `fer2013: loading cache ${root}/data/cache/x.bin; elsewhere /opt/other`;
      const nb = path.join(dir, 'a.ipynb');
      const js = path.join(dir, 'a.json');
      fs.writeFileSync(nb, JSON.stringify({ text: line }));
      fs.writeFileSync(js, JSON.stringify({ text: line }));
      assert.equal(
        publishedBytes(nb, root).toString('utf8'),
        JSON.stringify({ text: 'fer2013: loading cache data/cache/x.bin; elsewhere /opt/other' }),
      );
      assert.equal(publishedBytes(js, root).toString('utf8'), JSON.stringify({ text: line }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
