/**
 * The teaching page end to end in real headless Chromium: two tiny models, synthetic faces (or
 * the real FER2013 test faces when FER2013_CSV is set), pick a face, move the slider. The
 * browser's probabilities are checked against tfjs in Node on the same noisy input.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PIXELS_PER_IMAGE } from '../../lib/data/classes';
import type { FerDataset } from '../../lib/data/dataset';
import { addGaussianNoise } from '../../lib/data/noise';
import { startServer, type RunningServer } from '../../lib/serve';
import type { ModelName } from '../../lib/models/meta';
import { Rng } from '../../lib/util/rng';
import type { PageState } from '../../web/app';
import { saveTinyModels, syntheticFaces } from '../fixtures/web-fixtures';
import { CHROMIUM_ARGS, chromiumPath } from '../../lib/report/export';

const CHROMIUM = chromiumPath() ?? '/usr/bin/chromium';

// Type-only: this also makes the project's `tsc --noEmit` check web/app.ts.
interface Shown extends PageState {
  plotted: Record<ModelName, number[]>;
  caption: string;
  paperText: string;
}

describe('teaching page in headless Chromium', function () {
  this.timeout(180_000);
  let tmp: string;
  let srv: RunningServer | undefined;
  let ds: FerDataset;
  let models: Record<ModelName, tf.LayersModel>;
  let browser: import('playwright-core').Browser | undefined;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.log(`    (skipped: ${CHROMIUM} is missing; \`npm run setup\` installs it)`);
      this.skip();
    }
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-web-e2e-'));
    if (process.env.FER2013_CSV) {
      const { loadFer2013 } = await import('../../lib/data');
      ds = await loadFer2013();
    } else ds = syntheticFaces();
    models = await saveTinyModels(path.join(tmp, 'models'), ds.sha256);
    srv = await startServer({ port: 0, modelsDir: path.join(tmp, 'models'), ds, perClass: 4 });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
    for (const m of Object.values(models ?? {})) m.dispose();
  });

  /** Probabilities of the tiny Node-side model on face `row` with the page's seeded noise. */
  function reference(name: ModelName, row: number, sigma: number): number[] {
    const x = Float32Array.from(
      ds.pixels.subarray(row * PIXELS_PER_IMAGE, (row + 1) * PIXELS_PER_IMAGE),
      (v) => v / 255,
    );
    addGaussianNoise(x, sigma, new Rng(row));
    return tf.tidy(() =>
      Array.from((models[name].predict(tf.tensor4d(x, [1, 48, 48, 1])) as tf.Tensor).dataSync()),
    );
  }

  /** Waits for the page's first render; on failure says what the page showed. */
  async function firstRender(
    page: import('playwright-core').Page,
    problems: string[],
  ): Promise<void> {
    try {
      await page.waitForFunction(
        () => Number(document.documentElement.dataset.renders ?? 0) >= 1,
        null,
        {
          timeout: 120_000,
        },
      );
    } catch (e) {
      const status = await page.textContent('#status');
      throw new Error(
        `page never rendered: status '${status}'; ${problems.join('; ')} (${(e as Error).message})`,
      );
    }
  }

  it('shows a face, moves the slider, and both models answer with valid probabilities', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 860 } });
    const problems: string[] = [];
    const origin = new URL(srv!.url).origin;
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith('data:'))
        problems.push(`off-site request: ${r.url()}`);
    });
    await page.goto(srv!.url);
    await firstRender(page, problems);

    // No named inner functions in evaluate(): tsx would wrap them in a helper the page lacks.
    const shown = (): Promise<Shown> =>
      page.evaluate(() => {
        const w = window as unknown as {
          ferPage: Omit<Shown, 'plotted' | 'caption' | 'paperText'>;
        };
        const [cnn, lstm] = ['chart-cnn', 'chart-cnn-lstm'].map((id) =>
          Array.from(
            (document.getElementById(id) as unknown as { data: { y: number[] }[] }).data[0].y,
          ),
        );
        return {
          ...w.ferPage,
          plotted: { cnn, 'cnn-lstm': lstm },
          caption: document.getElementById('face-caption')!.textContent ?? '',
          paperText: document.getElementById('paper-cnn')!.textContent ?? '',
        };
      });
    const waitRenders = (n: number): Promise<unknown> =>
      page.waitForFunction((k) => Number(document.documentElement.dataset.renders) >= k, n, {
        timeout: 60_000,
      });

    // Pick a class from the dropdown: the face shown must be of that class.
    const happy = '3';
    let before = (await shown()).renders;
    await page.selectOption('#emotion', happy);
    await waitRenders(before + 1);
    const clean = await shown();
    assert.equal(clean.error, null);
    assert.equal(clean.last!.label, 3, 'face of the picked class');
    assert.match(clean.caption, /true emotion: happy/);
    assert.equal(clean.last!.sigma, 0);
    assert.ok(srv!.faces.rows.includes(clean.last!.row), 'face is one of the served test faces');

    // Move the slider to 20 % as a user would (input events), and wait for the debounced render.
    before = clean.renders;
    await page.locator('#noise').fill('20');
    await waitRenders(before + 1);
    const noisy = await shown();
    assert.equal(noisy.last!.sigma, 0.2);
    assert.equal(noisy.last!.row, clean.last!.row, 'same face');
    assert.match(noisy.paperText, /σ = 20 %, Table 3/);

    for (const m of ['cnn', 'cnn-lstm'] as const) {
      for (const s of [clean, noisy]) {
        const p = s.plotted[m];
        assert.equal(p.length, 7);
        assert.deepEqual(p, s.last!.probs[m], 'the bars show what the model returned');
        const sum = p.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) <= 1e-4, `${m} probabilities sum to ${sum}`);
        assert.ok(p.every((v) => v >= 0 && v <= 1));
        // Same model, same seeded noise, in Node: the browser computed the right thing.
        const ref = reference(m, s.last!.row, s.last!.sigma);
        p.forEach((v, k) =>
          assert.ok(
            Math.abs(v - ref[k]) < 2e-3,
            `${m} σ=${s.last!.sigma} class ${k}: ${v} vs ${ref[k]}`,
          ),
        );
      }
      const change = Math.max(...clean.plotted[m].map((v, k) => Math.abs(v - noisy.plotted[m][k])));
      assert.ok(change > 1e-3, `${m} probabilities changed with noise (max change ${change})`);
    }

    // Back to 20 % after another level: the same face and level shows the same noise.
    await page.locator('#noise').fill('5');
    await waitRenders(noisy.renders + 1);
    await page.locator('#noise').fill('20');
    await waitRenders(noisy.renders + 2);
    const again = await shown();
    assert.deepEqual(again.plotted, noisy.plotted);

    const shot = path.join(tmp, 'teaching-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(fs.statSync(shot).size > 10_000);
    console.log(`    backend ${noisy.backend}; screenshot ${shot}`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('falls back to wasm without WebGL, and runs on cpu, with the same answers', async () => {
    const row = srv!.faces.rows[srv!.faces.rows.length - 1];
    for (const backend of ['wasm', 'cpu']) {
      const page = await browser!.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
      });
      if (backend === 'wasm')
        // A browser without WebGL: canvases refuse webgl contexts, the page must pick wasm itself.
        await page.addInitScript(() => {
          for (const proto of [HTMLCanvasElement.prototype, OffscreenCanvas.prototype]) {
            const get = proto.getContext as (this: unknown, ...a: unknown[]) => unknown;
            Object.defineProperty(proto, 'getContext', {
              value(this: unknown, type: string, ...rest: unknown[]) {
                return /webgl/.test(type) ? null : get.call(this, type, ...rest);
              },
            });
          }
        });
      // A linked face and level (#row=…&noise=…), as a teacher might share it.
      const query = backend === 'cpu' ? '?backend=cpu' : '';
      await page.goto(`${srv!.url}${query}#row=${row}&noise=10`);
      await firstRender(page, problems);
      const s = await page.evaluate(() => (window as unknown as { ferPage: Shown }).ferPage);
      assert.equal(s.backend, backend);
      assert.equal(s.last!.row, row);
      assert.equal(s.last!.sigma, 0.1);
      for (const m of ['cnn', 'cnn-lstm'] as const) {
        const ref = reference(m, row, 0.1);
        s.last!.probs[m].forEach((v, k) =>
          assert.ok(Math.abs(v - ref[k]) < 2e-3, `${backend} ${m} class ${k}`),
        );
      }
      assert.deepEqual(problems, []);
      await page.close();
    }
  });
});
