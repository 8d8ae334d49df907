/**
 * Where each training of a config's `trainings` list is published (models/<model>-s<seed>/, the
 * paper's seed-1 pair as models/cnn and models/cnn-lstm) and whether it is there yet. Pure path
 * logic: `npm run train-all` publishes into these folders and `evaluateTrainings` reads them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StudyConfig, TrainingEntry } from '../config';
import { REPO_ROOT } from '../env';
import { isPaperModel } from '../models/designs';

/** The entry's name: `<model>-s<seed>`. */
export function trainingName(t: TrainingEntry): string {
  return `${t.model}-s${t.seed}`;
}

/** Where a finished training is published (repository-relative). */
export function publishedModelDir(config: Pick<StudyConfig, 'profile'>, t: TrainingEntry): string {
  // The names the committed study has always used for its headline pair.
  const headline = config.profile === 'paper' && t.seed === 1 && isPaperModel(t.model);
  return headline ? path.join('models', t.model) : path.join('models', trainingName(t));
}

export interface PublishedTraining {
  entry: TrainingEntry;
  /** `<model>-s<seed>`. */
  name: string;
  /** Absolute path of its published folder. */
  dir: string;
  /** `dir` relative to the root (for display). */
  rel: string;
  /** A finished model is there (its meta.json). */
  exists: boolean;
  /**
   * The first entry of a paper model in the list: the headline model that notebooks 02–05
   * evaluate (lib/config: "the first entry of each model is its headline model").
   */
  headline: boolean;
}

/** Every entry of `config.trainings`, in list order, with its published folder. */
export function publishedTrainings(
  config: Pick<StudyConfig, 'profile' | 'trainings'>,
  root = REPO_ROOT,
): PublishedTraining[] {
  const seen = new Set<string>();
  return config.trainings.map((entry) => {
    const rel = publishedModelDir(config, entry);
    const dir = path.join(root, rel);
    const headline = isPaperModel(entry.model) && !seen.has(entry.model);
    seen.add(entry.model);
    return {
      entry,
      name: trainingName(entry),
      dir,
      rel,
      exists: fs.existsSync(path.join(dir, 'meta.json')),
      headline,
    };
  });
}
