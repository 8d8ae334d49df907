/** `fer data check|prepare`: validate FER2013 and build the binary cache. */
import { FerError } from '../../util/errors';
import { flagInt, flagString, parseArgs, type Command } from '../registry';
// Deep imports keep tfjs (pulled in by lib/data/tensor) out of this command's start-up.
import {
  auditDuplicates,
  splitLeakage,
  type DuplicateAudit,
  type SplitLeakage,
} from '../../data/audit';
import { cachePathFor, loadFer2013, resolveCsvPath } from '../../data/cache';
import { EMOTIONS, USAGES } from '../../data/classes';
import { parseFer2013Csv } from '../../data/csv';
import { ORIGINAL_SHA256 } from '../../data/dataset';
import { makeSplit, SPLIT_NAMES, type SplitName } from '../../data/split';

const USAGE = `usage:
  fer data check <file> [--json] [--seed N]
      Parse and validate every row of fer2013.csv or .csv.gz; print counts per class and usage,
      the SHA-256 (and whether it is the original Kaggle file), the duplicate audit and the
      test-set leakage of each split. Exit 0 when valid; on malformed input print
      '<file>:<line>: <problem>' and exit 1.
  fer data prepare [--csv <file>] [--rebuild] [--cache-dir <dir>]
      Build (or verify) the binary cache in data/cache/. The CSV defaults to $FER2013_CSV.
      Exit 1 when the cache cannot be written (full or read-only disk); a file in the cache's
      place that is not a cache is never replaced.`;

interface CheckReport {
  file: string;
  rows: number;
  bytes: number;
  gzip: boolean;
  sha256: string;
  original: boolean;
  classCounts: Record<string, Record<string, number>>;
  usageCounts: Record<string, number>;
  duplicates: DuplicateAudit;
  splits: Record<SplitName, SplitLeakage & { train: number; val: number; test: number }>;
  seconds: number;
}

async function check(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['seed'], booleans: ['json'], maxPositional: 1 });
  if (args.positional.length !== 1)
    throw new FerError('expected one file: fer data check <file> (see fer data --help)');
  const file = args.positional[0];
  const seed = flagInt(args, 'seed', 0, 2 ** 32 - 1) ?? 0;
  const t0 = Date.now();
  const ds = await parseFer2013Csv(file);
  const classCounts: Record<string, Record<string, number>> = {};
  const usageCounts: Record<string, number> = Object.fromEntries(USAGES.map((u) => [u, 0]));
  for (const e of EMOTIONS) classCounts[e] = Object.fromEntries(USAGES.map((u) => [u, 0]));
  for (let i = 0; i < ds.n; i++) {
    classCounts[EMOTIONS[ds.labels[i]]][USAGES[ds.usage[i]]]++;
    usageCounts[USAGES[ds.usage[i]]]++;
  }
  const splits = {} as CheckReport['splits'];
  for (const name of SPLIT_NAMES) {
    // A file without some Usage values still gets its audit; only the split is skipped.
    const s = makeSplit(ds, name, { seed });
    splits[name] = {
      train: s.train.length,
      val: s.val.length,
      test: s.test.length,
      ...splitLeakage(ds, s),
    };
  }
  const report: CheckReport = {
    file,
    rows: ds.n,
    bytes: ds.bytes,
    gzip: ds.gzip,
    sha256: ds.sha256,
    original: ds.original,
    classCounts,
    usageCounts,
    duplicates: auditDuplicates(ds),
    splits,
    seconds: (Date.now() - t0) / 1000,
  };
  if (args.flags.has('json')) console.log(JSON.stringify(report, null, 2));
  else console.log(formatReport(report, seed));
  return 0;
}

const fmt = (x: number): string => x.toLocaleString('en-US');

function formatReport(r: CheckReport, seed: number): string {
  const L: string[] = [];
  L.push(
    `${r.file}: valid FER2013 CSV${r.gzip ? ' (gzip)' : ''}, ${fmt(r.rows)} rows, ` +
      `${fmt(r.bytes)} bytes uncompressed, checked in ${r.seconds.toFixed(1)} s`,
  );
  L.push(
    `sha256 ${r.sha256}  ` +
      (r.original
        ? '(the original Kaggle fer2013.csv)'
        : `(NOT the original Kaggle file, which is ${ORIGINAL_SHA256})`),
  );
  L.push('');
  const cols = [...USAGES, 'total'];
  L.push('class      ' + cols.map((c) => c.padStart(12)).join(''));
  for (const e of EMOTIONS) {
    const row = USAGES.map((u) => r.classCounts[e][u]);
    const cells = [...row, row.reduce((a, b) => a + b, 0)];
    L.push(e.padEnd(11) + cells.map((c) => fmt(c).padStart(12)).join(''));
  }
  L.push(
    'total'.padEnd(11) +
      [...USAGES.map((u) => r.usageCounts[u]), r.rows].map((c) => fmt(c).padStart(12)).join(''),
  );
  L.push('');
  const d = r.duplicates;
  L.push(
    `duplicates: ${fmt(d.distinct)} distinct images; ${fmt(d.duplicateGroups)} groups of identical ` +
      `images cover ${fmt(d.rowsInDuplicateGroups)} rows; ${fmt(d.conflictingLabelGroups)} groups carry conflicting labels`,
  );
  const o = d.usageOverlap;
  L.push(
    `usage overlap: PublicTest rows with a copy in Training ${fmt(o.PublicTest.Training)}, ` +
      `PrivateTest in Training ${fmt(o.PrivateTest.Training)}, PrivateTest in PublicTest ${fmt(o.PrivateTest.PublicTest)}`,
  );
  L.push('');
  L.push(
    `split leakage (seed ${seed}; test rows with an identical image in train / val / either):`,
  );
  for (const name of SPLIT_NAMES) {
    const s = r.splits[name];
    L.push(
      `  ${name.padEnd(15)} train ${fmt(s.train).padStart(6)}  val ${fmt(s.val).padStart(5)}  test ${fmt(s.test).padStart(5)}` +
        `   leaked ${fmt(s.testInTrain)} / ${fmt(s.testInVal)} / ${fmt(s.testInTrainOrVal)}; val in train ${fmt(s.valInTrain)}`,
    );
  }
  return L.join('\n');
}

async function prepare(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['csv', 'cache-dir'], booleans: ['rebuild'] });
  const csv = resolveCsvPath(flagString(args, 'csv'));
  const cacheDir = flagString(args, 'cache-dir');
  const t0 = Date.now();
  // The command's whole point is the cache: one that cannot be written is an error (exit 1).
  const ds = await loadFer2013({
    csv,
    cacheDir,
    rebuild: args.flags.has('rebuild'),
    log: (s) => console.error(s),
    requireCache: true,
  });
  console.log(
    `${cachePathFor(csv, cacheDir)}: ${fmt(ds.n)} rows, sha256 ${ds.sha256}` +
      `${ds.sha256 === ORIGINAL_SHA256 ? ' (original)' : ' (NOT the original file)'}, ` +
      `${((Date.now() - t0) / 1000).toFixed(2)} s`,
  );
  return 0;
}

export const dataCommand: Command = {
  name: 'data',
  summary: 'check a FER2013 CSV (counts, hash, duplicates) or build the binary cache',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === 'check') return check(rest);
    if (sub === 'prepare') return prepare(rest);
    throw new FerError(
      sub === undefined
        ? 'missing subcommand: fer data check|prepare (see fer data --help)'
        : `unknown subcommand 'data ${sub}' (expected check or prepare)`,
    );
  },
};
