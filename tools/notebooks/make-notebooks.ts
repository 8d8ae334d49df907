/**
 * `npx tsx tools/notebooks/make-notebooks.ts [--check]`
 *
 * Builds notebooks/NN-*.ipynb from the percent-format sources notebooks/src/NN-*.ts (see
 * tools/notebooks/ipynb.ts). Unchanged notebooks keep their outputs. With --check nothing is written
 * and the exit status is 1 when some .ipynb does not match its source.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../lib/env';
import { buildNotebook, parsePercent, serializeNotebook, type Ipynb } from './ipynb';
import { writeFileAtomic } from '../../lib/util/atomic';
import { FerError } from '../../lib/util/errors';

export function makeNotebooks(
  root: string,
  check: boolean,
): { stale: string[]; written: string[] } {
  const srcDir = path.join(root, 'notebooks', 'src');
  const stale: string[] = [];
  const written: string[] = [];
  for (const f of fs
    .readdirSync(srcDir)
    .filter((x) => /^\d\d-.*\.ts$/.test(x))
    .sort()) {
    const name = f.replace(/\.ts$/, '');
    const srcFile = path.join(srcDir, f);
    const cells = parsePercent(fs.readFileSync(srcFile, 'utf8'), path.relative(root, srcFile));
    const target = path.join(root, 'notebooks', `${name}.ipynb`);
    const prevText = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    const prev = prevText ? (JSON.parse(prevText) as Ipynb) : undefined;
    const text = serializeNotebook(buildNotebook(name, cells, prev));
    if (text === prevText) continue;
    stale.push(name);
    if (!check) {
      writeFileAtomic(target, text);
      written.push(name);
    }
  }
  return { stale, written };
}

if (require.main === module) {
  try {
    const check = process.argv.includes('--check');
    const { stale, written } = makeNotebooks(REPO_ROOT, check);
    for (const n of written) console.log(`make-notebooks: wrote notebooks/${n}.ipynb`);
    if (check && stale.length) {
      console.error(
        `make-notebooks: out of date: ${stale.join(', ')} (run npx tsx tools/notebooks/make-notebooks.ts)`,
      );
      process.exit(1);
    }
  } catch (e) {
    if (e instanceof FerError) {
      console.error(`make-notebooks: ${e.format()}`);
      process.exit(1);
    }
    throw e;
  }
}
