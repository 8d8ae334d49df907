import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configRecord, listConfigs, loadConfig } from '../../lib/config';
import { PROFILES } from '../../lib/train';
import { FerError } from '../../lib/util/errors';

describe('config: one file per run', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-config-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, body: string): string => {
    const f = path.join(dir, `${name}.ts`);
    fs.writeFileSync(f, body);
    return f;
  };
  const quick = JSON.stringify(path.join(__dirname, '..', '..', 'configs', 'quick'));

  it('ships quick and paper, and the training profiles are theirs', () => {
    assert.deepEqual(
      listConfigs().filter((c) => ['quick', 'paper'].includes(c)),
      ['paper', 'quick'],
    );
    assert.deepEqual(PROFILES.paper, { ...loadConfig('paper').train });
    assert.equal(loadConfig('quick').train.widthMultiplier, 0.25);
    assert.equal(loadConfig('paper').eval.limit, 0);
  });

  it('loads a config by path and records its name and content', () => {
    const f = write(
      'small',
      `import q from ${quick};\nexport default { ...q, eval: { ...q.eval, limit: 10 } };\n`,
    );
    const c = loadConfig(f);
    assert.equal(c.name, 'small');
    const rec = configRecord(c);
    assert.equal(rec.name, 'small');
    assert.equal(rec.content.eval.limit, 10);
    assert.deepEqual(Object.keys(rec.content), [
      'description',
      'profile',
      'train',
      'eval',
      'trainings',
    ]);
  });

  it('rejects a bad config with one line that names the file', () => {
    const cases: [string, string, RegExp][] = [
      [
        'typo',
        `import q from ${quick};\nexport default { ...q, train: { ...q.train, epochz: 3 } };\n`,
        /unknown key 'train.epochz'/,
      ],
      [
        'nan',
        `import q from ${quick};\nexport default { ...q, train: { ...q.train, epochs: 'x' } };\n`,
        /train.epochs must be a finite number/,
      ],
      [
        'seeds',
        `import q from ${quick};\nexport default { ...q, eval: { ...q.eval, noiseSeeds: 1e9 } };\n`,
        /eval.noiseSeeds must be an integer in 1..100/,
      ],
      [
        'rounds',
        `import q from ${quick};\nexport default { ...q, eval: { ...q.eval, timingRounds: 3 } };\n`,
        /eval.timingRounds must be 0 \(no paired timing\) or an integer in 6..1000/,
      ],
      [
        'dup',
        `import q from ${quick};\nexport default { ...q, trainings: [{ model: 'cnn', seed: 2 }, { model: 'cnn', seed: 2 }] };\n`,
        /repeats cnn-s2/,
      ],
      [
        'scale',
        `import q from ${quick};\nexport default { ...q, profile: 'huge' };\n`,
        /profile must be one of quick, paper/,
      ],
      ['empty', 'export default 3;\n', /must be an object/],
      ['syntax', 'export default {;\n', /cannot load config/],
    ];
    for (const [name, body, re] of cases) {
      const f = write(name, body);
      assert.throws(
        () => loadConfig(f),
        (e: unknown) =>
          e instanceof FerError && e.file === f && re.test(e.message) && !e.format().includes('\n'),
        name,
      );
    }
    assert.throws(() => loadConfig('no-such'), /no such config \(configs\/ has: .*paper.*quick/);
  });
});
