import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig, type StudyConfig } from '../../lib/config';
import { planTrainings, publishedModelDir, publishModel } from '../../scripts/train-all';

describe('train-all: the trainings of a config', () => {
  let root = '';
  const config: StudyConfig = {
    ...loadConfig('paper'),
    name: 'seeds',
    trainings: [
      { model: 'cnn', seed: 1 },
      { model: 'cnn', seed: 2 },
      { model: 'cnn', seed: 3 },
      { model: 'cnn-lstm', seed: 2 },
    ],
  };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-train-all-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const touch = (...p: string[]): void => {
    fs.mkdirSync(path.join(root, ...p.slice(0, -1)), { recursive: true });
    fs.writeFileSync(path.join(root, ...p), '{}');
  };

  it('publishes the paper seed-1 pair under their old names and the rest as <model>-s<seed>', () => {
    assert.equal(publishedModelDir(config, { model: 'cnn', seed: 1 }), path.join('models', 'cnn'));
    assert.equal(
      publishedModelDir(config, { model: 'cnn', seed: 2 }),
      path.join('models', 'cnn-s2'),
    );
    const quick = { ...config, profile: 'quick' as const };
    assert.equal(
      publishedModelDir(quick, { model: 'cnn', seed: 1 }),
      path.join('models', 'cnn-s1'),
    );
  });

  it('says which are published, finished, to resume or to start', () => {
    touch('models', 'cnn', 'meta.json');
    touch('runs', 'seeds', 'cnn-s2', 'meta.json');
    touch('runs', 'seeds', 'cnn-s3.checkpoint', 'state.json');
    const states = planTrainings(config, root).map((p) => p.state);
    assert.deepEqual(states, ['published', 'finished', 'resume', 'start']);
  });

  it('publishes the model files and never a checkpoint', () => {
    touch('runs', 'seeds', 'cnn-s2', 'meta.json');
    touch('runs', 'seeds', 'cnn-s2', 'weights.bin');
    touch('runs', 'seeds', 'cnn-s2.checkpoint', 'state.json');
    const p = planTrainings(config, root)[1];
    publishModel(p.runOut, p.published);
    assert.deepEqual(fs.readdirSync(path.join(root, 'models', 'cnn-s2')).sort(), [
      'meta.json',
      'weights.bin',
    ]);
    assert.equal(planTrainings(config, root)[1].state, 'published');
  });
});
