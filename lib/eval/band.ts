/**
 * Robustness judged where it can be judged: on the informative band of noise levels, the levels
 * at which at least one model still beats the best constant predictor (lib/eval/collapse.ts).
 * Beyond the band every model answers (almost) one class, and which model "wins" there is which
 * class it collapsed to, not how gracefully it degraded.
 *
 * Notation: levels σ_1 < … < σ_L, acc_m(σ) the accuracy of model m at σ (mean over noise seeds),
 * acc* the best constant predictor's accuracy (the majority-class prevalence).
 *   band       = {σ_l : max_m acc_m(σ_l) > acc*}, cut at the first level that fails (contiguous)
 *   AUC_m      = Σ_{consecutive σ_j < σ_l in band} (σ_l - σ_j) (acc_m(σ_j) + acc_m(σ_l)) / 2
 *   mean acc   = AUC_m / (σ_max - σ_min) over the band (the band-average accuracy)
 *   retention  = AUC of acc_m(σ) / acc_m(σ_min), over the band width (1 = no loss at all)
 */
import { FerError } from '../util/errors';
import {
  nearestConstantPredictor,
  type ConstantPredictorScore,
  type NearestConstant,
} from './collapse';
import type { Labels } from './metrics';
import { directionFlips, pairedTTest, type DirectionCount, type PairedTTest } from './seeds';
import { bootstrapMany, type BootstrapOptions } from './stats';
import type { ConfidenceInterval } from './types';

/** Trapezoid rule: Σ_i (x_{i+1} - x_i) (y_i + y_{i+1}) / 2 over increasing x (0 for one point). */
export function trapezoidArea(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length)
    throw new FerError(`trapezoid: ${x.length} x values, ${y.length} y values`);
  if (x.length === 0) throw new FerError('trapezoid of no points');
  let s = 0;
  for (let i = 1; i < x.length; i++) {
    if (!(x[i] > x[i - 1])) throw new FerError('trapezoid: x must increase strictly');
    s += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  }
  return s;
}

export interface InformativeBand {
  /** The band's levels, increasing. */
  levels: number[];
  /** acc*: the accuracy a level must beat. */
  threshold: number;
  /** Levels where some model beats acc* but that lie past the first level that fails. */
  excluded: number[];
}

/**
 * The informative band: increasing levels from the lowest while max_m acc_m(σ) > threshold
 * (+ margin), stopping at the first level where no model beats it. `accuracies[m][l]` is model
 * m's accuracy at `levels[l]`. With `contiguous: false` every passing level is kept.
 */
export function informativeBand(
  levels: readonly number[],
  accuracies: readonly (readonly number[])[],
  threshold: number,
  opts: { margin?: number; contiguous?: boolean } = {},
): InformativeBand {
  const margin = opts.margin ?? 0;
  if (accuracies.length === 0) throw new FerError('informative band: no models');
  for (const a of accuracies)
    if (a.length !== levels.length)
      throw new FerError(`informative band: ${a.length} accuracies for ${levels.length} levels`);
  const order = levels.map((_, i) => i).sort((i, j) => levels[i] - levels[j]);
  const band: number[] = [];
  const excluded: number[] = [];
  let open = true;
  for (const i of order) {
    const passes = accuracies.some((a) => a[i] > threshold + margin);
    if (!passes) open = opts.contiguous === false;
    else if (open) band.push(levels[i]);
    else excluded.push(levels[i]);
  }
  return { levels: band, threshold, excluded };
}

/** The accuracies at the band's levels, in band order. */
function onBand(
  levels: readonly number[],
  acc: readonly number[],
  band: readonly number[],
): number[] {
  return band.map((b) => {
    const i = levels.findIndex((l) => Math.abs(l - b) < 1e-12);
    if (i < 0) throw new FerError(`level ${b} of the band is not among the curve's levels`);
    return acc[i];
  });
}

export interface BandArea {
  /** Trapezoid area under acc(σ) over the band. */
  auc: number;
  /** auc / band width: the band-average accuracy (acc(σ_min) when the band is one level). */
  meanAccuracy: number;
  /** Band-average of acc(σ) / acc(σ_min) (1 = nothing lost under noise). */
  retention: number;
}

/** AUC, band-average accuracy and retention of one accuracy curve over `band`. */
export function bandArea(
  levels: readonly number[],
  accuracy: readonly number[],
  band: readonly number[],
): BandArea {
  if (band.length === 0) throw new FerError('area over an empty band');
  const y = onBand(levels, accuracy, band);
  const width = band[band.length - 1] - band[0];
  const auc = trapezoidArea(band, y);
  const meanAccuracy = width > 0 ? auc / width : y[0];
  const retention = y[0] > 0 ? meanAccuracy / y[0] : 0;
  return { auc, meanAccuracy, retention };
}

/**
 * Per image, the fraction of noise seeds at which the prediction is right, per level:
 * out[l][i] = (1/S) Σ_s [yPred_{l,s,i} = y_i] for the runs at levels[l].
 */
export function meanCorrectnessByLevel(
  yTrue: Labels,
  runs: readonly { level: number; yPred: Labels }[],
  levels: readonly number[],
): Float64Array[] {
  return levels.map((level) => {
    const rs = runs.filter((r) => Math.abs(r.level - level) < 1e-12);
    if (rs.length === 0) throw new FerError(`no predictions at level ${level}`);
    const out = new Float64Array(yTrue.length);
    for (const r of rs) {
      if (r.yPred.length !== yTrue.length)
        throw new FerError(
          `a run at level ${level} has ${r.yPred.length} predictions, not ${yTrue.length}`,
        );
      for (let i = 0; i < yTrue.length; i++) if (r.yPred[i] === yTrue[i]) out[i] += 1 / rs.length;
    }
    return out;
  });
}

export interface PairedBandComparison {
  band: number[];
  a: BandArea;
  b: BandArea;
  /** Percentile bootstrap CIs over test images of B - A (paired: the same resampled images). */
  aucDifference: ConfidenceInterval;
  meanAccuracyDifference: ConfidenceInterval;
  retentionDifference: ConfidenceInterval;
  resamples: number;
}

/**
 * Paired bootstrap over test images of the band AUC difference B - A. `correctA[l][i]` is
 * model A's correctness (0/1, or the fraction over noise seeds) on image i at `levels[l]`;
 * each resample draws n images with replacement, recomputes both accuracy curves on them and
 * the three band measures. Default 1000 resamples, seed 0, 95 % percentile CI.
 */
export function pairedBandBootstrap(
  levels: readonly number[],
  correctA: readonly ArrayLike<number>[],
  correctB: readonly ArrayLike<number>[],
  band: readonly number[],
  opts: BootstrapOptions = {},
): PairedBandComparison {
  if (correctA.length !== levels.length || correctB.length !== levels.length)
    throw new FerError(
      'paired band bootstrap: one correctness vector per level and model is needed',
    );
  const n = correctA[0]?.length ?? 0;
  for (const c of [...correctA, ...correctB])
    if (c.length !== n)
      throw new FerError('paired band bootstrap: correctness vectors differ in length');
  if (n === 0) throw new FerError('paired band bootstrap of no images');
  const li = onBand(
    levels,
    levels.map((_, i) => i),
    band,
  );
  const ca = li.map((i) => correctA[i]);
  const cb = li.map((i) => correctB[i]);
  const curve = (c: ArrayLike<number>[], idx: Int32Array): number[] =>
    c.map((v) => {
      let s = 0;
      for (let j = 0; j < idx.length; j++) s += v[idx[j]];
      return s / idx.length;
    });
  const measures = (idx: Int32Array): { a: BandArea; b: BandArea } => ({
    a: bandArea(band, curve(ca, idx), band),
    b: bandArea(band, curve(cb, idx), band),
  });
  const ci = bootstrapMany(
    n,
    (idx) => {
      const { a, b } = measures(idx);
      return {
        auc: b.auc - a.auc,
        mean: b.meanAccuracy - a.meanAccuracy,
        retention: b.retention - a.retention,
      };
    },
    opts,
  );
  const full = measures(Int32Array.from({ length: n }, (_, i) => i));
  return {
    band: [...band],
    a: full.a,
    b: full.b,
    aucDifference: ci.auc,
    meanAccuracyDifference: ci.mean,
    retentionDifference: ci.retention,
    resamples: opts.resamples ?? 1000,
  };
}

export interface SeedBandComparison {
  /** Paired t-test of B - A over training seeds (needs >= 2 seeds). */
  test: PairedTTest;
  directions: DirectionCount;
}

/**
 * The same comparison over training seeds: one band measure per seed and model (seed i of A
 * paired with seed i of B), tested with a paired t-test on B_i - A_i.
 */
export function seedBandComparison(
  measureA: readonly number[],
  measureB: readonly number[],
  opts: { alpha?: number } = {},
): SeedBandComparison {
  return {
    test: pairedTTest(measureB, measureA, opts),
    directions: directionFlips(measureB, measureA),
  };
}

export interface HeavyNoiseCell {
  /** Whose cell (e.g. 'paper cnn-lstm'). */
  label: string;
  level: number;
  accuracy: number;
  f1: number;
}

export interface HeavyNoiseArtefact {
  cells: (HeavyNoiseCell & { nearest: NearestConstant })[];
  tolerance: number;
  /** Every cell lies within `tolerance` of some constant predictor. */
  allConstant: boolean;
}

/**
 * For (accuracy, F1) cells taken outside the band (e.g. the paper's σ = 30 % cells), the nearest
 * constant predictor of each, and whether all lie within `tolerance` (default 0.02: the paper
 * rounds to 0.01 and its test set's class shares may differ from ours by about as much).
 */
export function heavyNoiseArtefact(
  cells: readonly HeavyNoiseCell[],
  constants: readonly ConstantPredictorScore[],
  opts: { tolerance?: number; f1?: 'weighted' | 'macro' } = {},
): HeavyNoiseArtefact {
  const tolerance = opts.tolerance ?? 0.02;
  const out = cells.map((c) => ({ ...c, nearest: nearestConstantPredictor(c, constants, opts) }));
  return {
    cells: out,
    tolerance,
    allConstant: out.length > 0 && out.every((c) => c.nearest.distance <= tolerance),
  };
}

export type BandVerdict =
  'reproduced' | 'contradicted' | 'undecided' | 'not supported (artefact)' | 'not tested';

/**
 * Claim 3 ("B degrades more gracefully than A") from computed evidence:
 * - no band of two or more levels, or no difference CI: 'not supported (artefact)' when the
 *   heavy-noise evidence is constant-predictor cells, else 'not tested';
 * - the CI of B - A lies above 0: 'reproduced'; below 0: 'contradicted';
 * - otherwise 'not supported (artefact)' when the claim's heavy-noise evidence is explained by
 *   constant predictors, else 'undecided'.
 * `difference` is a CI of B - A (images or seeds); `heavyNoise` is from `heavyNoiseArtefact`.
 */
export function bandVerdict(e: {
  band: readonly number[];
  difference: Pick<ConfidenceInterval, 'lo' | 'hi'> | null;
  heavyNoise: Pick<HeavyNoiseArtefact, 'allConstant'> | null;
}): { verdict: BandVerdict; reason: string } {
  const artefact = e.heavyNoise?.allConstant === true;
  if (e.band.length < 2 || !e.difference) {
    const why =
      e.band.length < 2
        ? 'no informative band of two or more levels'
        : 'no paired CI of the band difference in the results';
    return artefact
      ? {
          verdict: 'not supported (artefact)',
          reason: `${why}, and the heavy-noise cells the claim rests on are constant predictors`,
        }
      : { verdict: 'not tested', reason: why };
  }
  if (e.difference.lo > 0)
    return { verdict: 'reproduced', reason: 'the CI of the band difference lies above 0' };
  if (e.difference.hi < 0)
    return { verdict: 'contradicted', reason: 'the CI of the band difference lies below 0' };
  return artefact
    ? {
        verdict: 'not supported (artefact)',
        reason:
          'the band difference is inside the noise and the heavy-noise evidence is what constant predictors score',
      }
    : { verdict: 'undecided', reason: 'the CI of the band difference contains 0' };
}
