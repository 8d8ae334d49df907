/**
 * A declaration's `/** … *\/` comment from a source file, as Markdown, so that a notebook can
 * quote a design rationale from the code that implements it instead of restating it.
 */
import * as fs from 'node:fs';
import { FerError } from '../util/errors';

/**
 * The doc comment directly above `export function|const|class <name>` in `file`. Runs of
 * indented lines (the comment's own layouts, e.g. a layer stack) become fenced text blocks.
 */
export function docComment(file: string, name: string): string {
  const text = fs.readFileSync(file, 'utf8');
  const decl = new RegExp(
    `/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*export\\s+(?:async\\s+)?(?:function|const|class)\\s+${name}\\b`,
  );
  const m = decl.exec(text);
  if (!m) throw new FerError(`no doc comment above 'export … ${name}'`, file);
  const lines = m[1]
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').replace(/\s+$/, ''))
    .join('\n')
    .trim()
    .split('\n');
  const out: string[] = [];
  let inBlock = false;
  for (const l of lines) {
    const indented = /^ {2,}\S/.test(l);
    if (indented && !inBlock) out.push('', '```text');
    if (!indented && inBlock) out.push('```', '');
    inBlock = indented;
    out.push(indented ? l.replace(/^ {2}/, '') : l);
  }
  if (inBlock) out.push('```');
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}
