/**
 * Render Plotly figures to PNG and SVG with headless Debian Chromium (playwright-core; no
 * browser download) and write an interactive .html beside them.
 *
 * One browser serves a whole batch: launching Chromium costs about a second, a figure ~100 ms.
 * Every file is written atomically (temp + rename).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { writeFileAtomic } from '../util/atomic';
import { FerError } from '../util/errors';
import { DEFAULT_HEIGHT, DEFAULT_WIDTH, PRINT_SCALE, type PlotlyFigure } from './figures';

export type ExportFormat = 'png' | 'svg' | 'html';

/** Version of the plotly.js bundled with this repository (for the HTML's CDN fallback). */
export function plotlyVersion(): string {
  const pkg = require.resolve('plotly.js-dist/package.json');
  return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/** Debian's Chromium, or FER_CHROMIUM when set; null when neither exists. */
export function chromiumPath(): string | null {
  const p = process.env.FER_CHROMIUM || '/usr/bin/chromium';
  return fs.existsSync(p) ? p : null;
}

/** Headless flags; the background-networking ones stop Chromium dialling out on a closed network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function figSize(fig: PlotlyFigure): { width: number; height: number } {
  const w = fig.layout.width;
  const h = fig.layout.height;
  return {
    width: typeof w === 'number' ? w : DEFAULT_WIDTH,
    height: typeof h === 'number' ? h : DEFAULT_HEIGHT,
  };
}

/** A headless page with plotly.js loaded, turning figures into PNG bytes or SVG text. */
export class FigureRenderer {
  private constructor(
    private readonly browser: Browser,
    private readonly page: Page,
  ) {}

  static async launch(): Promise<FigureRenderer> {
    const exe = chromiumPath();
    if (!exe)
      throw new FerError(
        'Chromium not found at /usr/bin/chromium (run npm run setup, or set FER_CHROMIUM)',
      );
    const browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><html><body></body></html>');
      await page.addScriptTag({ path: require.resolve('plotly.js-dist') });
      return new FigureRenderer(browser, page);
    } catch (e) {
      await browser.close();
      throw e;
    }
  }

  /** Plotly.toImage; `scale` multiplies the layout's pixel size (PNG only). */
  async png(fig: PlotlyFigure, scale = PRINT_SCALE): Promise<Buffer> {
    const url = await this.toImage(fig, 'png', scale);
    return Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
  }

  async svg(fig: PlotlyFigure): Promise<string> {
    const url = await this.toImage(fig, 'svg', 1);
    const body = url.slice(url.indexOf(',') + 1);
    const svg = url.includes(';base64,')
      ? Buffer.from(body, 'base64').toString('utf8')
      : decodeURIComponent(body);
    const hash = createHash('sha256').update(JSON.stringify(fig)).digest('hex');
    return sortedRootAttributes(stableSvgIds(svg, hash));
  }

  private async toImage(fig: PlotlyFigure, format: 'png' | 'svg', scale: number): Promise<string> {
    const { width, height } = figSize(fig);
    return this.page.evaluate(
      async ({ fig, format, width, height, scale }) => {
        const P = (
          globalThis as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } }
        ).Plotly;
        return P.toImage(fig, { format, width, height, scale });
      },
      // Plotly names colour-bar gradients after each trace's uid, random unless set.
      {
        fig: { ...fig, data: fig.data.map((t, i) => ({ uid: `t${i}`, ...t })) },
        format,
        width,
        height,
        scale,
      },
    );
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

/** Run `fn` with a fresh renderer and always close the browser. */
export async function withRenderer<T>(fn: (r: FigureRenderer) => Promise<T>): Promise<T> {
  const r = await FigureRenderer.launch();
  try {
    return await fn(r);
  } finally {
    await r.close();
  }
}

/**
 * Plotly names a plot's clip paths, patterns and gradients after a random 6-character uid
 * (`defs-<uid>`, `url(#clip<uid>xyplot)`), so every export of an unchanged figure differed.
 * Replace it, wherever it is used as an id or an id reference, with one derived from the
 * figure itself: the same figure gives the same bytes.
 */
export function stableSvgIds(svg: string, figureHash: string): string {
  const uid = /id="defs-([0-9a-z]+)"/.exec(svg)?.[1];
  if (!uid) return svg;
  const stable = figureHash.slice(0, uid.length);
  return svg.replace(new RegExp(`(id="|#)([a-z-]*)${uid}`, 'g'), `$1$2${stable}`);
}

/**
 * Plotly writes the root `<svg>` tag's attributes in an order that depends on what the page
 * rendered before (`viewBox` before or after `style`: a PNG export of the same figure first
 * was seen to swap them), so the same figure could give two byte strings. Sort them by name;
 * the rest of the document is left as it is.
 */
export function sortedRootAttributes(svg: string): string {
  const m = /^<svg\s([^>]*?)(\/?)>/.exec(svg);
  if (!m) return svg;
  const attrs = [...m[1].matchAll(/([^\s=]+)="([^"]*)"/g)].map((a) => `${a[1]}="${a[2]}"`);
  attrs.sort((a, b) => (a.split('=')[0] < b.split('=')[0] ? -1 : 1));
  return `<svg ${attrs.join(' ')}${m[2]}>` + svg.slice(m[0].length);
}

/**
 * A standalone interactive page. plotly.js (11 MB) is not inlined in each file: the page loads
 * the repository's copy by relative path and falls back to the CDN copy of the same version.
 */
export function figureHtml(fig: PlotlyFigure, title: string, plotlySrc: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const cdn = `https://cdn.plot.ly/plotly-${plotlyVersion()}.min.js`;
  const json = JSON.stringify(fig).replace(/</g, '\\u003c');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<script src="${plotlySrc}"></script>
<script>window.Plotly || document.write('<script src="${cdn}"><\\/script>')</script>
</head><body>
<div id="fig"></div>
<script>const fig = ${json}; Plotly.newPlot('fig', fig.data, fig.layout, {responsive: true});</script>
</body></html>
`;
}

export interface ExportedFigure {
  name: string;
  files: Partial<Record<ExportFormat, string>>;
}

/**
 * Export each figure as `<outDir>/<name>.png|.svg|.html` with one browser for the batch.
 * `scale` defaults to 300 dpi (300/96 of the layout's CSS pixel size).
 */
export async function exportFigures(
  items: { name: string; figure: PlotlyFigure; title?: string }[],
  outDir: string,
  opts: { formats?: ExportFormat[]; scale?: number } = {},
): Promise<ExportedFigure[]> {
  const formats = opts.formats ?? ['png', 'svg', 'html'];
  for (const it of items)
    if (!/^[\w.-]+$/.test(it.name))
      throw new FerError(`figure name '${it.name}' is not a plain file name`);
  fs.mkdirSync(outDir, { recursive: true });
  const plotlyRel = path
    .relative(outDir, require.resolve('plotly.js-dist'))
    .split(path.sep)
    .join('/');
  const needBrowser = formats.includes('png') || formats.includes('svg');
  const run = async (r: FigureRenderer | null): Promise<ExportedFigure[]> => {
    const out: ExportedFigure[] = [];
    for (const it of items) {
      const files: Partial<Record<ExportFormat, string>> = {};
      const base = path.join(outDir, it.name);
      if (r && formats.includes('png')) {
        files.png = `${base}.png`;
        writeFileAtomic(files.png, await r.png(it.figure, opts.scale ?? PRINT_SCALE));
      }
      if (r && formats.includes('svg')) {
        files.svg = `${base}.svg`;
        writeFileAtomic(files.svg, await r.svg(it.figure));
      }
      if (formats.includes('html')) {
        files.html = `${base}.html`;
        writeFileAtomic(files.html, figureHtml(it.figure, it.title ?? it.name, plotlyRel));
      }
      out.push({ name: it.name, files });
    }
    return out;
  };
  return needBrowser ? withRenderer(run) : run(null);
}

// A renderer shared by notebook cells, closed after a short idle time so that the kernel's
// Chromium does not outlive the cells that use it.
let shared: Promise<FigureRenderer> | null = null;
let idle: NodeJS.Timeout | null = null;

/** Render one figure to PNG with a shared browser (for inline notebook display). */
export async function renderPng(fig: PlotlyFigure, scale = 1.5): Promise<Buffer> {
  if (idle) clearTimeout(idle);
  shared ??= FigureRenderer.launch();
  const r = await shared;
  try {
    return await r.png(fig, scale);
  } finally {
    idle = setTimeout(() => {
      const s = shared;
      shared = null;
      void s?.then((x) => x.close());
    }, 5000);
    idle.unref();
  }
}

/** Close the shared notebook renderer now (otherwise it closes itself after 5 s idle). */
export async function closeSharedRenderer(): Promise<void> {
  if (idle) clearTimeout(idle);
  const s = shared;
  shared = null;
  if (s) await (await s).close();
}
