/**
 * Which saved models the teaching page shows, and exactly which of their files may be served:
 * model.json, meta.json and the weight shards model.json lists, nothing else from the folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODEL_NAMES, type ModelName, type StudyModelMeta } from '../models/meta';
import { FerError } from '../util/errors';
import { oneLine } from '../util/os-error';

/** Folders tried, in order, when no --models is given (relative to the repository root). */
export const DEFAULT_MODEL_DIRS: Record<ModelName, string[]> = {
  cnn: ['models/cnn', 'runs/cnn-quick'],
  'cnn-lstm': ['models/cnn-lstm', 'runs/cnn-lstm-quick'],
};

export interface ServedModel {
  name: ModelName;
  dir: string;
  /** null when the folder has no meta.json. */
  meta: StudyModelMeta | null;
  /** Servable file names in `dir`: model.json, meta.json (if present) and the weight shards. */
  files: string[];
}

const hasModel = (dir: string): boolean => fs.existsSync(path.join(dir, 'model.json'));

/**
 * The two model folders: `<modelsDir>/cnn` and `<modelsDir>/cnn-lstm` when `modelsDir` is
 * given, else the first of DEFAULT_MODEL_DIRS under `root` that holds a model.json.
 */
export function resolveModelDirs(
  modelsDir?: string,
  root = process.cwd(),
): Record<ModelName, string> {
  const out = {} as Record<ModelName, string>;
  for (const name of MODEL_NAMES) {
    const tried = modelsDir
      ? [path.join(modelsDir, name)]
      : DEFAULT_MODEL_DIRS[name].map((d) => path.resolve(root, d));
    const dir = tried.find(hasModel);
    if (!dir)
      throw new FerError(
        `no saved '${name}' model: looked for model.json in ${tried.join(', ')}; train the models first or pass --models <dir with cnn/ and cnn-lstm/>`,
        modelsDir,
      );
    out[name] = dir;
  }
  return out;
}

/** Reads a model folder's model.json (and meta.json) and lists the files that may be served. */
export function loadServedModel(name: ModelName, dir: string): ServedModel {
  const modelJson = path.join(dir, 'model.json');
  let parsed: { modelTopology?: unknown; weightsManifest?: { paths?: unknown }[] };
  try {
    parsed = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  } catch (e) {
    throw new FerError(
      `not a readable tfjs model.json (${oneLine((e as Error).message, 200)})`,
      modelJson,
    );
  }
  if (!parsed || !parsed.modelTopology || !Array.isArray(parsed.weightsManifest))
    throw new FerError(
      'not a tfjs layers model (modelTopology or weightsManifest missing)',
      modelJson,
    );
  const files = ['model.json'];
  for (const group of parsed.weightsManifest)
    for (const p of Array.isArray(group.paths) ? group.paths : []) {
      // Shards must sit beside model.json: a path like ../x would let the page read elsewhere.
      if (typeof p !== 'string' || !/^[\w][\w.-]*$/.test(p) || p.includes('..'))
        throw new FerError(`weight shard path '${String(p)}' is not a plain file name`, modelJson);
      const st = fs.statSync(path.join(dir, p), { throwIfNoEntry: false });
      if (!st) throw new FerError(`weight shard '${p}' is missing`, modelJson);
      if (!st.isFile())
        throw new FerError(`weight shard '${p}' is not a regular file`, path.join(dir, p));
      files.push(p);
    }
  let meta: StudyModelMeta | null = null;
  const metaPath = path.join(dir, 'meta.json');
  if (fs.existsSync(metaPath)) {
    try {
      meta = JSON.parse(fs.readFileSync(metaPath, 'utf8')) as StudyModelMeta;
    } catch (e) {
      throw new FerError(`not valid JSON (${oneLine((e as Error).message, 200)})`, metaPath);
    }
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta))
      throw new FerError(
        `model metadata must be a JSON object, got ${JSON.stringify(meta)}`,
        metaPath,
      );
    files.push('meta.json');
  }
  return { name, dir, meta, files };
}
