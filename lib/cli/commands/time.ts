/** `fer time`: paired, interleaved timing of two saved models (Table 2, claim 2b). */
import * as path from 'node:path';
import { FerError } from '../../util/errors';
import { checkOutputFile } from '../../util/output-path';
import {
  formatPairedTiming,
  MIN_ROUNDS,
  PAIRED_TIMING_FILE,
  PAIRED_TIMING_SCHEMA,
} from '../../eval/paired-timing';
import { assertModelDir, MAX_BATCH, MAX_TIMING_ROUNDS } from '../limits';
import { flagInt, flagString, parseArgs, parseNumber, type Command } from '../registry';

const USAGE = `usage:
  fer time [--models A,B] [--rounds N] [--warmup N] [--batches 1,32,256] [--torch | --no-torch]
           [--backend NAME] [--out FILE] [--json]
      Paired timing of two saved models (default models/cnn,models/cnn-lstm) for Table 2 and
      claim 2b. At each batch size: --warmup untimed calls of each model (default 5), then
      --rounds rounds (default 30, at least ${MIN_ROUNDS}) of one call of each on the same random images,
      the order alternating AB, BA, … so that a slow spell of the machine hits both. Reports
      per model the median ms per image and the median of the per-round ratios A/B (with the
      CNN first, the hybrid's speed-up), each with a distribution-free 95 % CI, and the FLOPs
      of both and their ratio; records the backend, its threads (FER_THREADS), the CPU model and
      the Node version. The same two architectures are then timed in PyTorch (/usr/bin/python3
      with torch, bench/backends_torch.py) with the same protocol and threads, as a framework
      reference: --torch requires it, --no-torch skips it, and by default it runs where torch
      can be imported and the result says why not elsewhere. Writes results/timing.json (or
      --out), which the report uses for Table 2 and claim 2b; the default file is never
      replaced by the timing of other models (pass --out). Other work on the machine slows
      every number: run it on a quiet one.`;

/** `--models A,B`: two distinct model folders. */
export function parseModelPair(v: string): [string, string] {
  const dirs = v.split(',').map((s) => s.trim());
  if (dirs.length !== 2 || dirs.some((d) => d === ''))
    throw new FerError(`option --models needs two model folders A,B, got '${v}'`);
  if (path.resolve(dirs[0]) === path.resolve(dirs[1]))
    throw new FerError(`option --models names the same folder twice ('${v}')`);
  return [dirs[0], dirs[1]];
}

/** `--batches 1,32,256`: distinct batch sizes in [1, MAX_BATCH], at most 16. */
export function parseBatches(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.length > 16)
    throw new FerError(`option --batches takes at most 16 sizes, got ${parts.length}`);
  const out = parts.map((s) => parseNumber('--batches', s, { min: 1, max: MAX_BATCH, int: true }));
  const dup = out.find((b, i) => out.indexOf(b) !== i);
  if (dup !== undefined) throw new FerError(`option --batches names ${dup} twice`);
  return out;
}

export const timeCommand: Command = {
  name: 'time',
  summary: 'paired, interleaved timing of two models (Table 2, claim 2b), with a PyTorch reference',
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, {
      values: ['models', 'rounds', 'warmup', 'batches', 'backend', 'out'],
      booleans: ['torch', 'no-torch', 'json'],
    });
    // Every option is checked here, before tfjs starts or a model is read.
    const dirs = parseModelPair(flagString(args, 'models') ?? 'models/cnn,models/cnn-lstm');
    const rounds = flagInt(args, 'rounds', MIN_ROUNDS, MAX_TIMING_ROUNDS) ?? 30;
    const warmup = flagInt(args, 'warmup', 0, 1000) ?? 5;
    const batches = parseBatches(flagString(args, 'batches') ?? '1,32,256');
    if (args.flags.has('torch') && args.flags.has('no-torch'))
      throw new FerError('options --torch and --no-torch exclude each other');
    const torch = args.flags.has('torch') ? 'require' : args.flags.has('no-torch') ? 'off' : 'auto';
    const { backendOption, setupBackend } = await import('../../backend');
    const backend = backendOption(flagString(args, 'backend'));
    for (const d of dirs) assertModelDir(d);
    const { resultsDir } = await import('../../eval/run');
    const { runPairedTiming, timedBy, torchUnavailable } =
      await import('../../eval/paired-timing-run');
    const noTorch = torch === 'require' ? await torchUnavailable() : null;
    if (noTorch) throw new FerError(`--torch: ${noTorch}`);
    const explicit = flagString(args, 'out');
    const out = explicit ?? path.join(resultsDir(), PAIRED_TIMING_FILE);
    // A default file is the timing of these two folders only: another pair's is never replaced.
    const sameProducer = explicit === undefined ? timedBy(dirs) : undefined;
    checkOutputFile(out, PAIRED_TIMING_SCHEMA, sameProducer);
    const log = (s: string): void => console.error(s);
    await setupBackend(backend, { log });
    const r = await runPairedTiming(dirs, {
      rounds,
      warmup,
      batches,
      torch,
      out,
      sameProducer,
      log,
    });
    if (args.flags.has('json')) console.log(JSON.stringify(r, null, 2));
    else console.log(`${formatPairedTiming(r)}\n\nwrote ${out}`);
    return 0;
  },
};
