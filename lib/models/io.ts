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
import { DESIGNS, isDesignName } from './designs';
import { oneLine } from '../util/os-error';
import { checkOutputDir } from '../util/output-path';
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
        throw new FerError(`cannot read model: ${oneLine((e as Error).message, 200)}`, file);
      }
      if (
        json === null ||
        typeof json !== 'object' ||
        !json.modelTopology ||
        !Array.isArray(json.weightsManifest)
      )
        throw new FerError('not a tfjs layers model (no modelTopology/weightsManifest)', file);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const bufs: Uint8Array[] = [];
        const files: string[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            // A shard beside model.json only: '../x' or '/x' would read another file.
            if (typeof p !== 'string' || p.includes('/') || p.includes('\\') || p.startsWith('.'))
              throw new FerError(`weight shard path '${String(p)}' is not a plain file name`, file);
            files.push(path.join(dir, p));
          }
        }
        const expected = specs.reduce((n, s) => n + specBytes(s), 0);
        // Sizes first, so a FIFO or a link to /dev/zero is refused instead of read forever.
        let onDisk = 0;
        for (const f of files) onDisk += regularFileSize(f, 'weight shard');
        if (onDisk !== expected)
          throw new FerError(
            `weights are ${onDisk} bytes, the manifest needs ${expected} (truncated or foreign file?)`,
            files[0] ?? path.join(dir, WEIGHTS_BIN),
          );
        for (const f of files) bufs.push(fs.readFileSync(f));
        const all = Buffer.concat(bufs);
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

/**
 * The size of `file`, which must be a regular file (following links): a FIFO, a device such as
 * /dev/zero or a folder is a FerError, as is a missing file.
 */
export function regularFileSize(file: string, what: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FerError(`${what} ${code === 'ENOENT' ? 'missing' : `unreadable (${code})`}`, file);
  }
  if (!st.isFile())
    throw new FerError(
      `${what} is not a regular file (${st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'a special file'})`,
      file,
    );
  return st.size;
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
  // Refuse before the work, and again at the swap: only a model folder is ever replaced.
  checkOutputDir(dir, 'model');
  await writeDirAtomic(
    dir,
    async (tmp) => {
      await model.save(dirSaveHandler(tmp));
      for (const [name, data] of Object.entries(extraFiles))
        fs.writeFileSync(path.join(tmp, name), data);
      fs.writeFileSync(path.join(tmp, META_JSON), JSON.stringify(meta, null, 2) + '\n');
    },
    (target) => checkOutputDir(target, 'model'),
  );
}

/** Loads a folder written by saveStudyModel; any damage is a one-line FerError naming the file. */
export async function loadStudyModel(
  dir: string,
): Promise<{ model: tf.LayersModel; meta: StudyModelMeta }> {
  const metaFile = path.join(dir, META_JSON);
  const modelFile = path.join(dir, MODEL_JSON);
  if (!fs.existsSync(modelFile))
    throw new FerError(`no ${MODEL_JSON} here; train a model first (fer train)`, dir);
  regularFileSize(modelFile, MODEL_JSON);
  regularFileSize(metaFile, META_JSON);
  let meta: StudyModelMeta;
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as StudyModelMeta;
  } catch (e) {
    throw new FerError(
      `cannot read model metadata: ${oneLine((e as Error).message, 200)}`,
      metaFile,
    );
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta))
    throw new FerError(
      `model metadata must be a JSON object, got ${JSON.stringify(meta)}`,
      metaFile,
    );
  if (!isDesignName(String(meta.architecture)))
    throw new FerError(`unknown architecture '${String(meta.architecture)}'`, metaFile);
  checkArchitecture(modelFile, meta.architecture, metaFile);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(dirLoadHandler(dir));
  } catch (e) {
    if (e instanceof FerError) throw e;
    // tfjs's messages can carry whole tensors; keep the first sentence.
    throw new FerError(
      `model.json does not fit its weights: ${oneLine((e as Error).message, 200)}`,
      modelFile,
    );
  }
  return { model, meta };
}

/**
 * meta.json's architecture against model.json's layers: a recurrent layer means one of the
 * hybrids, and a convolutional network without one is the CNN or the non-recurrent control
 * (other toy topologies are not checked).
 */
function checkArchitecture(modelFile: string, architecture: string, metaFile: string): void {
  let text: string;
  try {
    text = fs.readFileSync(modelFile, 'utf8');
  } catch (e) {
    throw new FerError(`cannot read: ${oneLine((e as Error).message, 200)}`, modelFile);
  }
  const has = (cls: string): boolean => text.includes(`"class_name":"${cls}"`);
  const recurrent = has('LSTM') || has('GRU') || has('SimpleRNN');
  if (!isDesignName(architecture)) return;
  const hybrid = DESIGNS[architecture].role === 'hybrid' || architecture === 'cnn-lstm';
  if (!hybrid && recurrent)
    throw new FerError(
      `meta.json says architecture '${architecture}' but model.json has a recurrent (LSTM) layer`,
      metaFile,
    );
  if (hybrid && !recurrent && has('Conv2D'))
    throw new FerError(
      `meta.json says architecture '${architecture}' but model.json has no LSTM layer`,
      metaFile,
    );
}
