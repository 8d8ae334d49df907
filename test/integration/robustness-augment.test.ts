/**
 * Noise-augmented training (TrainConfig.augmentNoise / fer train --augment-noise): per-image
 * noise levels, determinism, σ = 0 bit-identical to no augmentation, exact resume.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PIXELS_PER_IMAGE } from '../../lib/data/classes';
import type { FerDataset } from '../../lib/data/dataset';
import { normalizeImages } from '../../lib/data/tensor';
import { noiseAugmentedImages, resolveTrainConfig, train, type TrainConfig } from '../../lib/train';
import { syntheticFer } from '../../lib/train/synthetic';
import { FerError } from '../../lib/util/errors';
import { Rng } from '../../lib/util/rng';

const quiet = { log: (): void => undefined, progress: false as const };

describe('noise-augmented training', function () {
  let tmp: string;
  const ds = syntheticFer({ n: 300, noise: 60 });
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-augment-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A tiny, fast run: width 0.125, 64 training images, batch 16. */
  const cfgFor = (name: string, over: Partial<TrainConfig> = {}): TrainConfig =>
    resolveTrainConfig('cnn', 'quick', {
      epochs: 1,
      widthMultiplier: 0.125,
      batchSize: 16,
      limitTrain: 64,
      limitVal: 16,
      backend: 'wasm',
      out: path.join(tmp, name),
      ...over,
    });
  const weights = (dir: string): Buffer => fs.readFileSync(path.join(dir, 'weights.bin'));

  it('gives each image its own sigma in [0, sigmaMax], from the caller’s Rng', async () => {
    await tf.setBackend('cpu');
    // A flat mid-grey dataset: the noise is all that varies, and 0.5 +- 4 sigma stays unclipped.
    const flat: FerDataset = {
      n: 200,
      pixels: new Uint8Array(200 * PIXELS_PER_IMAGE).fill(128),
      labels: new Uint8Array(200),
      usage: new Uint8Array(200),
      sha256: 'flat',
      source: 'flat',
    };
    const rows = Int32Array.from({ length: 200 }, (_, i) => i);
    const x = noiseAugmentedImages(flat, rows, 0.1, new Rng(5));
    const v = x.dataSync();
    x.dispose();
    const stds: number[] = [];
    for (let k = 0; k < 200; k++) {
      let s = 0;
      let s2 = 0;
      for (let j = 0; j < PIXELS_PER_IMAGE; j++) {
        const d = v[k * PIXELS_PER_IMAGE + j] - 128 / 255;
        s += d;
        s2 += d * d;
      }
      stds.push(Math.sqrt(s2 / PIXELS_PER_IMAGE - (s / PIXELS_PER_IMAGE) ** 2));
    }
    assert.ok(Math.max(...stds) <= 0.1 * 1.1, `max std ${Math.max(...stds)}`);
    assert.ok(Math.min(...stds) < 0.01, `min std ${Math.min(...stds)}`);
    // sigma ~ U(0, 0.1): mean 0.05, and the spread of a uniform (sd 0.029), not one fixed sigma.
    const mean = stds.reduce((a, b) => a + b, 0) / stds.length;
    const sd = Math.sqrt(stds.reduce((a, b) => a + (b - mean) ** 2, 0) / stds.length);
    assert.ok(Math.abs(mean - 0.05) < 0.008, `mean std ${mean}`);
    assert.ok(Math.abs(sd - 0.1 / Math.sqrt(12)) < 0.006, `sd of std ${sd}`);
    // Same Rng state, same noise; sigmaMax 0 is the clean image.
    const again = noiseAugmentedImages(flat, rows.subarray(0, 3), 0.1, new Rng(5));
    assert.deepEqual(Array.from(again.dataSync()), Array.from(v.subarray(0, 3 * PIXELS_PER_IMAGE)));
    again.dispose();
    const clean = noiseAugmentedImages(ds, rows.subarray(0, 2), 0, new Rng(5));
    assert.deepEqual(
      Array.from(clean.dataSync()),
      Array.from(normalizeImages(ds, rows.subarray(0, 2))),
    );
    clean.dispose();
  });

  it('sigma 0 trains bit-identically to no augmentation; the same sigma and seed repeat exactly', async () => {
    const none = await train(cfgFor('none'), { ...quiet, dataset: ds });
    const zero = await train(cfgFor('zero', { augmentNoise: 0 }), { ...quiet, dataset: ds });
    const a = await train(cfgFor('aug-a', { augmentNoise: 0.3 }), { ...quiet, dataset: ds });
    const b = await train(cfgFor('aug-b', { augmentNoise: 0.3 }), { ...quiet, dataset: ds });
    assert.ok(weights(path.join(tmp, 'none')).equals(weights(path.join(tmp, 'zero'))));
    assert.deepEqual(none.history[0].loss, zero.history[0].loss);
    assert.ok(weights(path.join(tmp, 'aug-a')).equals(weights(path.join(tmp, 'aug-b'))));
    assert.ok(!weights(path.join(tmp, 'aug-a')).equals(weights(path.join(tmp, 'none'))));
    // Unset leaves meta.json as before the option existed; a used value is recorded.
    assert.equal('augmentNoise' in none.meta.config, false);
    assert.equal(a.meta.config.augmentNoise, 0.3);
    for (const r of [none, zero, a, b]) r.model.dispose();
  });

  it('resumes an augmented run exactly; resuming with another sigma is refused', async () => {
    const full = await train(cfgFor('full', { epochs: 2, augmentNoise: 0.3 }), {
      ...quiet,
      dataset: ds,
    });
    const first = await train(cfgFor('split', { epochs: 1, augmentNoise: 0.3 }), {
      ...quiet,
      dataset: ds,
      keepCheckpoint: true,
    });
    await assert.rejects(
      train(cfgFor('split', { epochs: 2, resume: true }), { ...quiet, dataset: ds }),
      /augmentNoise: 0.3 there, 0 now/,
    );
    const rest = await train(cfgFor('split', { epochs: 2, augmentNoise: 0.3, resume: true }), {
      ...quiet,
      dataset: ds,
    });
    assert.equal(rest.resumedFrom, 1);
    assert.ok(weights(path.join(tmp, 'full')).equals(weights(path.join(tmp, 'split'))));
    assert.deepEqual(
      rest.history.map((h) => h.val_loss),
      full.history.map((h) => h.val_loss),
    );
    for (const r of [full, first, rest]) r.model.dispose();
  });

  it('a checkpoint from before the option existed resumes without it', async () => {
    const first = await train(cfgFor('old', { epochs: 1 }), {
      ...quiet,
      dataset: ds,
      keepCheckpoint: true,
    });
    first.model.dispose();
    const state = JSON.parse(
      fs.readFileSync(path.join(tmp, 'old.checkpoint', 'state.json'), 'utf8'),
    );
    assert.equal('augmentNoise' in state.config, false);
    const rest = await train(cfgFor('old', { epochs: 2, augmentNoise: 0, resume: true }), {
      ...quiet,
      dataset: ds,
    });
    assert.equal(rest.resumedFrom, 1);
    rest.model.dispose();
  });

  it('rejects sigma outside [0, 1]', () => {
    assert.throws(() => cfgFor('bad', { augmentNoise: -0.1 }), FerError);
    assert.throws(() => cfgFor('bad', { augmentNoise: 1.5 }), /augmentNoise must be in \[0, 1\]/);
  });
});
