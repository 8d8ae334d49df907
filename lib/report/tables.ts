/**
 * Tables from typed rows: danfojs-node DataFrames for the notebooks, and Markdown / HTML text
 * for the report. One formatting rule everywhere, so a number reads the same in both.
 */
import type { DataFrame } from 'danfojs-node';
import { FerError } from '../util/errors';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface TableOptions {
  /** Column order (default: keys of the first row, then any new keys in order of appearance). */
  columns?: string[];
  /** Display names for columns. */
  headers?: Record<string, string>;
  /** Decimal places for non-integer numbers: one value, or per column (default 3). */
  digits?: number | Record<string, number>;
}

export function columnsOf(rows: Row[], columns?: string[]): string[] {
  if (columns) return columns;
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** Integers get thousands separators; other numbers `digits` places; null is an em dash. */
export function formatCell(v: Cell | undefined, digits = 3): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    return v.toFixed(digits);
  }
  return String(v);
}

function digitsFor(opts: TableOptions, col: string): number {
  const d = opts.digits;
  if (d === undefined) return 3;
  if (typeof d === 'number') return d;
  return d[col] ?? 3;
}

/** The formatted grid: header names and cell strings. */
export function formatRows(
  rows: Row[],
  opts: TableOptions = {},
): { header: string[]; body: string[][]; numeric: boolean[] } {
  const cols = columnsOf(rows, opts.columns);
  return {
    header: cols.map((c) => opts.headers?.[c] ?? c),
    body: rows.map((r) => cols.map((c) => formatCell(r[c], digitsFor(opts, c)))),
    numeric: cols.map(
      (c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || r[c] === null),
    ),
  };
}

/** A GitHub-flavoured Markdown table; numeric columns are right-aligned. */
export function markdownTable(rows: Row[], opts: TableOptions = {}): string {
  const { header, body, numeric } = formatRows(rows, opts);
  if (header.length === 0) throw new FerError('markdownTable: no columns');
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const line = (cells: string[]) => `| ${cells.map(esc).join(' | ')} |`;
  return (
    [
      line(header),
      `|${numeric.map((n) => (n ? '---:' : '---')).join('|')}|`,
      ...body.map(line),
    ].join('\n') + '\n'
  );
}

const escHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A plain HTML table (renders in Jupyter, on GitHub and in the HTML report). */
export function htmlTable(rows: Row[], opts: TableOptions & { caption?: string } = {}): string {
  const { header, body, numeric } = formatRows(rows, opts);
  const al = (i: number) => (numeric[i] ? ' style="text-align:right"' : '');
  return [
    '<table>',
    opts.caption ? `<caption>${escHtml(opts.caption)}</caption>` : '',
    `<thead><tr>${header.map((h, i) => `<th${al(i)}>${escHtml(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...body.map((r) => `<tr>${r.map((c, i) => `<td${al(i)}>${escHtml(c)}</td>`).join('')}</tr>`),
    '</tbody></table>',
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * Rows to a danfojs-node DataFrame (columns in `opts.columns` order). danfojs is loaded on first
 * use: it takes a few seconds to import, which the report writer should not pay.
 */
export function toDataFrame(rows: Row[], opts: { columns?: string[] } = {}): DataFrame {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  const dfd = require('danfojs-node') as typeof import('danfojs-node');
  const cols = columnsOf(rows, opts.columns);
  if (cols.length === 0) throw new FerError('toDataFrame: no columns');
  return new dfd.DataFrame(
    rows.map((r) => cols.map((c) => (r[c] === undefined ? null : r[c]))),
    { columns: cols },
  );
}

/** A DataFrame back to rows (to format it as HTML/Markdown with the rules above). */
export function dataFrameRows(df: DataFrame): Row[] {
  const cols = df.columns;
  return (df.values as Cell[][]).map((vals) =>
    Object.fromEntries(cols.map((c, i) => [c, vals[i] ?? null])),
  );
}
