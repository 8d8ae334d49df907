import * as path from 'node:path';
import type { BackendName } from '../backend';
import { SPLIT_NAMES, type SplitName } from '../data/split';
import { loadConfig, PROFILE_NAMES, type ProfileName, type StudyConfig } from '../config';
import { FerError } from '../util/errors';
import { type DesignName, parseDesignName } from '../models/designs';

export { PROFILE_NAMES, type ProfileName } from '../config';

/** Everything that determines a training run. Every field can be overridden from the CLI. */
export interface TrainConfig {
  /** Any design of lib/models/designs.ts. */
  model: DesignName;
  profile: ProfileName;
  /** Maximum epochs (early stopping may end sooner). */
  epochs: number;
  batchSize: number;
  /** Adam's initial learning rate (the paper: 0.0005). */
  learningRate: number;
  widthMultiplier: number;
  /** Dropout rate of every Dropout layer (conv blocks and dense head). */
  dropout: number;
  /** L2 kernel penalty; 0 = off (the paper's unspecified "regularization" is dropout + BN). */
  l2: number;
  /** BatchNorm moving-average momentum (Keras default 0.99). */
  bnMomentum: number;
  /**
   * Gaussian-noise augmentation (not in the paper): each training image gets
   * clip(x + N(0, σ²), 0, 1) with its own σ ~ U(0, augmentNoise), drawn from the training Rng.
   * Unset or 0 = off, which leaves training (and meta.json) bit-identical to a build without
   * this option. Optional and in no profile, so models saved before it existed still match
   * their profile.
   */
  augmentNoise?: number;
  /** Seeds weights, shuffling and dropout masks. */
  seed: number;
  split: SplitName;
  /** Seed of the split's random parts (validation hold-out), kept apart from `seed` so that
   * seeds of the same study share one split. */
  splitSeed: number;
  /** Fraction of the training rows held out for validation. */
  valFraction: number;
  /** Stratified subset sizes of train / val (0 = all rows). */
  limitTrain: number;
  limitVal: number;
  /** Stop after this many epochs without a lower val_loss. */
  earlyStoppingPatience: number;
  /** Multiply the LR by `reduceLrFactor` after this many epochs without a lower val_loss. */
  reduceLrPatience: number;
  reduceLrFactor: number;
  minLr: number;
  backend: BackendName;
  /** Folder of the finished study model (model.json, weights.bin, meta.json, train-log.jsonl). */
  out: string;
  /** Folder of the per-epoch checkpoint (default `<out>.checkpoint`, removed on success). */
  checkpointDir: string;
  resume: boolean;
  /**
   * Also checkpoint inside an epoch once this many minutes have passed since the last save
   * (default 10; 0 = only at epoch ends). A paper-scale epoch takes ~35 min on one CPU core,
   * so without these a stop loses up to that much. Not a training setting: any value gives
   * the same weights.
   */
  checkpointMinutes?: number;
  /** FER2013 CSV (default FER2013_CSV) and binary cache folder (default data/cache). */
  csv?: string;
  cacheDir?: string;
}

/** Fields a profile fixes; `model`, `out`, `checkpointDir`, `resume`, data paths are per run. */
export type ProfileValues = Omit<
  TrainConfig,
  'model' | 'profile' | 'out' | 'checkpointDir' | 'resume' | 'csv' | 'cacheDir' | 'backend'
>;

/**
 * The training settings of the two built-in configs, configs/quick.ts and configs/paper.ts
 * (the files say why each value is what it is).
 */
export const PROFILES: Record<ProfileName, ProfileValues> = {
  paper: profileValues('paper'),
  quick: profileValues('quick'),
};

function profileValues(name: ProfileName): ProfileValues {
  const { train } = loadConfig(name);
  return { ...train, split: parseSplitName(train.split) };
}

export function parseProfileName(s: string): ProfileName {
  if ((PROFILE_NAMES as readonly string[]).includes(s)) return s as ProfileName;
  throw new FerError(`unknown profile '${s}' (expected one of: ${PROFILE_NAMES.join(', ')})`);
}

export function parseSplitName(s: string): SplitName {
  if ((SPLIT_NAMES as readonly string[]).includes(s)) return s as SplitName;
  throw new FerError(`unknown split '${s}' (expected one of: ${SPLIT_NAMES.join(', ')})`);
}

/** Where a run writes by default: models/<model> for paper, runs/<model>-<profile> otherwise. */
export function defaultOut(model: DesignName, profile: ProfileName): string {
  return profile === 'paper'
    ? path.join('models', model)
    : path.join('runs', `${model}-${profile}`);
}

/**
 * A profile's values (or a loaded config's `train` section), then `overrides`; checks every
 * value.
 */
export function resolveTrainConfig(
  model: string,
  profile: string | StudyConfig = 'quick',
  overrides: Partial<TrainConfig> = {},
): TrainConfig {
  const m = parseDesignName(model);
  const p = typeof profile === 'string' ? parseProfileName(profile) : profile.profile;
  const base: ProfileValues =
    typeof profile === 'string'
      ? PROFILES[p]
      : { ...profile.train, split: parseSplitName(profile.train.split) };
  const defined = Object.fromEntries(
    Object.entries(overrides).filter(([, v]) => v !== undefined),
  ) as Partial<TrainConfig>;
  const out = defined.out ?? defaultOut(m, p);
  const cfg: TrainConfig = {
    ...base,
    backend: 'auto',
    resume: false,
    checkpointDir: `${out.replace(/[/\\]+$/, '')}.checkpoint`,
    ...defined,
    model: m,
    profile: p,
    out,
  };
  validate(cfg);
  return cfg;
}

function validate(c: TrainConfig): void {
  const int = (k: keyof TrainConfig, min: number): void => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < min)
      throw new FerError(`${k} must be an integer >= ${min}, got ${v}`);
  };
  const pos = (k: keyof TrainConfig): void => {
    const v = c[k] as number;
    if (!(v > 0) || !Number.isFinite(v)) throw new FerError(`${k} must be > 0, got ${v}`);
  };
  int('epochs', 1);
  int('batchSize', 1);
  int('seed', 0);
  int('splitSeed', 0);
  int('limitTrain', 0);
  int('limitVal', 0);
  int('earlyStoppingPatience', 1);
  int('reduceLrPatience', 1);
  pos('learningRate');
  pos('widthMultiplier');
  pos('minLr');
  if (!(c.dropout >= 0 && c.dropout < 1))
    throw new FerError(`dropout must be in [0, 1), got ${c.dropout}`);
  if (!(c.bnMomentum > 0 && c.bnMomentum < 1))
    throw new FerError(`bnMomentum must be in (0, 1), got ${c.bnMomentum}`);
  if (c.augmentNoise !== undefined && !(c.augmentNoise >= 0 && c.augmentNoise <= 1))
    throw new FerError(`augmentNoise must be in [0, 1], got ${c.augmentNoise}`);
  if (c.checkpointMinutes !== undefined && !(c.checkpointMinutes >= 0))
    throw new FerError(`checkpointMinutes must be >= 0, got ${c.checkpointMinutes}`);
  if (!(c.l2 >= 0)) throw new FerError(`l2 must be >= 0, got ${c.l2}`);
  if (!(c.reduceLrFactor > 0 && c.reduceLrFactor <= 1))
    throw new FerError(`reduceLrFactor must be in (0, 1], got ${c.reduceLrFactor}`);
  if (!(c.valFraction > 0 && c.valFraction < 1))
    throw new FerError(`valFraction must be in (0, 1), got ${c.valFraction}`);
  parseSplitName(c.split);
}

/** The fields that must match for `--resume` to continue a checkpoint (epochs may grow). */
export const RESUME_KEYS: ReadonlyArray<keyof TrainConfig> = [
  'model',
  'batchSize',
  'learningRate',
  'widthMultiplier',
  'dropout',
  'l2',
  'bnMomentum',
  'augmentNoise',
  'seed',
  'split',
  'splitSeed',
  'valFraction',
  'limitTrain',
  'limitVal',
];
