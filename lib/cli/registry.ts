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

export function parseArgs(
  argv: string[],
  known: { values?: string[]; booleans?: string[] },
): ParsedArgs {
  const values = new Set(known.values ?? []);
  const booleans = new Set(known.booleans ?? []);
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (booleans.has(name)) flags.set(name, true);
    else if (values.has(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new FerError(`option --${name} needs a value`);
      flags.set(name, v);
    } else throw new FerError(`unknown option --${name}`);
  }
  return { positional, flags };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flagNumber(args: ParsedArgs, name: string): number | undefined {
  const v = flagString(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new FerError(`option --${name} must be a number, got '${v}'`);
  return n;
}
