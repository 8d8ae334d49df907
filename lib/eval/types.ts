/**
 * Result types of the evaluation. `results/<model>/eval.json` is an `EvalResult` and
 * `results/compare-<a>-<b>.json` a `CompareResult`; the report and the figures are built from
 * these alone, so every field says what it is and how it was computed.
 *
 * Conventions: metrics are fractions in [0, 1]; labels are class indices into `EMOTIONS`;
 * noise levels are the Gaussian sigma as a fraction of the pixel range (0.05 = "5 %").
 */
import type { ConfigRecord } from '../config';
import type { StudyModelMeta } from '../models/meta';
import type { BandArea } from './band';
import type { CalibrationSummary } from './calibration';
import type { ConstantPredictorScore } from './collapse';

/** Precision, recall and F1 of one class or one averaging. */
export interface PRF {
  precision: number;
  recall: number;
  f1: number;
}

export interface PerClassMetrics extends PRF {
  /** Number of test samples whose true label is this class. */
  support: number;
}

/** scikit-learn's `classification_report` / `precision_recall_fscore_support`, in one object. */
export interface ClassificationReport {
  /** Number of samples. */
  n: number;
  /** Fraction of exact matches over ALL samples (sklearn `accuracy_score`; ignores `labels`). */
  accuracy: number;
  /** The labels the averages run over (sklearn's `labels=`, else the labels seen in yTrue ∪ yPred). */
  labels: number[];
  /** Unweighted mean over `labels`. */
  macro: PRF;
  /** Mean over `labels` weighted by support. */
  weighted: PRF;
  /** From the summed TP/FP/FN over `labels` (equals accuracy when `labels` covers every class seen). */
  micro: PRF;
  /** Indexed by class id 0..numClasses-1 (classes outside `labels` are still reported). */
  perClass: PerClassMetrics[];
  /** numClasses x numClasses counts, rows = true class, columns = predicted class. */
  confusion: number[][];
}

/** Keras `Precision()` / `Recall()` on softmax outputs vs one-hot targets, pooled over classes. */
export interface KerasMetrics extends PRF {
  threshold: number;
  tp: number;
  fp: number;
  fn: number;
}

/** A percentile bootstrap confidence interval. */
export interface ConfidenceInterval {
  /** The metric on the full sample. */
  estimate: number;
  lo: number;
  hi: number;
}

export interface BootstrapSettings {
  resamples: number;
  seed: number;
  /** Two-sided level: the interval covers 1 - alpha. */
  alpha: number;
}

/** How precision/recall/F1 are averaged over the 7 classes. */
export type Averaging = 'macro' | 'weighted' | 'micro' | 'keras';
export const AVERAGINGS: readonly Averaging[] = ['macro', 'weighted', 'micro', 'keras'];

export interface MetricRow {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/** One line of Table 1: the four metrics under one averaging, with bootstrap CIs. */
export interface Table1Row extends MetricRow {
  averaging: Averaging;
  /** 95 % percentile bootstrap CIs (null when the bootstrap was switched off). */
  ci: Record<keyof MetricRow, ConfidenceInterval> | null;
}

export interface Table1Result {
  n: number;
  rows: Table1Row[];
  report: ClassificationReport;
  keras: KerasMetrics;
  bootstrap: BootstrapSettings | null;
}

/** Table 2: cost of the model. */
export interface Table2Result {
  params: number;
  trainableParams: number;
  /** Multiply-adds x 2 per image, from lib/models `flopsPerImage` (null if unavailable). */
  flopsPerImage: number | null;
  /** Bytes of the saved model folder (model.json + weight shards + meta.json), null if unknown. */
  sizeOnDiskBytes: number | null;
  /** tfjs backend the timings were taken on. */
  backend: string;
  /** One image at a time, after warm-up. */
  latencyBatch1: { medianMs: number; p95Ms: number; runs: number; warmup: number };
  /** Time per image when predicting a batch of `batchSize` images. */
  throughput: { batchSize: number; msPerImage: number; runs: number };
}

/** Mean and sample standard deviation over noise seeds (std null when only one value). */
export interface SpreadStat {
  mean: number;
  std: number | null;
  min: number;
  max: number;
  values: number[];
}

/** One noise level of Tables 3 and 4, over several noise seeds. */
export interface NoiseLevelResult {
  /** Gaussian sigma as a fraction of the pixel range; 0 = clean. */
  level: number;
  seeds: number[];
  accuracy: SpreadStat;
  f1: Record<Exclude<Averaging, 'keras'>, SpreadStat>;
  /** Share of predictions that go to the most-predicted class (1 = a single-class predictor). */
  topClassShare: SpreadStat;
  /** The most-predicted class under the first seed. */
  topClass: number;
  /**
   * Predicted-label counts c_k per noise seed (in `seeds` order), k = 0..6. Absent in results
   * written before it was recorded.
   */
  predictedCounts?: number[][];
  /** Entropy in bits of the predicted-label distribution, over the noise seeds. */
  entropyBits?: SpreadStat;
}

export interface Table34Result {
  n: number;
  levels: NoiseLevelResult[];
}

/** Metrics on one emotion group (Table 5): samples whose TRUE label is in the group. */
export interface GroupMetrics {
  labels: number[];
  n: number;
  accuracy: number;
  /** Averaged over the group's own labels on the group's samples (sklearn `labels=group`). */
  macro: PRF;
  weighted: PRF;
  micro: PRF;
}

export interface Table5Row {
  group: 'simple' | 'complex';
  metrics: GroupMetrics;
  /** CIs of accuracy and of macro / weighted / micro F1 (null when the bootstrap is off). */
  ci: {
    accuracy: ConfidenceInterval;
    f1Macro: ConfidenceInterval;
    f1Weighted: ConfidenceInterval;
    f1Micro: ConfidenceInterval;
  } | null;
}

export interface Table5Result {
  rows: Table5Row[];
  bootstrap: BootstrapSettings | null;
}

/** One candidate metric definition tested against one pattern of the paper. */
export interface AuditOutcome {
  /** An `Averaging` for table1/table4 checks; 'group-macro' | 'group-weighted' | 'group-micro' for table5. */
  definition: string;
  /** The numbers the check was computed from (ours). */
  values: Record<string, number>;
  holds: boolean;
}

/** Does some metric definition reproduce a pattern visible in the paper's tables? */
export interface AuditCheck {
  id: string;
  table: 'table1' | 'table4' | 'table5';
  /** The pattern, in words, with the paper's numbers that show it. */
  pattern: string;
  outcomes: AuditOutcome[];
  /** Definitions for which the pattern holds on our numbers. */
  reproducedBy: string[];
  /** Extra context (e.g. why a check is uninformative for this model), if any. */
  note?: string;
}

/** McNemar's test on paired correctness of two models on the same images. */
export interface McNemarResult {
  n: number;
  /** A right, B wrong. */
  b: number;
  /** A wrong, B right. */
  c: number;
  accuracyA: number;
  accuracyB: number;
  /** Exact two-sided binomial p-value on the b + c discordant pairs. */
  pValue: number;
  /** Chi-square with continuity correction, (|b - c| - 1)^2 / (b + c), for reference. */
  chi2: number;
  chi2PValue: number;
}

/** Our number beside the paper's. */
export interface PaperComparisonRow {
  table: 'table1' | 'table2' | 'table3' | 'table4' | 'table5';
  /** e.g. 'f1', 'accuracy', 'params', 'msPerImage'. */
  metric: string;
  /** Averaging / definition used for ours (e.g. 'keras', 'weighted'), or '' when there is one. */
  definition: string;
  /** Row key inside the table: noise level, group, or ''. */
  key: string;
  paper: number;
  ours: number;
  /** ours - paper. */
  diff: number;
}

/** Where the evaluated images came from. */
export interface EvalDataInfo {
  datasetSha256: string;
  split: string;
  splitSeed: number;
  /** Test images evaluated (after --limit). */
  nTest: number;
  /** Size of the split's whole test set. */
  nTestFull: number;
  limited: boolean;
  /**
   * Present when the test rows whose exact pixels occur in train or val were dropped
   * (`dropLeakedTest`); `nTestFull` is then the size of the de-leaked test set.
   */
  leakedTestDropped?: number;
}

/** `results/<model>/eval.json`. */
export interface EvalResult {
  schema: 'fer-eval/1';
  createdAt: string;
  model: { name: string; dir: string; meta: StudyModelMeta };
  data: EvalDataInfo;
  backend: string;
  /** The study config this evaluation ran under (absent for a plain `fer eval`). */
  config?: ConfigRecord;
  /** Compute threads of that backend (oneDNN's/XNNPACK's), where it has a setting. */
  threads?: number;
  table1: Table1Result;
  table2: Table2Result | null;
  table34: Table34Result;
  table5: Table5Result;
  audit: AuditCheck[];
  paperComparison: PaperComparisonRow[];
  /**
   * Present when BatchNorm's moving statistics were re-estimated before this evaluation
   * (`fer eval --recalibrate-bn N`), which the paper's recipe does not do.
   */
  bnRecalibration?: { layers: string[]; images: number };
  /** NLL, ECE (15 bins) and reliability bins of the clean softmax outputs. */
  calibration?: CalibrationSummary;
  /** "Always class k" for each class k on the evaluated test images (lib/eval/collapse.ts). */
  constantBaselines?: ConstantPredictorScore[];
}

/** McNemar CNN vs hybrid at one noise level, one test per noise seed. */
export interface PairedLevelResult {
  level: number;
  seeds: number[];
  tests: McNemarResult[];
  /** Seeds at which p < 0.05. */
  significantSeeds: number;
}

/** `results/compare-<a>-<b>.json`. */
export interface CompareResult {
  schema: 'fer-compare/1';
  createdAt: string;
  a: { name: string; dir: string; meta: StudyModelMeta };
  b: { name: string; dir: string; meta: StudyModelMeta };
  data: EvalDataInfo;
  backend: string;
  /** Compute threads of that backend (oneDNN's/XNNPACK's), where it has a setting. */
  threads?: number;
  config?: ConfigRecord;
  /** Level 0 (clean) first, then the noise levels. */
  levels: PairedLevelResult[];
  /** Claim 3 on the informative band, paired over the same test images (lib/eval/band.ts). */
  band?: CompareBand;
  /**
   * Per-image correctness of both models at every level and noise seed, so that paired
   * analyses can be recomputed without the models: bit i of the bytes is image i
   * (little-endian within each byte: byte i >> 3, bit i & 7), base64-encoded.
   */
  correctness?: {
    encoding: 'bitset-lsb-base64';
    runs: { level: number; seed: number; a: string; b: string }[];
  };
  /** Present when both models' BatchNorm statistics were re-estimated first. */
  bnRecalibration?: {
    a: { layers: string[]; images: number };
    b: { layers: string[]; images: number };
  };
}

/**
 * Claim 3 judged on the informative band: the levels where A or B (mean over noise seeds) beats
 * the best constant predictor, band measures of both, and paired bootstrap CIs of B - A.
 */
export interface CompareBand {
  /** acc* = accuracy of the best constant predictor on these test images, and its class. */
  threshold: number;
  bestConstantClass: number;
  levels: number[];
  /** Levels where a model beats acc* again after a level where none did. */
  excluded: number[];
  /** Band measures; null when the band is empty. */
  a: BandArea | null;
  b: BandArea | null;
  /** Percentile bootstrap CIs over test images; null when the band has fewer than 2 levels. */
  aucDifference: ConfidenceInterval | null;
  meanAccuracyDifference: ConfidenceInterval | null;
  retentionDifference: ConfidenceInterval | null;
  bootstrap: BootstrapSettings | null;
}
