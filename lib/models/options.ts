import * as tf from '@tensorflow/tfjs';
import { FerError } from '../util/errors';
import { Rng } from '../util/rng';

/** Options shared by both builders. Defaults reproduce the paper's models. */
export interface ModelOptions {
  /**
   * Scales every width (conv filters, LSTM units, dense units), rounded, at least 1. The quick
   * profile and tests use small versions (e.g. 0.25) of the *same* architecture.
   */
  widthMultiplier?: number;
  /** Dropout rate after the conv blocks (the paper's notebook: 0.25). */
  dropout?: number;
  /** Dropout rate in the dense head (the notebook: 0.25 as well). */
  denseDropout?: number;
  /** Seed for every initializer and Dropout layer: same seed, same initial weights. */
  seed?: number;
  /**
   * L2 penalty on conv/dense/LSTM kernels. 0 (off) by default: the paper says only
   * "regularization", and the identified notebook used dropout + batch norm without L2.
   */
  l2?: number;
  /**
   * BatchNorm moving-average momentum (Keras/tfjs default 0.99). With 0.99 the moving
   * statistics need a few hundred steps to forget their init (mean 0, var 1), so a model
   * evaluated after only tens of steps predicts badly in inference mode; short test runs use 0.9.
   */
  bnMomentum?: number;
}

export interface ResolvedModelOptions {
  widthMultiplier: number;
  dropout: number;
  denseDropout: number;
  seed: number;
  l2: number;
  bnMomentum: number;
}

export const DEFAULT_MODEL_OPTIONS: ResolvedModelOptions = {
  widthMultiplier: 1,
  dropout: 0.25,
  denseDropout: 0.25,
  seed: 42,
  l2: 0,
  bnMomentum: 0.99,
};

export function resolveModelOptions(opts: ModelOptions = {}): ResolvedModelOptions {
  const r = { ...DEFAULT_MODEL_OPTIONS };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) (r as Record<string, number>)[k] = v;
  if (!(r.widthMultiplier > 0) || !Number.isFinite(r.widthMultiplier))
    throw new FerError(`widthMultiplier must be a positive number, got ${r.widthMultiplier}`);
  for (const k of ['dropout', 'denseDropout'] as const)
    if (!(r[k] >= 0 && r[k] < 1)) throw new FerError(`${k} must be in [0, 1), got ${r[k]}`);
  if (!(r.bnMomentum > 0 && r.bnMomentum < 1))
    throw new FerError(`bnMomentum must be in (0, 1), got ${r.bnMomentum}`);
  if (!(r.l2 >= 0)) throw new FerError(`l2 must be >= 0, got ${r.l2}`);
  if (!Number.isInteger(r.seed)) throw new FerError(`seed must be an integer, got ${r.seed}`);
  return r;
}

/** Width scaled by the multiplier; never below 1 so that tiny test models still build. */
export function scaled(width: number, mult: number): number {
  return Math.max(1, Math.round(width * mult));
}

/**
 * Hands out per-layer seeds from one `Rng`, so that the whole model's initial weights (and its
 * initial dropout seeds) are a function of `seed` alone, independent of tfjs's global state.
 */
export class LayerSeeds {
  private readonly rng: Rng;
  constructor(
    seed: number,
    private readonly l2: number,
    readonly bnMomentum: number,
  ) {
    this.rng = new Rng(seed);
  }
  glorot(): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.glorotUniform({ seed: this.rng.seed() });
  }
  seed(): number {
    return this.rng.seed();
  }
  regularizer(): ReturnType<typeof tf.regularizers.l2> | undefined {
    return this.l2 > 0 ? tf.regularizers.l2({ l2: this.l2 }) : undefined;
  }
}
