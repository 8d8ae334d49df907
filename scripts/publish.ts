/**
 * `npm run publish -- [--from DIR | --profile NAME] [--dry-run]`
 *
 * Makes a finished run of `npm run reproduce` the committed study: copies the run folder's
 * executed notebooks over notebooks/, and its results/, figures/ and paper/ into the
 * repository's. Files the run did not write are left as they are (a partial run publishes only
 * what it produced). Refuses a run whose last notebook failed. Each file is written to a temp
 * name and renamed, so an interrupted publish leaves every file whole.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { flagString, parseArgs } from '../lib/cli/registry';
import { REPO_ROOT, portablePath } from '../lib/env';
import { currentReadmeBlock, readmeBlockFor, replaceReadmeBlock } from '../lib/report/readme';
import { writeFileAtomic } from '../lib/util/atomic';
import { FerError } from '../lib/util/errors';

/** The run's folders and where each is published. */
const PARTS: readonly { from: string; to: string; only?: RegExp }[] = [
  { from: 'notebooks', to: 'notebooks', only: /^\d\d-[^/]*\.ipynb$/ },
  { from: 'results', to: 'results' },
  { from: 'figures', to: 'figures' },
  { from: 'paper', to: 'paper' },
];

/** Every file of a run that publishing copies, as [source, target] pairs. */
export function publishPlan(runDir: string, root = REPO_ROOT): [string, string][] {
  const plan: [string, string][] = [];
  for (const part of PARTS) {
    const dir = path.join(runDir, part.from);
    if (!fs.existsSync(dir)) continue;
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!e.isFile()) continue;
      const src = path.join(e.parentPath, e.name);
      const rel = path.relative(dir, src);
      // Caches (.pred-cache), temp files and failed partial notebooks stay in the run.
      if (rel.split(path.sep).some((p) => p.startsWith('.')) || rel.endsWith('.failed.ipynb'))
        continue;
      if (part.only && !part.only.test(rel)) continue;
      plan.push([src, path.join(root, part.to, rel)]);
    }
  }
  return plan;
}

/**
 * Rewrites the README's results block from the repository's results/ (lib/report/readme.ts);
 * true when it changed. Only the study of the paper profile is the README's.
 */
export function publishReadme(root = REPO_ROOT): boolean {
  const file = path.join(root, 'README.md');
  const readme = fs.readFileSync(file, 'utf8');
  const block = readmeBlockFor(path.join(root, 'results'));
  if (currentReadmeBlock(readme) === block) return false;
  writeFileAtomic(file, replaceReadmeBlock(readme, block));
  return true;
}

/**
 * A file as it is published. Executed notebooks quote log lines that name this checkout's
 * absolute paths; they are made repository-relative, so that the committed study names no
 * machine's folders.
 */
export function publishedBytes(src: string, root = REPO_ROOT): Buffer {
  const bytes = fs.readFileSync(src);
  if (!src.endsWith('.ipynb')) return bytes;
  return Buffer.from(bytes.toString('utf8').split(`${root}${path.sep}`).join(''), 'utf8');
}

/** Throws unless every notebook the run executed succeeded. */
export function checkRunFinished(runDir: string): void {
  const times = path.join(runDir, 'results', 'notebook-times.json');
  if (!fs.existsSync(times))
    throw new FerError(
      'not a finished run of npm run reproduce (no results/notebook-times.json)',
      runDir,
    );
  const t = JSON.parse(fs.readFileSync(times, 'utf8')) as {
    notebooks?: { notebook: string; ok: boolean }[];
  };
  const failed = (t.notebooks ?? []).filter((n) => !n.ok).map((n) => n.notebook);
  if (failed.length)
    throw new FerError(`the run failed in ${failed.join(', ')}; fix it and run it again`, times);
}

function main(argv: string[]): number {
  const args = parseArgs(argv, { values: ['from', 'profile'], booleans: ['dry-run'] });
  const from = flagString(args, 'from');
  const runDir = path.resolve(
    from ?? path.join(REPO_ROOT, 'runs', flagString(args, 'profile') ?? 'quick'),
  );
  if (!fs.existsSync(runDir)) throw new FerError('no such run folder', runDir);
  checkRunFinished(runDir);
  const plan = publishPlan(runDir);
  for (const [src, dst] of plan) {
    if (!args.flags.has('dry-run')) writeFileAtomic(dst, publishedBytes(src));
    console.log(`publish: ${portablePath(dst)}`);
  }
  console.log(
    `publish: ${plan.length} files ${args.flags.has('dry-run') ? 'would be ' : ''}copied from ${portablePath(runDir)}; review with git status / git diff`,
  );
  if (!args.flags.has('dry-run') && publishReadme())
    console.log('publish: README.md results block regenerated from results/');
  return 0;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    if (e instanceof FerError) {
      console.error(`publish: ${e.format()}`);
      process.exit(1);
    }
    throw e;
  }
}
