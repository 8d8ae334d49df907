/** What `meta.json` beside a saved model (tfjs `model.json` + shards) records. */
export interface StudyModelMeta {
  /** Architecture: 'cnn' or 'cnn-lstm'. */
  architecture: ModelName;
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
  gitCommit: string | null;
  datasetSha256: string;
  wallSeconds: number;
  tfjsVersion: string;
  createdAt: string;
  /** Any training option not listed above, as it was used. */
  config: Record<string, unknown>;
}

export const MODEL_NAMES = ['cnn', 'cnn-lstm'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
