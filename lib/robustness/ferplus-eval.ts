/**
 * A model's clean test predictions scored against FER+ labels (Barsoum et al., 2016) as well as
 * the original FER2013 labels. FER+ re-labelled every FER2013 image by ten crowd votes; where the
 * two disagree, the original label is often simply wrong, so part of a FER2013-trained model's
 * "error" is label noise. Scoring the *same* predictions against both label sets, on the *same*
 * rows, separates the two.
 *
 *   rows with a FER+ label   R+ = test rows whose FER+ majority is one of the 7 FER2013 classes
 *   accuracy vs FER+         mean over R+ of [pred = FER+ label]
 *   accuracy vs FER2013      mean over R+ of [pred = FER2013 label]   (same rows, fair comparison)
 *   accuracy vs FER2013, all mean over every test row                (the usual number)
 *   label agreement          mean over R+ of [FER+ label = FER2013 label]
 *
 * F1 is support-weighted over the 7 classes (sklearn `average='weighted'`), as in the rest of the
 * robustness suite, with macro F1 beside it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NUM_CLASSES } from '../data/classes';
import { PUBLISHED_FERPLUS, type FerPlusLabels } from './ferplus';
import { FerError } from '../util/errors';
import { classificationReport, confusionMatrix } from '../eval/metrics';

export interface LabelScore {
  n: number;
  accuracy: number;
  weightedF1: number;
  macroF1: number;
}

export interface FerPlusEvalResult {
  source: string;
  /** Test rows evaluated. */
  nTest: number;
  /** Test rows with a FER+ label (R+). */
  nWithFerPlus: number;
  /** Test rows without one (FER+ majority unknown, not a face, contempt, or no majority). */
  nDropped: number;
  /** Share of R+ whose FER+ label equals the FER2013 label. */
  labelAgreement: number;
  /** Counts on R+: [FER2013 label][FER+ label]. */
  labelConfusion: number[][];
  /** The predictions on R+, against each label set. */
  ferplusRows: { ferplus: LabelScore; original: LabelScore };
  /** The predictions on every test row, against FER2013 labels. */
  allRows: { original: LabelScore };
  published: { method: string; accuracy: number; source: string }[];
  /** Why the published numbers are context, not a target. */
  comparability: string;
}

export const FERPLUS_COMPARABILITY =
  'The published FER+ accuracies come from models trained on FER+ labels (8 classes, contempt ' +
  'included) and tested on FER+ labels. Ours are trained on the original FER2013 labels (7 ' +
  'classes) and only *tested* on FER+ majority labels, on the test rows whose majority is one of ' +
  'the 7 classes. They measure how much of our FER2013 error is label noise, not how good a ' +
  'FER+ model would be; the two numbers are not comparable.';

function score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): LabelScore {
  const r = classificationReport(yTrue, yPred, {
    labels: Array.from({ length: NUM_CLASSES }, (_, k) => k),
  });
  return { n: yTrue.length, accuracy: r.accuracy, weightedF1: r.weighted.f1, macroF1: r.macro.f1 };
}

/**
 * Score predictions `yPred` (one per entry of `rows`, FER2013 class indices) against the
 * FER2013 labels `labels` (indexed by dataset row) and the FER+ labels `fp` (same rows).
 */
export function ferPlusEval(
  yPred: ArrayLike<number>,
  rows: ArrayLike<number>,
  labels: ArrayLike<number>,
  fp: FerPlusLabels,
): FerPlusEvalResult {
  if (yPred.length !== rows.length)
    throw new FerError(`${yPred.length} predictions for ${rows.length} rows`);
  if (fp.labels.length !== labels.length)
    throw new FerError(
      `FER+ has ${fp.labels.length} rows but the dataset has ${labels.length}`,
      fp.source,
    );
  const plusTrue: number[] = [];
  const origOnPlus: number[] = [];
  const predOnPlus: number[] = [];
  const origAll: number[] = [];
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    origAll.push(labels[r]);
    const p = fp.labels[r];
    if (p < 0) continue;
    plusTrue.push(p);
    origOnPlus.push(labels[r]);
    predOnPlus.push(yPred[k]);
  }
  const n = plusTrue.length;
  if (n === 0) throw new FerError('no test row has a FER+ label', fp.source);
  const agree = plusTrue.reduce((s, p, i) => s + (p === origOnPlus[i] ? 1 : 0), 0);
  return {
    source: fp.source,
    nTest: rows.length,
    nWithFerPlus: n,
    nDropped: rows.length - n,
    labelAgreement: agree / n,
    labelConfusion: confusionMatrix(origOnPlus, plusTrue, { numClasses: NUM_CLASSES }),
    ferplusRows: { ferplus: score(plusTrue, predOnPlus), original: score(origOnPlus, predOnPlus) },
    allRows: { original: score(origAll, yPred) },
    published: PUBLISHED_FERPLUS.map((p) => ({ ...p })),
    comparability: FERPLUS_COMPARABILITY,
  };
}

/**
 * Where `fer2013new.csv(.gz)` is: `opt` if given (it must exist), else beside $FER2013_CSV
 * (`fer2013new.csv.gz`, then `fer2013new.csv`), else null (FER+ is then skipped).
 */
export function resolveFerPlusPath(
  opt?: string,
  env: Record<string, string | undefined> = process.env,
): string | null {
  if (opt !== undefined) {
    if (!fs.existsSync(opt)) throw new FerError('FER+ file not found', opt);
    return opt;
  }
  const csv = env.FER2013_CSV?.trim();
  if (!csv) return null;
  for (const name of ['fer2013new.csv.gz', 'fer2013new.csv']) {
    const f = path.join(path.dirname(path.resolve(csv)), name);
    if (fs.existsSync(f)) return f;
  }
  return null;
}
