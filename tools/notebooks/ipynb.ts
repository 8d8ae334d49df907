/**
 * Notebooks are written as readable, diffable sources in the "percent" format (as jupytext):
 *
 *   // %% [markdown]
 *   // # Title
 *   // Some *markdown*.
 *   // %%
 *   const x = 1;
 *
 * and turned into .ipynb files with kernelspec tslab. Regenerating a notebook whose cells did
 * not change keeps its outputs, so committed executed notebooks survive a no-op rebuild.
 */
import { createHash } from 'node:crypto';
import { FerError } from '../../lib/util/errors';

export interface SourceCell {
  kind: 'markdown' | 'code';
  source: string;
  /** 1-based line of the cell marker in the source file (for error messages). */
  line: number;
}

export interface IpynbCell {
  id: string;
  cell_type: 'markdown' | 'code';
  metadata: Record<string, unknown>;
  source: string[];
  execution_count?: number | null;
  outputs?: unknown[];
}

export interface Ipynb {
  cells: IpynbCell[];
  metadata: Record<string, unknown>;
  nbformat: 4;
  nbformat_minor: number;
}

export const TSLAB_METADATA = {
  kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' },
  language_info: {
    codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true },
    file_extension: '.ts',
    mimetype: 'text/typescript',
    name: 'typescript',
    version: '3.7.2',
  },
};

const MARKER = /^\/\/ %%(?:\s+\[(markdown|md)\])?\s*$/;

/** Parse a percent-format source. Text before the first marker is an error (it would be lost). */
export function parsePercent(text: string, file = '<notebook source>'): SourceCell[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const cells: SourceCell[] = [];
  let cur: { kind: 'markdown' | 'code'; line: number; body: string[] } | null = null;
  const flush = () => {
    if (!cur) return;
    const body = [...cur.body];
    while (body.length && body[body.length - 1].trim() === '') body.pop();
    while (body.length && body[0].trim() === '') body.shift();
    if (body.length) cells.push({ kind: cur.kind, line: cur.line, source: body.join('\n') });
  };
  lines.forEach((l, i) => {
    const m = MARKER.exec(l);
    if (m) {
      flush();
      cur = { kind: m[1] ? 'markdown' : 'code', line: i + 1, body: [] };
      return;
    }
    if (!cur) {
      if (l.trim() !== '')
        throw new FerError('text before the first "// %%" cell marker', file, i + 1);
      return;
    }
    if (cur.kind === 'markdown') {
      if (l.trim() !== '' && !/^\/\/( |$)/.test(l))
        throw new FerError('markdown cell lines must start with "// "', file, i + 1);
      cur.body.push(l.replace(/^\/\/ ?/, ''));
    } else cur.body.push(l);
  });
  flush();
  return cells;
}

/** Jupyter stores sources as lines that keep their '\n' (all but the last). */
export function toLines(s: string): string[] {
  const parts = s.split('\n');
  return parts.map((p, i) => (i < parts.length - 1 ? `${p}\n` : p)).filter((p) => p !== '');
}

function cellId(name: string, index: number, source: string): string {
  return createHash('sha256').update(`${name}\0${index}\0${source}`).digest('hex').slice(0, 12);
}

/**
 * Build the notebook. When `previous` is given, code cells keep their outputs and execution
 * counts only if EVERY code cell is unchanged, in the same order: a changed cell makes later
 * outputs stale, so they are all cleared. Markdown cells produce no output, so editing the
 * prose (or renaming the notebook) keeps the executed results.
 */
export function buildNotebook(name: string, cells: SourceCell[], previous?: Ipynb): Ipynb {
  const code = cells.filter((c) => c.kind === 'code').map((c) => c.source);
  const prevCode = previous?.cells.filter((c) => c.cell_type === 'code') ?? [];
  const same =
    previous !== undefined &&
    prevCode.length === code.length &&
    prevCode.every((c, i) => c.source.join('') === code[i]);
  let k = 0;
  return {
    cells: cells.map((c, i): IpynbCell => {
      const base = { id: cellId(name, i, c.source), metadata: {}, source: toLines(c.source) };
      if (c.kind === 'markdown') return { ...base, cell_type: 'markdown' };
      const prev = same ? prevCode[k] : undefined;
      k++;
      return {
        ...base,
        cell_type: 'code',
        execution_count: prev?.execution_count ?? null,
        outputs: prev?.outputs ?? [],
      };
    }),
    metadata: same ? { ...TSLAB_METADATA, ...(previous as Ipynb).metadata } : { ...TSLAB_METADATA },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/**
 * JSON as nbformat writes it (sorted keys, 1-space indent, trailing newline), so that a notebook
 * executed by nbclient and one rebuilt here are byte-identical when nothing changed.
 */
export function serializeNotebook(nb: Ipynb): string {
  return JSON.stringify(sortKeys(nb), null, 1) + '\n';
}

/** Error outputs of executed code cells: [cell index, "ename: evalue"]. */
export function errorOutputs(nb: Ipynb): [number, string][] {
  const out: [number, string][] = [];
  nb.cells.forEach((c, i) => {
    for (const o of (c.outputs ?? []) as {
      output_type?: string;
      ename?: string;
      evalue?: string;
    }[])
      if (o.output_type === 'error') out.push([i, `${o.ename ?? ''}: ${o.evalue ?? ''}`]);
  });
  return out;
}
