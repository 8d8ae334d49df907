/**
 * FER+ relabelling of FER2013 (Barsoum et al., 2016, `fer2013new.csv`): ten crowd votes per image
 * over neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown and NF
 * (not a face). Row i of that file is row i of fer2013.csv.
 *
 * The label of a row follows FERPlus's own "majority" mode (`_process_data` in the FERPlus
 * repository), so that our numbers compare with published FER+ results:
 *  1. votes of 1 are outliers and set to 0;
 *  2. the top class wins only with a strict majority of the remaining votes, else "unknown";
 *  3. rows whose winner is unknown or NF are dropped.
 * FER2013 has no contempt class, so rows whose winner is contempt are dropped too (they are
 * 148 rows, 0.4 %); mapping them onto disgust or anger would invent a label the 7-class
 * models could not be blamed for.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { USAGES } from '../data/classes';
import { FerError } from '../util/errors';

/** FER+ vote columns in file order, and the FER2013 label each maps to (-1: no FER2013 class). */
const FERPLUS_COLUMNS = [
  ['neutral', 6],
  ['happiness', 3],
  ['surprise', 5],
  ['sadness', 4],
  ['anger', 0],
  ['disgust', 1],
  ['fear', 2],
  ['contempt', -1],
  ['unknown', -1],
  ['NF', -1],
] as const;

const HEADER = ['Usage', 'Image name', ...FERPLUS_COLUMNS.map(([c]) => c)].join(',');

/** Why a row has no FER+ label. */
export type FerPlusDrop = 'unknown' | 'not-a-face' | 'contempt' | 'no-majority';

export interface FerPlusLabels {
  /** One entry per FER2013 row: the FER2013 label 0..6, or -1 where the row is dropped. */
  labels: Int8Array;
  /** Usage code per row (0..2, as in the dataset), read from the FER+ file. */
  usage: Uint8Array;
  /** Rows dropped, by reason. */
  dropped: Record<FerPlusDrop, number>;
  source: string;
}

/** Read and label `fer2013new.csv` or its `.gz`. */
export function loadFerPlus(file: string): FerPlusLabels {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new FerError(
      `cannot read FER+ file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      file,
    );
  }
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (e) {
      throw new FerError(`corrupt gzip data (${(e as Error).message})`, file);
    }
  }
  const lines = buf
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new FerError('empty file', file, 1);
  if (lines[0] !== HEADER) throw new FerError(`expected header '${HEADER}'`, file, 1);
  const n = lines.length - 1;
  const labels = new Int8Array(n);
  const usage = new Uint8Array(n);
  const dropped: Record<FerPlusDrop, number> = {
    unknown: 0,
    'not-a-face': 0,
    contempt: 0,
    'no-majority': 0,
  };
  const votes = new Array<number>(FERPLUS_COLUMNS.length);
  for (let i = 0; i < n; i++) {
    const lineNo = i + 2;
    const f = lines[i + 1].split(',');
    if (f.length !== 2 + FERPLUS_COLUMNS.length)
      throw new FerError(
        `expected ${2 + FERPLUS_COLUMNS.length} fields, got ${f.length}`,
        file,
        lineNo,
      );
    const u = USAGES.indexOf(f[0] as (typeof USAGES)[number]);
    if (u < 0) throw new FerError(`unknown Usage '${f[0]}'`, file, lineNo);
    usage[i] = u;
    for (let k = 0; k < votes.length; k++) {
      const v = Number(f[2 + k]);
      if (!Number.isInteger(v) || v < 0 || v > 10)
        throw new FerError(
          `vote count for ${FERPLUS_COLUMNS[k][0]} must be an integer 0..10, got '${f[2 + k]}'`,
          file,
          lineNo,
        );
      votes[k] = v;
    }
    const outcome = majorityVote(votes);
    if (typeof outcome === 'number') labels[i] = outcome;
    else {
      labels[i] = -1;
      dropped[outcome]++;
    }
  }
  return { labels, usage, dropped, source: file };
}

/**
 * FERPlus "majority" rule on one row's 10 vote counts (file column order). Returns the FER2013
 * label, or why the row has none.
 */
export function majorityVote(votes: readonly number[]): number | FerPlusDrop {
  const kept = votes.map((v) => (v <= 1 ? 0 : v));
  const total = kept.reduce((a, b) => a + b, 0);
  let best = 0;
  for (let k = 1; k < kept.length; k++) if (kept[k] > kept[best]) best = k;
  // Strict majority, as FERPlus's `maxval > 0.5 * sum_list`; an all-zero row has none either.
  if (total === 0 || kept[best] <= 0.5 * total) return 'no-majority';
  const [name, label] = FERPLUS_COLUMNS[best];
  if (name === 'unknown') return 'unknown';
  if (name === 'NF') return 'not-a-face';
  if (name === 'contempt') return 'contempt';
  return label;
}

/** Check that FER+ rows line up with the dataset's rows (same count, same Usage on every row). */
export function checkFerPlusAlignment(fp: FerPlusLabels, usage: Uint8Array): void {
  if (fp.usage.length !== usage.length)
    throw new FerError(
      `FER+ has ${fp.usage.length} rows but the dataset has ${usage.length}`,
      fp.source,
    );
  for (let i = 0; i < usage.length; i++)
    if (fp.usage[i] !== usage[i])
      throw new FerError(
        `Usage '${USAGES[fp.usage[i]]}' differs from the dataset's '${USAGES[usage[i]]}' on this row`,
        fp.source,
        i + 2,
      );
}

/**
 * Published FER+ test accuracies, for context. Barsoum et al. (2016), Table 2: VGG13 trained
 * and tested on FER+ (8 classes incl. contempt), mean over runs. Our models are trained on the
 * original FER2013 labels, so they answer a different question: how much of their "error" on
 * FER2013 is label noise.
 */
export const PUBLISHED_FERPLUS = [
  { method: 'VGG13, majority voting', accuracy: 0.839, source: 'Barsoum et al. 2016, Table 2' },
  {
    method: 'VGG13, probabilistic label drawing',
    accuracy: 0.85,
    source: 'Barsoum et al. 2016, Table 2',
  },
] as const;
