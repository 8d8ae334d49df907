/**
 * `npm run reproduce` never modifies a committed file: a fresh clone runs it and `git status`
 * stays clean, with the executed notebook in runs/<config>/notebooks.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/env';

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('reproduce: a run writes only to its own folder', function () {
  this.timeout(300_000);
  let clone = '';
  before(function () {
    if (!fs.existsSync(path.join(REPO_ROOT, '.git'))) this.skip();
    clone = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fer-clone-')), 'repo');
    // --shared borrows the objects: a clone of the committed HEAD in a second.
    git(REPO_ROOT, 'clone', '--quiet', '--shared', REPO_ROOT, clone);
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(clone, 'node_modules'));
  });
  after(() => {
    if (clone) fs.rmSync(path.dirname(clone), { recursive: true, force: true });
  });

  it('leaves git status clean and puts the executed notebook under runs/quick', () => {
    const r = spawnSync(
      path.join(clone, 'node_modules', '.bin', 'tsx'),
      ['scripts/reproduce.ts', '--profile', 'quick', '--only', '00'],
      { cwd: clone, encoding: 'utf8', env: { ...process.env, FER_BACKEND: 'cpu' } },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.ok(
      fs.existsSync(path.join(clone, 'runs', 'quick', 'notebooks', '00-environment.ipynb')),
    );
    assert.equal(git(clone, 'status', '--porcelain', '--untracked-files=all'), '');
  });
});
