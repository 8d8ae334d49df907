import type { DesignName } from './designs';

/** What `meta.json` beside a saved model (tfjs `model.json` + shards) records. */
export interface StudyModelMeta {
  /** Architecture: any design of lib/models/designs.ts ('cnn', 'cnn-lstm', ...). */
  architecture: DesignName;
  params: number;
  trainableParams: number;
  flopsPerImage: number;
  widthMultiplier: number;
  profile: string;
  seed: number;
  split: string;
  epochsRun: number;
  bestEpoch: number;
  best: { valLoss: number; valAccuracy: number };
  backend: string;
  /** Compute threads of the backend (oneDNN's/XNNPACK's), where it has a setting. */
  threads?: number;
  gitCommit: string | null;
  datasetSha256: string;
  wallSeconds: number;
  tfjsVersion: string;
  createdAt: string;
  /** Any training option not listed above, as it was used. */
  config: Record<string, unknown>;
  /**
   * Set when these are the best weights of a run that has not finished (read from its
   * checkpoint): numbers from such a model are interim, not the run's result.
   */
  interim?: InterimInfo;
}

/** Where an unfinished run stood when its best weights were read. */
export interface InterimInfo {
  /** The checkpoint folder (repository-relative when inside it). */
  checkpoint: string;
  /** Epochs finished; the best weights are those of `bestEpoch`. */
  epochsDone: number;
  /** Batches of the next epoch already trained, or null at an epoch's end. */
  partial: { epoch: number; batch: number; batches: number } | null;
}

/** "16 epochs + 144/404 batches": how far the run had got. */
export function interimProgress(it: InterimInfo): string {
  const part = it.partial ? ` + ${it.partial.batch}/${it.partial.batches} batches` : '';
  return `${it.epochsDone} epochs${part}`;
}

/**
 * The paper pair, which the report, the claims and the web app compare. Every design that
 * can be trained is in DESIGN_NAMES (lib/models/designs.ts).
 */
export { PAPER_MODELS as MODEL_NAMES, type PaperModel as ModelName } from './designs';
