/**
 * Fixtures for the teaching-page tests: two tiny models saved as a study model folder
 * (model.json + weights.bin + meta.json, as lib/train writes them) and a small synthetic
 * FER2013-like dataset whose faces are recognisable cartoons.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES, PIXELS_PER_IMAGE } from '../lib/data/classes';
import type { FerDataset } from '../lib/data/dataset';
import type { ModelName, StudyModelMeta } from '../lib/models/meta';
import { Rng } from '../lib/util/rng';

/** A tiny model of each kind with the study's input and output; cnn-lstm has a real LSTM. */
export function tinyModel(name: ModelName, seed: number): tf.LayersModel {
  const init = (k: number): ReturnType<typeof tf.initializers.glorotUniform> =>
    tf.initializers.glorotUniform({ seed: seed + k });
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [48, 48, 1],
      filters: 4,
      kernelSize: 5,
      strides: 4,
      activation: 'relu',
      kernelInitializer: init(1),
    }),
  );
  if (name === 'cnn') {
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init(2) }));
  } else {
    // [11, 11, 4] -> 11 time steps of 44 features, as the hybrid reads rows as a sequence.
    m.add(tf.layers.reshape({ targetShape: [11, 44] }));
    m.add(tf.layers.lstm({ units: 8, kernelInitializer: init(2), recurrentInitializer: init(3) }));
  }
  m.add(
    tf.layers.dense({
      units: NUM_CLASSES,
      activation: 'softmax',
      kernelInitializer: init(4),
      biasInitializer: init(5),
    }),
  );
  return m;
}

/** Saves `model` like a study model folder, without tfjs-node's file:// handler. */
export async function saveModelFolder(
  dir: string,
  model: tf.LayersModel,
  meta: StudyModelMeta,
): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const weights = Buffer.from(
        tf.io.CompositeArrayBuffer.join(a.weightData ?? new ArrayBuffer(0)),
      );
      fs.writeFileSync(path.join(dir, 'weights.bin'), weights);
      const json = {
        modelTopology: a.modelTopology,
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      };
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
}

export function tinyMeta(
  name: ModelName,
  model: tf.LayersModel,
  datasetSha256: string,
): StudyModelMeta {
  return {
    architecture: name,
    params: model.countParams(),
    trainableParams: model.countParams(),
    flopsPerImage: 0,
    widthMultiplier: 1,
    profile: 'test-tiny',
    seed: 0,
    split: 'official',
    epochsRun: 0,
    bestEpoch: 0,
    best: { valLoss: Math.log(7), valAccuracy: 1 / 7 },
    backend: 'cpu',
    gitCommit: null,
    datasetSha256,
    wallSeconds: 0,
    tfjsVersion: tf.version.tfjs,
    createdAt: new Date().toISOString(),
    config: {},
  };
}

/** Saves tiny cnn/ and cnn-lstm/ folders under `root`; returns the models for reference use. */
export async function saveTinyModels(
  root: string,
  datasetSha256: string,
): Promise<Record<ModelName, tf.LayersModel>> {
  const cnn = tinyModel('cnn', 10);
  const lstm = tinyModel('cnn-lstm', 20);
  await saveModelFolder(path.join(root, 'cnn'), cnn, tinyMeta('cnn', cnn, datasetSha256));
  await saveModelFolder(
    path.join(root, 'cnn-lstm'),
    lstm,
    tinyMeta('cnn-lstm', lstm, datasetSha256),
  );
  return { cnn, 'cnn-lstm': lstm };
}

// angry, disgust, fear, happy, sad, surprise, neutral
const MOUTH_CURVE = [-0.6, -0.3, -0.2, 1, -1, 0.5, 0];

/**
 * `perUsage` rows per class for each of Training, PublicTest, PrivateTest. Each face is a
 * cartoon (head, eyes, a mouth whose curve depends on the class) with per-row shading, so a
 * screenshot shows something face-like.
 */
export function syntheticFaces(perUsage = 6, seed = 7): FerDataset {
  const n = NUM_CLASSES * 3 * perUsage;
  const pixels = new Uint8Array(n * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(n);
  const usage = new Uint8Array(n);
  const rng = new Rng(seed);
  let i = 0;
  for (let u = 0; u < 3; u++)
    for (let c = 0; c < NUM_CLASSES; c++)
      for (let k = 0; k < perUsage; k++, i++) {
        labels[i] = c;
        usage[i] = u;
        const bg = 30 + rng.int(40);
        const skin = 150 + rng.int(60);
        const curve = MOUTH_CURVE[c]; // +1 smile ... -1 frown
        for (let y = 0; y < 48; y++)
          for (let x = 0; x < 48; x++) {
            const head = ((x - 24) / 17) ** 2 + ((y - 25) / 21) ** 2 <= 1;
            const eye =
              ((x - 17) ** 2 + (y - 19) ** 2 <= 6 || (x - 31) ** 2 + (y - 19) ** 2 <= 6) && head;
            const my = 33 + curve * 5 * (1 - ((x - 24) / 9) ** 2);
            const mouth = Math.abs(x - 24) <= 9 && Math.abs(y - my) <= 1.2;
            const v = eye || mouth ? 25 : head ? skin - (y - 25) : bg;
            pixels[i * PIXELS_PER_IMAGE + y * 48 + x] = Math.max(
              0,
              Math.min(255, v + rng.int(9) - 4),
            );
          }
      }
  return { n, pixels, labels, usage, sha256: `synthetic-${perUsage}-${seed}`, source: 'synthetic' };
}
