/**
 * Display helpers for the tslab notebooks: tables as HTML, figures as PNG rendered by headless
 * Chromium, Markdown. Outside a Jupyter kernel (scripts, tests) they print plain text instead,
 * so notebook code can be run and tested as ordinary TypeScript.
 */
import * as tslab from 'tslab';
import * as tslabJupyter from 'tslab/dist/jupyter';
import type { DataFrame } from 'danfojs-node';
import { renderPng } from '../report/export';
import type { PlotlyFigure } from '../report/figures';
import { encodePng } from '../report/png';
import {
  dataFrameRows,
  htmlTable,
  markdownTable,
  type Row,
  type TableOptions,
} from '../report/tables';

/** True inside a running tslab kernel (tslab's display would throw "Not ready" otherwise). */
export function inKernel(): boolean {
  // Set by tslab's kernel when it starts; null in a plain node process.
  return typeof tslabJupyter.lastWriteDisplayData === 'function';
}

export function showMarkdown(md: string): void {
  if (inKernel()) tslab.display.markdown(md);
  else console.log(md);
}

export function showHtml(html: string, fallbackText = '[html output]'): void {
  if (inKernel()) tslab.display.html(html);
  else console.log(fallbackText);
}

export function showPng(png: Uint8Array, alt = 'image'): void {
  if (inKernel()) tslab.display.png(png);
  else console.log(`[${alt}: PNG, ${png.length} bytes]`);
}

/** Show typed rows (or a danfojs DataFrame) as an HTML table. */
export function showTable(
  rows: Row[] | DataFrame,
  opts: TableOptions & { caption?: string } = {},
): void {
  const r = Array.isArray(rows) ? rows : dataFrameRows(rows);
  if (inKernel()) tslab.display.html(htmlTable(r, opts));
  else console.log((opts.caption ? `${opts.caption}\n` : '') + markdownTable(r, opts));
}

/**
 * Show a Plotly figure inline as a PNG (scale 1.5 for sharp text at a small size). A static image
 * keeps the notebook small and renders everywhere, GitHub included; the interactive version is
 * the .html that 09-figures-and-report writes beside each figure.
 */
export async function showFigure(fig: PlotlyFigure, scale = 1.5): Promise<void> {
  if (!inKernel()) {
    console.log(`[figure: ${JSON.stringify(fig.layout.title ?? '')}]`);
    return;
  }
  tslab.display.png(await renderPng(fig, scale));
}

/** Show greyscale pixels as a PNG. */
export function showGrey(pixels: Uint8Array, width: number, height: number, alt = 'image'): void {
  showPng(encodePng(pixels, width, height, 1), alt);
}
