/**
 * tfjs's own model format (model.json + one weights.bin shard) written with node:fs. The
 * `file://` handler lives in tfjs-node, which this project does not install, so these are
 * small IOHandlers of our own; `saveStudyModel` adds `meta.json` and makes the folder atomic.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeDirAtomic } from '../util/atomic';
import { FerError } from '../util/errors';
import { isDesignName } from '../models/designs';
import type { StudyModelMeta } from './meta';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const META_JSON = 'meta.json';

/** WeightData may be one buffer or several (tfjs ≥ 4.10); we always write a single shard. */
export function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  return Buffer.concat(parts.map((b) => new Uint8Array(b)));
}

/** An IOHandler that writes model.json + weights.bin into an existing folder. */
export function dirSaveHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (a: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      const weights = weightBytes(a.weightData);
      const modelJson = {
        modelTopology: a.modelTopology,
        format: a.format ?? 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: a.weightSpecs ?? [] }],
        ...(a.trainingConfig ? { trainingConfig: a.trainingConfig } : {}),
      };
      fs.writeFileSync(path.join(dir, WEIGHTS_BIN), weights);
      fs.writeFileSync(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weights.byteLength,
        },
      };
    },
  };
}

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Bytes one manifest entry occupies in the weights file. */
function specBytes(s: tf.io.WeightsManifestEntry): number {
  const n = s.shape.reduce((a, b) => a * b, 1);
  return n * (BYTES[s.quantization?.dtype ?? s.dtype] ?? 4);
}

/** An IOHandler that reads what dirSaveHandler wrote (any number of shards). */
export function dirLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const file = path.join(dir, MODEL_JSON);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(fs.readFileSync(file, 'utf8')) as tf.io.ModelJSON;
      } catch (e) {
        throw new FerError(`cannot read model: ${(e as Error).message}`, file);
      }
      if (!json.modelTopology || !Array.isArray(json.weightsManifest))
        throw new FerError('not a tfjs layers model (no modelTopology/weightsManifest)', file);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const bufs: Uint8Array[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const f = path.join(dir, p);
            if (!fs.existsSync(f)) throw new FerError('weight shard missing', f);
            bufs.push(fs.readFileSync(f));
          }
        }
        const all = Buffer.concat(bufs);
        const expected = specs.reduce((n, s) => n + specBytes(s), 0);
        if (all.byteLength !== expected)
          throw new FerError(
            `weights are ${all.byteLength} bytes, the manifest needs ${expected} (truncated file?)`,
            path.join(dir, manifest[0]?.paths[0] ?? WEIGHTS_BIN),
          );
        const buf = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
        return [specs, buf];
      });
    },
  };
}

/** `git rev-parse HEAD` of the working tree, or null outside git. */
export function gitCommit(cwd = process.cwd()): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/** Saves model.json + weights.bin + meta.json so that `dir` is replaced all at once. */
export async function saveStudyModel(
  dir: string,
  model: tf.LayersModel,
  meta: StudyModelMeta,
  extraFiles: Record<string, string | Uint8Array> = {},
): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await model.save(dirSaveHandler(tmp));
    for (const [name, data] of Object.entries(extraFiles))
      fs.writeFileSync(path.join(tmp, name), data);
    fs.writeFileSync(path.join(tmp, META_JSON), JSON.stringify(meta, null, 2) + '\n');
  });
}

/** Loads a folder written by saveStudyModel. */
export async function loadStudyModel(
  dir: string,
): Promise<{ model: tf.LayersModel; meta: StudyModelMeta }> {
  const metaFile = path.join(dir, META_JSON);
  if (!fs.existsSync(path.join(dir, MODEL_JSON)))
    throw new FerError(`no ${MODEL_JSON} here; train a model first (fer train)`, dir);
  let meta: StudyModelMeta;
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as StudyModelMeta;
  } catch (e) {
    throw new FerError(`cannot read model metadata: ${(e as Error).message}`, metaFile);
  }
  if (!isDesignName(String(meta.architecture)))
    throw new FerError(`unknown architecture '${String(meta.architecture)}'`, metaFile);
  const model = await tf.loadLayersModel(dirLoadHandler(dir));
  return { model, meta };
}
