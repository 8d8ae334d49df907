/**
 * `npm run bench [-- --only data,backends] [--compare-torch] [...]`: JSON on stdout, a readable
 * table on stderr. Each section is bench/<name>.ts exporting `run(argv)`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface BenchSection {
  run(argv: string[]): Promise<{ json: unknown; table: string }>;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--only');
  const available = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => f.slice(0, -3))
    .sort();
  const only = i >= 0 ? argv[i + 1].split(',') : available;
  const out: Record<string, unknown> = {};
  for (const name of only) {
    if (!available.includes(name))
      throw new Error(`no bench section '${name}' (have: ${available.join(', ')})`);
    const mod = (await import(path.join(__dirname, name))) as BenchSection;
    const { json, table } = await mod.run(argv);
    out[name] = json;
    process.stderr.write(`\n== ${name} ==\n${table}\n`);
  }
  process.stdout.write(JSON.stringify({ machine: machineInfo(), ...out }, null, 2) + '\n');
}

function machineInfo(): Record<string, unknown> {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
