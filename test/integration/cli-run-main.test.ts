import { strict as assert } from 'node:assert';
import { nodeSync } from '../fixtures/cli';

/** Runs `runMain(<main>)` in a child Node and returns how it ended. */
function runMainWith(mainSource: string): { code: number | null; err: string } {
  const script =
    "const { runMain } = require('./lib/cli/run-main.ts');" +
    "const { FerError } = require('./lib/util/errors.ts');" +
    `runMain(${mainSource});`;
  const { code, err } = nodeSync(['-e', script]);
  return { code, err };
}

describe('cli: how a command ends (runMain)', function () {
  this.timeout(30_000);

  it('exits with the code main resolves to, printing nothing', () => {
    assert.deepEqual(runMainWith('async () => 3'), { code: 3, err: '' });
  });

  it('a FerError is one line and exit 1; any other error is an internal error, exit 2', () => {
    const user = runMainWith("async () => { throw new FerError('data.csv:7: bad label') }");
    assert.equal(user.code, 1);
    assert.match(user.err, /data\.csv:7: bad label/);
    assert.doesNotMatch(user.err, /\n\s+at /);
    const bug = runMainWith("async () => { throw new Error('boom') }");
    assert.equal(bug.code, 2);
    assert.match(bug.err, /fer: internal error: boom \(set FER_DEBUG=1/);
  });

  it('a main still waiting when the event loop empties fails (exit 2), not a silent exit 0', () => {
    // The wait holds no handle: without the guard Node would end this process with code 0.
    const r = runMainWith('() => new Promise(() => {})');
    assert.equal(r.code, 2);
    assert.match(
      r.err,
      /event loop emptied while the command was still waiting .*the command did not finish/,
    );
  });
});
