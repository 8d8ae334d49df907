/**
 * What a finished paper-scale model must score, checked on an evaluation's Tables 3/4.
 * `test/integration/paper-ranges.test.ts` runs these checks in CI on a fixed 2,000-image test subset;
 * notebook 05 runs them on the whole test set when it evaluates the paper-profile models.
 * The ranges are for the `paper` profile only: the quick models are not expected to meet them.
 */
import type { ModelName } from '../models/meta';
import type { NoiseLevelResult, Table34Result } from './types';

export interface ExpectedRanges {
  /** Clean test accuracy [lo, hi] per architecture; null = not measured yet (the check fails). */
  cleanAccuracy: Record<ModelName, readonly [number, number] | null>;
  /** Accuracy must fall from clean to this noise level ... */
  monotoneUpTo: number;
  /** ... never rising by more than this between neighbouring levels on the way. */
  monotoneTolerance: number;
  /** Weighted F1 at σ = 0.30 must be below this. */
  weightedF1At30Below: number;
}

export const PAPER_SCALE_RANGES: ExpectedRanges = {
  cleanAccuracy: {
    // The paper reports 0.65; this range was set before the paper-scale CNN was evaluated
    // (unlike the hybrid's below, which was set from its own measurement). It allows for what the paper leaves open (test rows, seed, epochs: a few
    // points), the 2,000-image subset (binomial SE 1.1 points at 0.65) and the backend (float
    // differences between wasm, WebGPU and CUDA move accuracy by well under 0.5 points).
    cnn: [0.6, 0.72],
    // Set from the finished hybrid's measured accuracy on the CI subset, ±0.04 (the same
    // allowances as for the CNN, but centred on our own number because the paper's hybrid
    // is under-specified): models/cnn-lstm (seed 1, epoch 20 of 28, wasm) scored 0.599 on
    // these 2,000 images on 2026-12-05 (0.591 on all 7,178). The range was left null until
    // then, so that the check failed instead of passing against a guess.
    'cnn-lstm': [0.56, 0.64],
  },
  monotoneUpTo: 0.08,
  // 0.005 = 10 of 2,000 images: at σ ≤ 1 % (under 3 grey levels) a few predictions flip both
  // ways, so neighbouring levels can tie or swap by a handful of images; more is a real rise.
  monotoneTolerance: 0.005,
  // The paper's weighted F1 at 30 % is 0.05 (CNN) and 0.11 (hybrid); 0.35 means "collapsed
  // far below the clean F1", which is the claim, whatever the exact figure.
  weightedF1At30Below: 0.35,
};

export interface RangeCheck {
  model: ModelName;
  check: string;
  value: string;
  expected: string;
  pass: boolean;
}

const at = (t: Table34Result, level: number): NoiseLevelResult | undefined =>
  t.levels.find((l) => Math.abs(l.level - level) < 1e-9);

/** The three checks for one model; a level missing from `t34` fails its check and says so. */
export function checkExpectedRanges(
  model: ModelName,
  t34: Table34Result,
  ranges: ExpectedRanges = PAPER_SCALE_RANGES,
): RangeCheck[] {
  const out: RangeCheck[] = [];
  const clean = at(t34, 0);
  const range = ranges.cleanAccuracy[model];
  out.push({
    model,
    check: 'clean accuracy',
    value: clean ? clean.accuracy.mean.toFixed(4) : 'not evaluated',
    expected: range ? `in [${range[0]}, ${range[1]}]` : 'a range set from the measured value',
    pass: !!clean && !!range && clean.accuracy.mean >= range[0] && clean.accuracy.mean <= range[1],
  });

  const curve = t34.levels
    .filter((l) => l.level <= ranges.monotoneUpTo + 1e-9)
    .sort((a, b) => a.level - b.level);
  const last = curve[curve.length - 1];
  const rises = curve
    .slice(1)
    .filter((l, i) => l.accuracy.mean > curve[i].accuracy.mean + ranges.monotoneTolerance);
  const reachesTop = !!last && Math.abs(last.level - ranges.monotoneUpTo) < 1e-9;
  out.push({
    model,
    check: `accuracy falls from σ = 0 to ${ranges.monotoneUpTo}`,
    value: curve.map((l) => `${l.level}: ${l.accuracy.mean.toFixed(4)}`).join(', '),
    expected: `no rise above ${ranges.monotoneTolerance} between neighbours, and lower at ${ranges.monotoneUpTo} than clean`,
    pass: !!clean && reachesTop && rises.length === 0 && last.accuracy.mean < clean.accuracy.mean,
  });

  const noisy = at(t34, 0.3);
  out.push({
    model,
    check: 'weighted F1 at σ = 0.30',
    value: noisy ? noisy.f1.weighted.mean.toFixed(4) : 'not evaluated',
    expected: `below ${ranges.weightedF1At30Below}`,
    pass: !!noisy && noisy.f1.weighted.mean < ranges.weightedF1At30Below,
  });
  return out;
}

/** The noise levels the checks need (clean, every level up to 0.08 the paper uses, 0.30). */
export function rangeCheckLevels(paperLevels: readonly number[]): number[] {
  const r = PAPER_SCALE_RANGES;
  return [0, ...paperLevels.filter((l) => l <= r.monotoneUpTo + 1e-9 || Math.abs(l - 0.3) < 1e-9)];
}
