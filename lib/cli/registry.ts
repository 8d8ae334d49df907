/** A CLI subcommand. Each lives in lib/cli/commands/<name>.ts and is listed in lib/cli/index.ts. */
export interface Command {
  name: string;
  /** One line for `fer help`. */
  summary: string;
  /** Full usage text for `fer <name> --help`. */
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** Parsed `--flag value` / `--flag` options plus positionals. Unknown flags are an error. */
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

import { FerError } from '../util/errors';

/**
 * Parses argv strictly: unknown options, a value given to a boolean option (`--json=false`), an
 * option given twice, and an empty value (`--seed ''`) are FerErrors. `maxPositional` (default
 * 0) bounds the positional arguments.
 */
export function parseArgs(
  argv: string[],
  known: { values?: string[]; booleans?: string[]; maxPositional?: number },
): ParsedArgs {
  const values = new Set(known.values ?? []);
  const booleans = new Set(known.booleans ?? []);
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || a === '--') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (flags.has(name)) throw new FerError(`option --${name} is given more than once`);
    if (booleans.has(name)) {
      if (eq >= 0) throw new FerError(`option --${name} takes no value (got '${a}')`);
      flags.set(name, true);
    } else if (values.has(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new FerError(`option --${name} needs a value`);
      if (v.trim() === '') throw new FerError(`option --${name} needs a value, got an empty one`);
      if (eq < 0 && v.startsWith('--') && (values.has(v.slice(2)) || booleans.has(v.slice(2))))
        throw new FerError(`option --${name} needs a value, got the option ${v}`);
      flags.set(name, v);
    } else throw new FerError(`unknown option --${name}`);
  }
  const max = known.maxPositional ?? 0;
  if (positional.length > max)
    throw new FerError(
      max === 0
        ? `unexpected argument '${positional[0]}'`
        : `unexpected argument '${positional[max]}' (at most ${max} expected)`,
    );
  return { positional, flags };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** Bounds of a numeric option; `int` requires an integer. */
export interface NumberRange {
  min?: number;
  max?: number;
  int?: boolean;
  /** The smallest value is excluded (e.g. a learning rate > 0). */
  minExclusive?: boolean;
}

/** A numeric option checked against `range` (always finite; '' and '0x..'-style junk refused). */
export function flagNumber(
  args: ParsedArgs,
  name: string,
  range: NumberRange = {},
): number | undefined {
  const v = flagString(args, name);
  if (v === undefined) return undefined;
  return parseNumber(`--${name}`, v, range);
}

/** An integer option in [min, max]. */
export function flagInt(
  args: ParsedArgs,
  name: string,
  min: number,
  max: number,
): number | undefined {
  return flagNumber(args, name, { min, max, int: true });
}

export function parseNumber(label: string, v: string, range: NumberRange = {}): number {
  // Number() accepts '', ' ', '0x10', '1_0'-free but also Infinity; only plain decimals pass.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()))
    throw new FerError(`option ${label} must be a number, got '${v}'`);
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new FerError(`option ${label} must be a finite number, got '${v}'`);
  const { min, max, int, minExclusive } = range;
  if (int && !Number.isInteger(n))
    throw new FerError(`option ${label} must be an integer, got '${v}'`);
  const lo = min === undefined ? '' : `${minExclusive ? '>' : '>='} ${min}`;
  const bounds = [lo, max === undefined ? '' : `<= ${max}`].filter((s) => s).join(' and ');
  if ((min !== undefined && (minExclusive ? n <= min : n < min)) || (max !== undefined && n > max))
    throw new FerError(`option ${label} must be ${bounds}, got '${v}'`);
  return n;
}

/** One of `choices`, or a FerError listing them. */
export function flagChoice<T extends string>(
  args: ParsedArgs,
  name: string,
  choices: readonly T[],
): T | undefined {
  const v = flagString(args, name);
  if (v === undefined) return undefined;
  if (!(choices as readonly string[]).includes(v))
    throw new FerError(`option --${name} must be one of ${choices.join(', ')}; got '${v}'`);
  return v as T;
}
