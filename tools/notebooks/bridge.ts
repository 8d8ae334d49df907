/**
 * The bridge that lets tslab notebooks import this repository's TypeScript library.
 *
 * Why it is needed: tslab type-checks every cell with its own fixed compiler options, and its
 * `rootDir` is the notebook's folder. `import ... from '../lib/data'` therefore fails with
 * "File '.../lib/data/index.ts' is not under 'rootDir'". Declaration files (.d.ts) are exempt
 * from that rule and plain .js files load at run time, so we generate, under `notebooks/.lib/`,
 * one pair per module of `lib/`:
 *
 *   .lib/data/index.js    registers tsx once, then `require`s the real ../../../lib/data/index.ts
 *   .lib/data/index.d.ts  `export * from '../types/data/index'` (declarations emitted by tsc)
 *
 * A notebook writes `import { loadFer2013 } from './.lib/data'`: tslab checks it against the
 * generated declarations, and at run time the live TypeScript source runs through tsx, exactly
 * as in the tests and the CLI (no stale compiled copy, and `__dirname` stays the real one).
 * The folder is git-ignored and rebuilt whenever a file under lib/ changes. A rebuild rewrites
 * only the files whose content changed: tslab's type checker watches the declarations it has
 * read, and a kernel whose watched file is touched mid-run fails its next cell with
 * "Unexpected pending rebuildTimer" (seen when a second checkout user rebuilt the bridge).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface BridgeResult {
  dir: string;
  /** Number of lib modules mirrored. */
  modules: number;
  /** false when the existing bridge was already up to date. */
  rebuilt: boolean;
  /** tsc diagnostics while emitting declarations (emission still happens; they are warnings). */
  diagnostics: string[];
}

function listTs(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listTs(dir, r));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(r);
  }
  return out.sort();
}

/** Changes whenever a lib file is added, removed or edited (size + mtime), or tsconfig changes. */
function fingerprint(root: string, files: string[]): string {
  const h = createHash('sha256');
  for (const f of ['tsconfig.json', ...files.map((x) => `lib/${x}`)]) {
    const st = fs.statSync(path.join(root, f));
    h.update(`${f}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return h.digest('hex');
}

function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? path.join(rel, e.name) : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

/**
 * Make `dst` hold exactly the files of `src`, touching only those whose bytes differ (each
 * replaced by rename, so a reader never sees half a file). Returns the number rewritten.
 */
export function syncTree(src: string, dst: string): number {
  const want = new Set(listFiles(src));
  let written = 0;
  if (fs.existsSync(dst))
    for (const f of listFiles(dst)) if (!want.has(f)) fs.rmSync(path.join(dst, f));
  for (const f of want) {
    const from = path.join(src, f);
    const to = path.join(dst, f);
    const data = fs.readFileSync(from);
    if (fs.existsSync(to) && fs.readFileSync(to).equals(data)) continue;
    fs.mkdirSync(path.dirname(to), { recursive: true });
    const tmp = `${to}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, to);
    written++;
  }
  return written;
}

/**
 * Build (or confirm up to date) `<root>/notebooks/.lib`. Returns quickly when nothing under lib/
 * changed since the last build.
 */
export async function prepareNotebookBridge(
  root: string,
  opts: { force?: boolean; log?: (s: string) => void } = {},
): Promise<BridgeResult> {
  const log = opts.log ?? (() => {});
  const libDir = path.join(root, 'lib');
  const dir = path.join(root, 'notebooks', '.lib');
  const files = listTs(libDir);
  const stamp = fingerprint(root, files);
  const stampFile = path.join(dir, 'stamp.txt');
  if (!opts.force && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp)
    return { dir, modules: files.length, rebuilt: false, diagnostics: [] };

  let diagnostics: string[] = [];
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(dir), '.tmp-lib-'));
  let rewritten = 0;
  try {
    fs.writeFileSync(path.join(tmp, '.gitignore'), '*\n');
    // Declarations only, for lib/ only; other engineers' type errors must not block the
    // notebooks, so a non-zero tsc exit is kept as diagnostics as long as declarations appear.
    const tsconfig = {
      extends: path.join(root, 'tsconfig.json'),
      compilerOptions: {
        noEmit: false,
        declaration: true,
        emitDeclarationOnly: true,
        rootDir: libDir,
        outDir: path.join(tmp, 'types'),
        types: ['node'],
      },
      include: [path.join(libDir, '**/*.ts')],
    };
    const cfg = path.join(tmp, 'tsconfig.json');
    fs.writeFileSync(cfg, JSON.stringify(tsconfig));
    const tsc = require.resolve('typescript/bin/tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', cfg], { cwd: root, stdio: 'pipe' });
    } catch (e) {
      const out = (e as { stdout?: Buffer }).stdout?.toString() ?? String(e);
      diagnostics = out.split('\n').filter((l) => /error TS\d+/.test(l));
    }
    fs.rmSync(cfg);
    const tsxApi = require.resolve('tsx/cjs/api');
    for (const f of files) {
      const mod = f.slice(0, -3);
      const declared = path.join(tmp, 'types', `${mod}.d.ts`);
      if (!fs.existsSync(declared)) {
        diagnostics.push(`no declarations emitted for lib/${f}`);
        continue;
      }
      const depth = mod.split('/').length - 1;
      const up = '../'.repeat(depth);
      const js = [
        `// Generated by tools/notebooks/bridge.ts: runs lib/${f} through tsx. Do not edit.`,
        `if (!globalThis.__ferTsxRegistered) {`,
        `  require(${JSON.stringify(tsxApi)}).register();`,
        `  globalThis.__ferTsxRegistered = true;`,
        `}`,
        `module.exports = require(${JSON.stringify(path.join(libDir, mod))});`,
        '',
      ].join('\n');
      const dts = `export * from '${up || './'}types/${mod}';\n`;
      fs.mkdirSync(path.dirname(path.join(tmp, `${mod}.js`)), { recursive: true });
      fs.writeFileSync(path.join(tmp, `${mod}.js`), js);
      fs.writeFileSync(path.join(tmp, `${mod}.d.ts`), dts);
    }
    // The sync removes the old stamp and the new one goes last, so an interrupted sync is
    // redone next time.
    rewritten = syncTree(tmp, dir);
    fs.writeFileSync(stampFile, stamp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log(
    `bridge: mirrored ${files.length} lib modules into ${path.relative(root, dir)} (${rewritten} files rewritten)` +
      (diagnostics.length
        ? ` (${diagnostics.length} tsc diagnostics, declarations still emitted)`
        : ''),
  );
  return { dir, modules: files.length, rebuilt: true, diagnostics };
}
