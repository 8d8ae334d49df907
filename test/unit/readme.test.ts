import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/env';
import {
  README_END,
  README_START,
  currentReadmeBlock,
  readmeBlockFor,
  replaceReadmeBlock,
} from '../../lib/report/readme';

describe('README: the results block is generated from results/', () => {
  it('matches what lib/report/readme.ts makes of the committed results (npm run publish)', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    assert.equal(currentReadmeBlock(readme), readmeBlockFor(path.join(REPO_ROOT, 'results')));
  });

  it('replaces only the text between the markers, and refuses a README without them', () => {
    const text = `head\n${README_START}\nold\n${README_END}\ntail\n`;
    const out = replaceReadmeBlock(text, 'new');
    assert.equal(out, `head\n${README_START}\n\nnew\n\n${README_END}\ntail\n`);
    assert.equal(currentReadmeBlock(out), 'new');
    assert.equal(currentReadmeBlock('no markers'), null);
    assert.throws(() => replaceReadmeBlock('no markers', 'x'), /results:start/);
  });

  it('reports the paper numbers beside ours from the same eval files', () => {
    const block = readmeBlockFor(path.join(REPO_ROOT, 'results'));
    const cnn = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'results', 'cnn', 'eval.json'), 'utf8'),
    ) as { table1: { rows: { accuracy: number }[] } };
    assert.ok(block.includes(`| 0.65 | ${cnn.table1.rows[0].accuracy.toFixed(3)} [`));
  });
});
