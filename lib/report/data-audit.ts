/**
 * `results/data-audit.json`: what notebook 01 found about the data file, for the report.
 * Every number is computed from the dataset by lib/data.
 */
import { EMOTIONS, USAGES } from '../data/classes';
import { ORIGINAL_SHA256, type FerDataset } from '../data/dataset';
import {
  auditDuplicates,
  splitLeakage,
  type DuplicateAudit,
  type SplitLeakage,
} from '../data/audit';
import { SPLIT_NAMES, makeSplit, type SplitName } from '../data/split';
import { classCounts } from './data-figures';

export interface DataAuditResult {
  schema: 'fer-data-audit/1';
  createdAt: string;
  sha256: string;
  original: boolean;
  rows: number;
  /** counts[usage][class]. */
  classCounts: number[][];
  usages: string[];
  classes: string[];
  duplicates: DuplicateAudit;
  splits: {
    name: SplitName;
    seed: number;
    train: number;
    val: number;
    test: number;
    leakage: SplitLeakage;
    testWithoutLeaked: number;
  }[];
}

export function buildDataAudit(ds: FerDataset, seed = 0): DataAuditResult {
  return {
    schema: 'fer-data-audit/1',
    createdAt: new Date().toISOString(),
    sha256: ds.sha256,
    original: ds.sha256 === ORIGINAL_SHA256,
    rows: ds.n,
    classCounts: classCounts(ds),
    usages: [...USAGES],
    classes: [...EMOTIONS],
    duplicates: auditDuplicates(ds),
    splits: SPLIT_NAMES.map((name) => {
      const s = makeSplit(ds, name, { seed });
      return {
        name,
        seed,
        train: s.train.length,
        val: s.val.length,
        test: s.test.length,
        leakage: splitLeakage(ds, s),
        testWithoutLeaked: makeSplit(ds, name, { seed, dropLeakedTest: true }).test.length,
      };
    }),
  };
}
