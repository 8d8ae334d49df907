/**
 * The teaching page: both saved models run in the browser with tfjs (webgl, else wasm, else
 * cpu). Bundled by `fer serve` with esbuild; tfjs and Plotly are page globals loaded from
 * node_modules. The noise is the study's own addGaussianNoise with the study's Rng.
 */
import { EMOTIONS, IMAGE_SIZE, PIXELS_PER_IMAGE } from '../lib/data/classes';
import { addGaussianNoise } from '../lib/data/noise';
import type { FacesPayload } from '../lib/serve/faces';
import type { MeasuredCurve, MeasuredPayload, MeasuredPoint } from '../lib/serve/measured';
import type { PaperPoint } from '../lib/serve/server';
import { Rng } from '../lib/util/rng';

type Tf = typeof import('@tensorflow/tfjs');
declare const tf: Tf & { wasm?: { setWasmPaths(prefix: string): void } };

interface PlotlyGlobal {
  react(el: HTMLElement, data: object[], layout: object, config?: object): Promise<unknown>;
}
declare const Plotly: PlotlyGlobal;

const MODELS = ['cnn', 'cnn-lstm'] as const;
type ModelKey = (typeof MODELS)[number];
const LABEL: Record<ModelKey, string> = { cnn: 'CNN', 'cnn-lstm': 'CNN+LSTM' };
const COLOR: Record<ModelKey, string> = { cnn: '#2f6db5', 'cnn-lstm': '#d2691e' };
const FONT = {
  family: "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif",
  size: 12,
  color: '#1d2430',
};
const PLOT_CONFIG = { displayModeBar: false, responsive: true };

/** What the page last showed; read by the end-to-end test and handy in the console. */
export interface PageState {
  backend: string;
  renders: number;
  last: { row: number; label: number; sigma: number; probs: Record<ModelKey, number[]> } | null;
  error: string | null;
  /** Models whose measured curve the accuracy chart draws beside the paper's. */
  measured: ModelKey[];
}
const page: PageState = { backend: '', renders: 0, last: null, error: null, measured: [] };
(window as unknown as { ferPage: PageState }).ferPage = page;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el as T;
};

function setStatus(text: string, error = false): void {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', error);
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = (): void => resolve();
    s.onerror = (): void => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

/** webgl, else wasm, else cpu; `?backend=NAME` forces one. */
async function pickBackend(): Promise<string> {
  const forced = new URLSearchParams(location.search).get('backend');
  for (const name of forced ? [forced] : ['webgl', 'wasm', 'cpu']) {
    try {
      if (name === 'wasm' && !tf.wasm) {
        await loadScript('/vendor/tf-backend-wasm.min.js');
        // The script adds tf.wasm; the .wasm binaries are served beside it, not from a CDN.
        const wasm = (tf as { wasm?: { setWasmPaths(prefix: string): void } }).wasm;
        if (!wasm) throw new Error('tf-backend-wasm.min.js did not register');
        wasm.setWasmPaths('/vendor/wasm/');
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch (e) {
      console.warn(`tfjs backend ${name} unavailable: ${(e as Error).message}`);
    }
  }
  throw new Error('no tfjs backend could start');
}

/** The paper point nearest to sigma (level 0 = Table 1's clean accuracy); ties go lower. */
function nearestPoint(points: PaperPoint[], sigma: number): PaperPoint {
  let best = points[0];
  for (const p of points)
    if (Math.abs(p.level - sigma) < Math.abs(best.level - sigma) - 1e-12) best = p;
  return best;
}

const pct = (v: number, digits = 0): string => `${(v * 100).toFixed(digits)} %`;

/** What a measured curve is of, for the legend: "paper-scale models, training seed 1, …". */
function measuredLabel(c: MeasuredCurve): string {
  const scale = c.profile === 'paper' ? 'paper-scale models' : `${c.profile}-profile models`;
  return `${scale}, training seed ${c.seed}, ${c.nTest.toLocaleString('en')} test images`;
}

const pointAt = (c: MeasuredCurve | undefined, level: number): MeasuredPoint | undefined =>
  c?.points.find((p) => Math.abs(p.level - level) < 1e-9);

/** Our curves, or none with a note: the chart must work without them. */
async function loadMeasured(): Promise<{ curves: MeasuredPayload['curves']; note: string }> {
  let payload: MeasuredPayload;
  try {
    payload = await getJson<MeasuredPayload>('/api/measured.json');
  } catch (e) {
    return {
      curves: {},
      note: `Our measured curves could not be loaded (${(e as Error).message}); the chart shows the paper's only.`,
    };
  }
  const gone = MODELS.filter((m) => !payload.curves[m]);
  const why = payload.missing.map((x) => `${x.source}: ${x.reason}`).join('; ');
  const only =
    gone.length === MODELS.length ? "the paper's numbers only" : "only the paper's for it";
  return {
    curves: payload.curves,
    note:
      gone.length === 0
        ? ''
        : `No measured curve for ${gone.map((m) => LABEL[m]).join(' and ')}${why ? ` (${why})` : ''}: the chart shows ${only}.`,
  };
}

async function main(): Promise<void> {
  const [facesJson, paperJson, modelsJson] = await Promise.all([
    getJson<FacesPayload>('/api/faces.json'),
    getJson<{ points: PaperPoint[] }>('/api/paper.json'),
    getJson<
      Record<
        ModelKey,
        { url: string; meta: { profile?: string; best?: { valAccuracy?: number } } | null }
      >
    >('/api/models.json'),
  ]);
  const measured = await loadMeasured();
  page.measured = MODELS.filter((m) => measured.curves[m]);
  const note = $('measured-note');
  note.textContent = measured.note;
  note.hidden = measured.note === '';
  page.backend = await pickBackend();
  setStatus(`Loading the models on ${page.backend}…`);
  const models = {} as Record<ModelKey, import('@tensorflow/tfjs').LayersModel>;
  await Promise.all(
    MODELS.map(async (m) => {
      models[m] = await tf.loadLayersModel(modelsJson[m].url);
    }),
  );

  const faces = facesJson.faces;
  const bytes = Uint8Array.from(atob(facesJson.pixels), (c) => c.charCodeAt(0));
  const points = paperJson.points;

  // Controls: emotions that have faces, ticks at the paper's levels.
  const select = $<HTMLSelectElement>('emotion');
  select.add(new Option(`Random (any of ${faces.length} faces)`, 'random'));
  EMOTIONS.forEach((name, k) => {
    const n = faces.filter((f) => f.label === k).length;
    if (n > 0) select.add(new Option(`${name} (${n})`, String(k)));
  });
  const ticks = $('paper-levels');
  for (const p of points) ticks.appendChild(new Option('', String(p.level * 100)));
  const slider = $<HTMLInputElement>('noise');

  // A face and level can be linked: #row=<dataset row>&noise=<percent>.
  const hash = new URLSearchParams(location.hash.slice(1));
  let current = Math.max(
    0,
    faces.findIndex((f) => String(f.row) === hash.get('row')),
  );
  if (!hash.has('row')) current = Math.floor(Math.random() * faces.length);
  if (hash.has('noise')) slider.value = hash.get('noise') ?? '0';

  function pickFace(): void {
    const v = select.value;
    const pool = faces
      .map((_, i) => i)
      .filter((i) => v === 'random' || faces[i].label === Number(v));
    // Another face than the one shown, when there is one.
    const others = pool.length > 1 ? pool.filter((i) => i !== current) : pool;
    current = others[Math.floor(Math.random() * others.length)];
  }

  const canvas = $<HTMLCanvasElement>('face');
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas');
  const image = ctx.createImageData(IMAGE_SIZE, IMAGE_SIZE);

  async function renderOnce(): Promise<void> {
    const face = faces[current];
    const sigma = Number(slider.value) / 100;
    $('noise-value').textContent = `${Number(slider.value).toFixed(1)} %`;
    history.replaceState(null, '', `#row=${face.row}&noise=${slider.value}`);

    // The study's noise, seeded by the face's dataset row.
    const x = new Float32Array(PIXELS_PER_IMAGE);
    for (let i = 0; i < x.length; i++) x[i] = bytes[current * PIXELS_PER_IMAGE + i] / 255;
    addGaussianNoise(x, sigma, new Rng(face.row));
    for (let i = 0; i < x.length; i++) {
      const g = Math.round(x[i] * 255);
      image.data.set([g, g, g, 255], i * 4);
    }
    ctx!.putImageData(image, 0, 0);
    $('face-caption').textContent = `true emotion: ${EMOTIONS[face.label]} · test row ${face.row}`;

    const input = tf.tensor4d(x, [1, IMAGE_SIZE, IMAGE_SIZE, 1]);
    const probs = {} as Record<ModelKey, number[]>;
    try {
      for (const m of MODELS) {
        const y = models[m].predict(input) as import('@tensorflow/tfjs').Tensor;
        probs[m] = Array.from(await y.data());
        y.dispose();
      }
    } finally {
      input.dispose();
    }

    const near = nearestPoint(points, sigma);
    await Promise.all(MODELS.map((m) => drawModel(m, probs[m], face.label)));
    for (const m of MODELS) {
      const where =
        near.level === 0
          ? 'clean, Table 1'
          : `σ = ${pct(near.level, near.level < 0.01 ? 1 : 0)}, Table 3`;
      const ours = pointAt(measured.curves[m], near.level);
      $(`paper-${m}`).innerHTML = ours
        ? `Accuracy, paper (${where}): <b style="color:${COLOR[m]}">${pct(near.accuracy[m])}</b> · ours: <b style="color:${COLOR[m]}">${pct(ours.mean, 1)}</b>`
        : `Paper (${where}): <b style="color:${COLOR[m]}">${pct(near.accuracy[m])}</b> accuracy on the test set`;
    }
    await drawPaper(points, sigma, near);
    page.last = { row: face.row, label: face.label, sigma, probs };
    page.renders++;
    document.documentElement.dataset.renders = String(page.renders);
  }

  async function drawModel(m: ModelKey, p: number[], truth: number): Promise<void> {
    const top = p.indexOf(Math.max(...p));
    const right = top === truth;
    await Plotly.react(
      $(`chart-${m}`),
      [
        {
          type: 'bar',
          x: [...EMOTIONS],
          y: p,
          text: p.map((v) => pct(v)),
          textposition: 'outside',
          cliponaxis: false,
          marker: {
            color: EMOTIONS.map((_, k) => (k === top ? COLOR[m] : `${COLOR[m]}66`)),
            line: {
              color: EMOTIONS.map((_, k) => (k === truth ? '#1d2430' : 'rgba(0,0,0,0)')),
              width: 2.5,
            },
          },
          hovertemplate: '%{x}: %{y:.1%}<extra></extra>',
        },
      ],
      {
        title: {
          text: `<b style="color:${COLOR[m]}">${LABEL[m]}</b> says <b>${EMOTIONS[top]}</b> ${right ? '✓' : '✗'}`,
          font: { ...FONT, size: 15 },
        },
        font: FONT,
        margin: { l: 54, r: 44, t: 44, b: 36 },
        yaxis: {
          range: [0, 1.12],
          tickformat: '.0%',
          title: { text: 'probability' },
          gridcolor: '#eef0f4',
        },
        xaxis: { fixedrange: true, tickfont: { size: 11 } },
        shapes: [
          // Chance level: a model that knows nothing puts 1/7 on each class.
          {
            type: 'line',
            xref: 'paper',
            x0: 0,
            x1: 1,
            y0: 1 / 7,
            y1: 1 / 7,
            line: { dash: 'dot', color: '#8a93a3', width: 1 },
          },
        ],
        annotations: [
          {
            xref: 'paper',
            x: 1,
            y: 1 / 7,
            xshift: 2,
            text: 'chance',
            showarrow: false,
            font: { size: 10, color: '#8a93a3' },
            xanchor: 'left',
          },
        ],
        showlegend: false,
        paper_bgcolor: '#fff',
        plot_bgcolor: '#fff',
      },
      PLOT_CONFIG,
    );
  }

  async function drawPaper(pts: PaperPoint[], sigma: number, near: PaperPoint): Promise<void> {
    const xs = pts.map((p) => p.level * 100);
    const ours = MODELS.flatMap((m) => {
      const c = measured.curves[m];
      return c ? [{ m, c }] : [];
    });
    await Plotly.react(
      $('chart-paper'),
      [
        // The paper's published numbers: dashed, open squares; ours: solid, filled circles.
        ...MODELS.map((m) => ({
          type: 'scatter',
          mode: 'lines+markers',
          name: LABEL[m],
          legendgroup: 'paper',
          legendgrouptitle: { text: 'paper (Tables 1 and 3):' },
          x: xs,
          y: pts.map((p) => p.accuracy[m]),
          line: { color: COLOR[m], width: 1.5, dash: 'dash' },
          marker: { size: 7, symbol: 'square-open', line: { width: 1.5 } },
          hovertemplate: `${LABEL[m]}, paper, σ = %{x} %%: %{y:.0%}<extra></extra>`,
        })),
        // Mean over noise draws, error bars spanning the min–max over the draws.
        ...ours.map(({ m, c }) => ({
          type: 'scatter',
          mode: 'lines+markers',
          name: LABEL[m],
          // One legend group per description, so two curves of the same run share one title.
          legendgroup: `ours ${measuredLabel(c)}`,
          legendgrouptitle: { text: `ours (${measuredLabel(c)}):` },
          x: c.points.map((p) => p.level * 100),
          y: c.points.map((p) => p.mean),
          customdata: c.points.map((p) =>
            p.level === 0
              ? 'clean images'
              : `min–max ${pct(p.min, 1)} to ${pct(p.max, 1)} over ${p.draws} noise draws`,
          ),
          error_y: {
            type: 'data',
            symmetric: false,
            array: c.points.map((p) => p.max - p.mean),
            arrayminus: c.points.map((p) => p.mean - p.min),
            color: COLOR[m],
            thickness: 1.5,
            width: 4,
          },
          line: { color: COLOR[m], width: 2.5 },
          marker: { size: 6 },
          hovertemplate: `${LABEL[m]}, ours, σ = %{x} %%: %{y:.1%} (%{customdata})<extra></extra>`,
        })),
        ...MODELS.map((m) => ({
          type: 'scatter',
          mode: 'markers',
          showlegend: false,
          x: [near.level * 100],
          y: [near.accuracy[m]],
          marker: { size: 14, color: COLOR[m], line: { color: '#1d2430', width: 2 } },
          hoverinfo: 'skip',
        })),
      ],
      {
        title: {
          text:
            ours.length > 0
              ? 'Test accuracy vs. noise: the paper (Tables 1 and 3, dashed) and ours (measured, solid)'
              : 'Paper: test accuracy vs. noise (Tables 1 and 3)',
          font: { ...FONT, size: 14 },
        },
        font: FONT,
        margin: { l: 48, r: 12, t: 36, b: 112 },
        xaxis: {
          title: { text: 'noise σ (% of pixel range)' },
          range: [-0.8, 31],
          zeroline: false,
        },
        yaxis: {
          range: [0, 0.75],
          tickformat: '.0%',
          title: { text: 'accuracy' },
          gridcolor: '#eef0f4',
        },
        // At the figure's foot, one titled group per source: ours carry long descriptions.
        legend: { orientation: 'h', x: 0, y: 0, yref: 'container', yanchor: 'bottom' },
        shapes: [
          {
            type: 'line',
            x0: sigma * 100,
            x1: sigma * 100,
            yref: 'paper',
            y0: 0,
            y1: 1,
            line: { color: '#1d2430', width: 1, dash: 'dash' },
          },
        ],
        paper_bgcolor: '#fff',
        plot_bgcolor: '#fff',
      },
      PLOT_CONFIG,
    );
  }

  // One render at a time; input arriving meanwhile triggers exactly one more.
  let running = false;
  let again = false;
  async function render(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await renderOnce();
      } while (again);
    } catch (e) {
      fail(e);
    } finally {
      running = false;
    }
  }
  let timer: number | undefined;
  const debounced = (): void => {
    clearTimeout(timer);
    timer = window.setTimeout(() => void render(), 60);
  };

  slider.addEventListener('input', debounced);
  select.addEventListener('change', () => {
    pickFace();
    void render();
  });
  $('another').addEventListener('click', () => {
    pickFace();
    void render();
  });

  await render();
  const info = MODELS.map((m) => {
    const meta = modelsJson[m].meta;
    const va = meta?.best?.valAccuracy;
    return `${LABEL[m]}${meta?.profile ? ` (${meta.profile}` : ' ('}${va !== undefined ? `, val. accuracy ${pct(va, 1)}` : ''})`;
  }).join(' · ');
  setStatus(
    `tfjs ${tf.version.tfjs} on ${page.backend} · ${info} · ${faces.length} faces from the ${facesJson.split} test split`,
  );
}

function fail(e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  page.error = msg;
  setStatus(`Error: ${msg}`, true);
  console.error(e);
}

// tf.min.js's bundled regenerator-runtime assigns this global, and falls back to eval (which
// the page's Content-Security-Policy forbids) when it does not exist yet. This file loads first.
(window as unknown as { regeneratorRuntime: unknown }).regeneratorRuntime = undefined;
document.addEventListener('DOMContentLoaded', () => {
  main().catch(fail);
});
