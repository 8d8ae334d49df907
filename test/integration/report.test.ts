import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import { REPO_ROOT, portablePath, readStudyEnv } from '../../lib/env';
import {
  chromiumPath,
  exportFigures,
  sortedRootAttributes,
  stableSvgIds,
} from '../../lib/report/export';
import { confusionHeatmap, groupedBars, lineWithBand } from '../../lib/report/figures';
import {
  buildNotebook,
  errorOutputs,
  parsePercent,
  serializeNotebook,
  toLines,
} from '../../tools/notebooks/ipynb';
import { PNG_SIGNATURE, crc32, encodePng, tileGrid } from '../../lib/report/png';
import { dataFrameRows, htmlTable, markdownTable, toDataFrame } from '../../lib/report/tables';
import { FerError } from '../../lib/util/errors';

/** Minimal PNG reader for the tests: IHDR fields and the inflated, unfiltered rows. */
function readPng(buf: Buffer): {
  width: number;
  height: number;
  colorType: number;
  rows: Buffer[];
} {
  assert.deepEqual(buf.subarray(0, 8), PNG_SIGNATURE);
  let off = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    assert.equal(
      buf.readUInt32BE(off + 8 + len),
      crc32(buf.subarray(off + 4, off + 8 + len)),
      `${type} CRC`,
    );
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      colorType = data[9];
    }
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const bpp = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  const stride = width * bpp;
  const rows: Buffer[] = [];
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    // Undo the PNG row filters (None, Sub, Up, Average, Paeth).
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? line[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      const p = a + b - c;
      const pr =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const add = [0, a, b, (a + b) >> 1, pr][f];
      assert.ok(add !== undefined, `filter type ${f}`);
      line[i] = (line[i] + add) & 0xff;
    }
    rows.push(line);
    prev = line;
  }
  return { width, height, colorType, rows };
}

describe('report: PNG encoder', () => {
  it('computes the standard CRC-32 check value', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });

  it('round-trips greyscale and RGB pixels', () => {
    const grey = Uint8Array.from({ length: 5 * 3 }, (_, i) => i * 17);
    const g = readPng(encodePng(grey, 5, 3));
    assert.deepEqual([g.width, g.height, g.colorType], [5, 3, 0]);
    assert.deepEqual(Buffer.concat(g.rows), Buffer.from(grey));
    assert.ok(encodePng(grey, 5, 3).includes(Buffer.from('IEND')));
    const rgb = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => 255 - i);
    const c = readPng(encodePng(rgb, 2, 2, 3));
    assert.equal(c.colorType, 2);
    assert.deepEqual(Buffer.concat(c.rows), Buffer.from(rgb));
  });

  it('rejects a pixel count that does not match the size', () => {
    assert.throws(() => encodePng(new Uint8Array(5), 2, 2), FerError);
  });

  it('tiles images with gaps and nearest-neighbour scaling', () => {
    const a = Uint8Array.from([10, 20, 30, 40]);
    const g = tileGrid([[a, null]], 2, 2, { gap: 1, background: 0, scale: 2 });
    assert.equal(g.width, 2 * 4 + 3);
    assert.equal(g.height, 4 + 2);
    const at = (x: number, y: number) => g.pixels[y * g.width + x];
    assert.equal(at(0, 0), 0); // gap
    assert.deepEqual([at(1, 1), at(2, 1), at(3, 1), at(4, 1)], [10, 10, 20, 20]);
    assert.deepEqual([at(1, 3), at(4, 4)], [30, 40]);
    assert.equal(at(7, 2), 0); // the empty second tile stays background
  });
});

describe('report: tables', () => {
  const rows = [
    { model: 'cnn', params: 4478727, f1: 0.65123 },
    { model: 'a|b', params: 12, f1: null },
  ];

  it('formats Markdown with right-aligned numbers, separators and escaped pipes', () => {
    const md = markdownTable(rows, { digits: { f1: 2 } });
    assert.equal(
      md,
      '| model | params | f1 |\n|---|---:|---:|\n| cnn | 4,478,727 | 0.65 |\n| a\\|b | 12 | — |\n',
    );
  });

  it('escapes HTML and keeps the column order asked for', () => {
    const html = htmlTable([{ a: '<b>', b: 1.5 }], { columns: ['b', 'a'], caption: 'x & y' });
    assert.match(html, /<caption>x &amp; y<\/caption>/);
    assert.match(html, /<th style="text-align:right">b<\/th><th>a<\/th>/);
    assert.match(html, /<td>&lt;b&gt;<\/td>/);
  });

  it('round-trips rows through a danfojs DataFrame', () => {
    const df = toDataFrame([
      { model: 'cnn', f1: 0.5 },
      { model: 'lstm', f1: 0.25 },
    ]);
    assert.deepEqual(df.columns, ['model', 'f1']);
    assert.deepEqual(dataFrameRows(df), [
      { model: 'cnn', f1: 0.5 },
      { model: 'lstm', f1: 0.25 },
    ]);
  });
});

describe('report: notebook sources (percent format)', () => {
  const src = [
    '',
    '// %% [markdown]',
    '// # Title',
    '//',
    '// text',
    '// %%',
    'const x = 1;',
    '',
    'console.log(x);',
    '',
  ].join('\n');

  it('parses markdown and code cells', () => {
    const cells = parsePercent(src);
    assert.deepEqual(
      cells.map((c) => [c.kind, c.source, c.line]),
      [
        ['markdown', '# Title\n\ntext', 2],
        ['code', 'const x = 1;\n\nconsole.log(x);', 6],
      ],
    );
    assert.deepEqual(toLines('a\n\nb'), ['a\n', '\n', 'b']);
  });

  it('reports text before the first marker with its line', () => {
    assert.throws(
      () => parsePercent('\nconst a = 1;\n// %%\n', 'nb.ts'),
      (e: unknown) => e instanceof FerError && e.line === 2 && e.file === 'nb.ts',
    );
  });

  it('keeps outputs only when every code cell is unchanged', () => {
    const cells = parsePercent(src);
    const nb = buildNotebook('t', cells);
    assert.equal(
      nb.metadata.kernelspec && (nb.metadata.kernelspec as { name: string }).name,
      'tslab',
    );
    nb.cells[1].outputs = [{ output_type: 'stream', name: 'stdout', text: ['1\n'] }];
    nb.cells[1].execution_count = 1;
    const same = buildNotebook('t', cells, nb);
    assert.deepEqual(same.cells[1].outputs, nb.cells[1].outputs);
    assert.equal(serializeNotebook(same), serializeNotebook(nb));
    const edited = buildNotebook('t', parsePercent(src.replace('x = 1', 'x = 2')), nb);
    assert.deepEqual(edited.cells[1].outputs, []);
    assert.equal(edited.cells[1].execution_count, null);
    // Prose edits and a new name keep the results: markdown cells produce no output.
    const prose = buildNotebook('u', parsePercent(src.replace('# Title', '# New title')), nb);
    assert.deepEqual(prose.cells[1].outputs, nb.cells[1].outputs);
    assert.equal(prose.cells[1].execution_count, 1);
  });

  it('serialises with sorted keys like nbformat', () => {
    const text = serializeNotebook(buildNotebook('t', parsePercent(src)));
    const keys = Object.keys(JSON.parse(text) as object);
    assert.deepEqual(keys, [...keys].sort());
    assert.ok(text.endsWith('}\n'));
  });

  it('finds error outputs', () => {
    const nb = buildNotebook('t', parsePercent(src));
    assert.deepEqual(errorOutputs(nb), []);
    nb.cells[1].outputs = [{ output_type: 'error', ename: 'TypeError', evalue: 'x' }];
    assert.deepEqual(errorOutputs(nb), [[1, 'TypeError: x']]);
  });
});

describe('report: study environment variables', () => {
  it('records paths inside the repository relative to it, others as given', () => {
    assert.equal(portablePath(path.join(REPO_ROOT, 'models', 'quick', 'cnn')), 'models/quick/cnn');
    assert.equal(portablePath('/elsewhere/fer2013.csv.gz'), '/elsewhere/fer2013.csv.gz');
    assert.equal(portablePath(REPO_ROOT), REPO_ROOT);
  });

  it('defaults to the quick profile and auto backend', () => {
    const { config, ...rest } = readStudyEnv({});
    assert.equal(config.name, 'quick');
    const run = path.join(REPO_ROOT, 'runs', 'quick');
    assert.deepEqual(rest, {
      profile: 'quick',
      backend: 'auto',
      csv: null,
      retrain: false,
      runDir: run,
      resultsDir: path.join(run, 'results'),
      figuresDir: path.join(run, 'figures'),
      reportDir: path.join(run, 'paper'),
      modelsDir: null,
    });
    assert.equal(readStudyEnv({ FER_RESULTS_DIR: 'r' }).resultsDir, path.resolve('r'));
  });

  it('reads every variable and rejects bad values', () => {
    const e = readStudyEnv({
      FER_PROFILE: 'paper',
      FER_BACKEND: 'wasm',
      FER2013_CSV: 'x.csv',
      FER_RETRAIN: 'yes',
      FER_MODELS: 'models/quick',
      FER_RUN_DIR: 'out',
    });
    assert.equal(e.modelsDir, path.resolve('models/quick'));
    assert.equal(e.config.name, 'paper');
    assert.equal(e.resultsDir, path.resolve('out', 'results'));
    assert.equal(readStudyEnv({ FER_CONFIG: 'quick', FER_PROFILE: 'paper' }).profile, 'quick');
    assert.throws(() => readStudyEnv({ FER_CONFIG: 'no-such-config' }), FerError);
    assert.equal(e.profile, 'paper');
    assert.equal(e.backend, 'wasm');
    assert.equal(e.csv, path.resolve('x.csv'));
    assert.equal(e.retrain, true);
    assert.throws(() => readStudyEnv({ FER_PROFILE: 'full' }), FerError);
    assert.throws(() => readStudyEnv({ FER_RETRAIN: 'maybe' }), FerError);
  });
});

describe('report: figure specs', () => {
  it('builds error bars relative to the bar height', () => {
    const f = groupedBars(
      't',
      ['a', 'b'],
      [
        {
          name: 's',
          values: [0.5, 0.6],
          color: '#000',
          errors: [
            { lo: 0.4, hi: 0.7 },
            { lo: 0.55, hi: 0.62 },
          ],
        },
      ],
    );
    const e = f.data[0].error_y as { array: number[]; arrayminus: number[] };
    assert.deepEqual(
      e.array.map((v) => +v.toFixed(6)),
      [0.2, 0.02],
    );
    assert.deepEqual(
      e.arrayminus.map((v) => +v.toFixed(6)),
      [0.1, 0.05],
    );
  });

  it('draws a band as two extra traces filled between them', () => {
    const t = lineWithBand(
      'm',
      [0, 1],
      [0.5, 0.4],
      { lo: [0.4, 0.3], hi: [0.6, 0.5] },
      { color: '#000' },
    );
    assert.equal(t.length, 3);
    assert.equal(t[1].fill, 'tonexty');
    assert.equal(lineWithBand('m', [0], [1], null, { color: '#000' }).length, 1);
  });

  it('normalises confusion matrix rows', () => {
    const f = confusionHeatmap(
      'c',
      ['a', 'b'],
      [
        [3, 1],
        [0, 0],
      ],
    );
    assert.deepEqual(f.data[0].z, [
      [0.75, 0.25],
      [0, 0],
    ]);
  });
});

describe('report: export through headless Chromium', function () {
  this.timeout(120000);
  let dir = '';
  before(function () {
    if (!chromiumPath()) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-fig-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a PNG at the print scale, an SVG and an interactive HTML', async () => {
    const fig = groupedBars(
      'Export check',
      ['x', 'y'],
      [{ name: 'ours', values: [0.3, 0.7], color: '#1f77b4' }],
    );
    fig.layout.width = 300;
    fig.layout.height = 200;
    const [out] = await exportFigures([{ name: 'tiny', figure: fig }], dir, { scale: 2 });
    const png = readPng(fs.readFileSync(out.files.png as string));
    assert.deepEqual([png.width, png.height], [600, 400]);
    // Not a blank canvas: the bars and text leave many distinct grey levels.
    const values = new Set<number>();
    for (const r of png.rows) for (const v of r) values.add(v);
    assert.ok(values.size > 20, `only ${values.size} distinct byte values`);
    const svg = fs.readFileSync(out.files.svg as string, 'utf8');
    assert.match(svg, /^<svg[^>]+width="300"/);
    assert.match(svg, /Export check/);
    const html = fs.readFileSync(out.files.html as string, 'utf8');
    assert.match(html, /Plotly\.newPlot/);
    assert.match(html, /"Export check"/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['tiny.html', 'tiny.png', 'tiny.svg']);
    // Plotly's random element ids (plot uid, colour-bar gradients) are replaced: exporting
    // again gives the same SVG bytes, for bars and for a heatmap with a colour bar.
    const heat = confusionHeatmap(
      'h',
      ['a', 'b'],
      [
        [3, 1],
        [0, 4],
      ],
    );
    const svgs = async () =>
      (
        await exportFigures(
          [
            { name: 'tiny', figure: fig },
            { name: 'heat', figure: heat },
          ],
          dir,
          { formats: ['svg'] },
        )
      ).map((e) => fs.readFileSync(e.files.svg as string, 'utf8'));
    const [first, second] = [await svgs(), await svgs()];
    assert.equal(first[0], svg);
    assert.deepEqual(second, first);
    fs.rmSync(path.join(dir, 'heat.svg'));
  });

  it('writes the root svg attributes in one order, leaving the rest alone', () => {
    const a =
      '<svg class="main-svg" width="3" style="" viewBox="0 0 3 2"><g style="b" id="x"/></svg>';
    const b =
      '<svg class="main-svg" width="3" viewBox="0 0 3 2" style=""><g style="b" id="x"/></svg>';
    const want =
      '<svg class="main-svg" style="" viewBox="0 0 3 2" width="3"><g style="b" id="x"/></svg>';
    assert.equal(sortedRootAttributes(a), want);
    assert.equal(sortedRootAttributes(b), want);
    assert.equal(sortedRootAttributes('not svg'), 'not svg');
  });

  it('derives the SVG ids from the figure, leaving other text alone', () => {
    const svg =
      '<svg><defs id="defs-a1b2c3"><clipPath id="clipa1b2c3xyplot"/></defs>' +
      '<g clip-path="url(#clipa1b2c3xyplot)" fill="url(\'#ga1b2c3-cb\')"><text>a1b2c3</text></g></svg>';
    assert.equal(
      stableSvgIds(svg, 'ffee00112233'),
      '<svg><defs id="defs-ffee00"><clipPath id="clipffee00xyplot"/></defs>' +
        '<g clip-path="url(#clipffee00xyplot)" fill="url(\'#gffee00-cb\')"><text>a1b2c3</text></g></svg>',
    );
  });

  it('refuses a figure name that is not a plain file name', async () => {
    const fig = groupedBars('t', ['x'], [{ name: 'a', values: [1], color: '#000' }]);
    await assert.rejects(exportFigures([{ name: '../evil', figure: fig }], dir), FerError);
  });
});
