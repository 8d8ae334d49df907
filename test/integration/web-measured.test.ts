/**
 * The teaching page's accuracy-vs-noise chart in headless Chromium: our measured curves from
 * results/<model>/eval.json beside the paper's, labelled as such; with a result file missing, or
 * /api/measured.json failing, the page still renders the paper's curves and says why.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { FerDataset } from '../../lib/data/dataset';
import { CHROMIUM_ARGS, chromiumPath } from '../../lib/report/export';
import { loadMeasuredCurves, startServer, type RunningServer } from '../../lib/serve';
import type { ModelName } from '../../lib/models/meta';
import type { PageState } from '../../web/app';
import { saveTinyModels, syntheticFaces } from '../fixtures/web-fixtures';

const CHROMIUM = chromiumPath() ?? '/usr/bin/chromium';
const RESULTS = path.resolve(__dirname, '..', '..', 'results');

/** What the accuracy chart shows. */
interface Chart {
  state: PageState;
  title: string;
  /** Legend entries read as "<group title> <name>", e.g. "paper (Tables 1 and 3): CNN". */
  traces: {
    name: string;
    x: number[];
    y: number[];
    /** Error bars below and above y, when drawn. */
    below: number[] | null;
    above: number[] | null;
    legend: boolean;
  }[];
  note: string;
  noteHidden: boolean;
  paperText: string;
}

describe('teaching page: measured accuracy-vs-noise curves beside the paper', function () {
  this.timeout(180_000);
  let tmp: string;
  let ds: FerDataset;
  let models: Record<ModelName, tf.LayersModel> | undefined;
  const servers: RunningServer[] = [];
  /** The server on the committed results/, shared by the tests that need it. */
  let full: RunningServer | undefined;
  let browser: import('playwright-core').Browser | undefined;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.log(`    (skipped: ${CHROMIUM} is missing; \`npm run setup\` installs it)`);
      this.skip();
    }
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-web-measured-'));
    ds = syntheticFaces(2);
    models = await saveTinyModels(path.join(tmp, 'models'), ds.sha256);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
    for (const m of Object.values(models ?? {})) m.dispose();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function serve(resultsDir: string, log?: (s: string) => void): Promise<RunningServer> {
    const srv = await startServer({
      port: 0,
      modelsDir: path.join(tmp, 'models'),
      ds,
      perClass: 2,
      resultsDir,
      log,
    });
    servers.push(srv);
    return srv;
  }

  /** Opens the page at 20 % noise, waits for its first render and reads the chart. */
  async function open(
    srv: RunningServer,
    prepare?: (page: import('playwright-core').Page) => Promise<unknown>,
  ): Promise<{ page: import('playwright-core').Page; chart: Chart; problems: string[] }> {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // A deliberately failed fetch logs a network error; anything else is a problem.
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text()))
        problems.push(`console error: ${m.text()}`);
    });
    await prepare?.(page);
    await page.goto(`${srv.url}#row=${srv.faces.rows[0]}&noise=20`);
    try {
      await page.waitForFunction(() => Number(document.documentElement.dataset.renders ?? 0) >= 1);
    } catch (e) {
      const status = await page.textContent('#status');
      throw new Error(`page never rendered: '${status}'; ${problems.join('; ')} (${e})`);
    }
    // No named inner functions in evaluate(): tsx would wrap them in a helper the page lacks.
    const chart = await page.evaluate(() => {
      const el = document.getElementById('chart-paper') as unknown as {
        data: {
          name?: string;
          legendgrouptitle?: { text?: string };
          x: number[];
          y: number[];
          error_y?: { array: number[]; arrayminus: number[] };
          showlegend?: boolean;
        }[];
        layout: { title: { text: string } };
      };
      const note = document.getElementById('measured-note')!;
      return {
        state: (window as unknown as { ferPage: PageState }).ferPage,
        title: el.layout.title.text,
        traces: el.data.map((t) => ({
          name: `${t.legendgrouptitle?.text ?? ''} ${t.name ?? ''}`.trim(),
          x: Array.from(t.x),
          y: Array.from(t.y),
          below: t.error_y ? Array.from(t.error_y.arrayminus) : null,
          above: t.error_y ? Array.from(t.error_y.array) : null,
          legend: t.showlegend !== false,
        })),
        note: note.textContent ?? '',
        noteHidden: note.hidden,
        paperText: document.getElementById('paper-cnn')!.textContent ?? '',
      };
    });
    return { page, chart, problems };
  }

  it('draws our curves from the committed results, labelled apart from the paper', async () => {
    const expected = loadMeasuredCurves(RESULTS);
    assert.deepEqual(expected.missing, [], 'the committed results/ has both eval.json');
    const srv = (full = await serve(RESULTS));

    // The endpoint: both curves, repository-relative sources, no absolute path anywhere.
    const api = await fetch(new URL('/api/measured.json', srv.url));
    assert.equal(api.status, 200);
    const body = await api.text();
    assert.deepEqual(JSON.parse(body), expected);
    assert.ok(!body.includes(RESULTS) && !body.includes(os.homedir()), 'no absolute path');

    const { page, chart, problems } = await open(srv);
    assert.equal(chart.state.error, null);
    assert.deepEqual(chart.state.measured, ['cnn', 'cnn-lstm']);
    assert.match(chart.title, /paper/i);
    assert.match(chart.title, /ours/);
    const named = chart.traces.filter((t) => t.legend).map((t) => t.name);
    const n = expected.curves.cnn!.nTest.toLocaleString('en');
    const ours = `ours (paper-scale models, training seed 1, ${n} test images):`;
    assert.deepEqual(named, [
      'paper (Tables 1 and 3): CNN',
      'paper (Tables 1 and 3): CNN+LSTM',
      `${ours} CNN`,
      `${ours} CNN+LSTM`,
    ]);
    for (const m of ['cnn', 'cnn-lstm'] as const) {
      const t = chart.traces.find((x) => x.name === `${ours} ${m === 'cnn' ? 'CNN' : 'CNN+LSTM'}`);
      const c = expected.curves[m]!;
      // The error bars span the min–max over noise draws.
      t?.below?.forEach((v, i) =>
        assert.ok(Math.abs(v - (c.points[i].mean - c.points[i].min)) < 1e-12),
      );
      t?.above?.forEach((v, i) =>
        assert.ok(Math.abs(v - (c.points[i].max - c.points[i].mean)) < 1e-12),
      );
      assert.equal(t?.above?.length, c.points.length, `${m}: error bars drawn`);
      assert.deepEqual(
        t?.y,
        c.points.map((p) => p.mean),
        `${m}: the plotted means`,
      );
      assert.deepEqual(
        t?.x,
        c.points.map((p) => p.level * 100),
      );
    }
    assert.ok(chart.noteHidden, 'no note when both curves are there');
    const at20 = expected.curves.cnn!.points.find((p) => Math.abs(p.level - 0.2) < 1e-9)!;
    assert.match(chart.paperText, /^Accuracy, paper \(σ = 20 %, Table 3\): \d+ % · ours: /);
    assert.ok(chart.paperText.endsWith(`ours: ${(at20.mean * 100).toFixed(1)} %`), chart.paperText);

    const shot = path.join(process.env.FER_SCREENSHOT_DIR ?? tmp, 'teaching-page-measured.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(fs.statSync(shot).size > 10_000);
    console.log(`    screenshot ${shot}`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('without a result file, shows the paper and the curve it has, with a note', async () => {
    const partial = path.join(tmp, 'results-partial');
    fs.mkdirSync(path.join(partial, 'cnn'), { recursive: true });
    fs.copyFileSync(path.join(RESULTS, 'cnn', 'eval.json'), path.join(partial, 'cnn', 'eval.json'));
    const logged: string[] = [];
    const srv = await serve(partial, (s) => logged.push(s));
    assert.ok(
      logged.some((s) =>
        /no measured curve for cnn-lstm \(cnn-lstm\/eval\.json: missing\)/.test(s),
      ),
    );

    const { page, chart, problems } = await open(srv);
    assert.equal(chart.state.error, null);
    assert.deepEqual(chart.state.measured, ['cnn']);
    assert.ok(!chart.noteHidden);
    assert.match(chart.note, /No measured curve for CNN\+LSTM \(cnn-lstm\/eval\.json: missing\)/);
    const named = chart.traces.filter((t) => t.legend).map((t) => t.name);
    assert.equal(named.length, 3);
    assert.deepEqual(
      named.filter((x) => x.startsWith('ours')),
      [`ours (paper-scale models, training seed 1, 7,178 test images): CNN`],
    );
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('with no results at all, or the endpoint failing, shows the paper only', async () => {
    const srv = await serve(path.join(tmp, 'no-results'));
    const none = await open(srv);
    assert.equal(none.chart.state.error, null);
    assert.deepEqual(none.chart.state.measured, []);
    assert.equal(none.chart.title, 'Paper: test accuracy vs. noise (Tables 1 and 3)');
    assert.deepEqual(
      none.chart.traces.filter((t) => t.legend).map((t) => t.name),
      ['paper (Tables 1 and 3): CNN', 'paper (Tables 1 and 3): CNN+LSTM'],
    );
    assert.match(none.chart.note, /No measured curve for CNN and CNN\+LSTM/);
    assert.doesNotMatch(none.chart.paperText, /ours/);
    assert.deepEqual(none.problems, []);
    await none.page.close();

    full ??= await serve(RESULTS);
    const failed = await open(full, (page) =>
      page.route('**/api/measured.json', (r) => r.fulfill({ status: 500, body: 'down' })),
    );
    assert.equal(failed.chart.state.error, null);
    assert.deepEqual(failed.chart.state.measured, []);
    assert.match(failed.chart.note, /could not be loaded \(\/api\/measured\.json: HTTP 500\)/);
    assert.deepEqual(failed.problems, []);
    await failed.page.close();
  });
});
