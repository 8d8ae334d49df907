#!/usr/bin/env node
/** `fer` command-line entry point: dispatches to lib/cli/commands/*. */
import { FerError } from '../util/errors';
import { backendsCommand } from './commands/backends';
import { compareCommand } from './commands/compare';
import { dataCommand } from './commands/data';
import { dynamicsCommand } from './commands/dynamics';
import { evalCommand } from './commands/eval';
import { robustnessCommand } from './commands/robustness';
import { serveCommand } from './commands/serve';
import { timeCommand } from './commands/time';
import { trainCommand } from './commands/train';
import type { Command } from './registry';
import { runMain } from './run-main';

// One line per command; keep the list sorted.
const COMMANDS: Command[] = [
  backendsCommand,
  compareCommand,
  dataCommand,
  dynamicsCommand,
  evalCommand,
  robustnessCommand,
  serveCommand,
  timeCommand,
  trainCommand,
];

function help(): void {
  console.log('usage: fer <command> [options]\n\ncommands:');
  for (const c of COMMANDS) console.log(`  ${c.name.padEnd(12)} ${c.summary}`);
  console.log('\nRun `fer <command> --help` for details.');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    help();
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new FerError(`unknown command '${name}' (run 'fer help')`);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.usage);
    return 0;
  }
  return cmd.run(rest);
}

runMain(() => main(process.argv.slice(2)));
