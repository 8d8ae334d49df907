/** `fer serve`'s server: whitelisted routes only, the test faces, paper numbers, model folders. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PIXELS_PER_IMAGE } from '../../lib/data/classes';
import { makeSplit } from '../../lib/data/split';
import { PAPER } from '../../lib/eval/paper';
import { PAPER_NOISE_LEVELS } from '../../lib/data/noise';
import {
  loadServedModel,
  resolveModelDirs,
  safePath,
  startServer,
  testRowsFor,
  type FacesPayload,
  type PaperPoint,
  type RunningServer,
} from '../../lib/serve';
import { FerError } from '../../lib/util/errors';
import { saveTinyModels, syntheticFaces, tinyMeta, tinyModel } from '../fixtures/web-fixtures';

/** A raw GET: unlike fetch(), node:http sends the path exactly as written (no '..' folding). */
function rawGet(
  url: string,
  p: string,
  method = 'GET',
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: p, method }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('teaching page server', function () {
  this.timeout(60_000);
  const ds = syntheticFaces(6);
  let tmp: string;
  let srv: RunningServer;

  before(async () => {
    await tf.setBackend('cpu');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fer-web-server-'));
    const models = await saveTinyModels(path.join(tmp, 'models'), ds.sha256);
    Object.values(models).forEach((m) => m.dispose());
    // A file in a model folder that model.json does not list must not be served.
    fs.writeFileSync(path.join(tmp, 'models', 'cnn', 'secret.txt'), 'not for the page');
    srv = await startServer({ port: 0, modelsDir: path.join(tmp, 'models'), ds, perClass: 4 });
  });
  after(async () => {
    await srv?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('binds to 127.0.0.1 on a free port and serves the page, script, vendor files and models', async () => {
    assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const home = await rawGet(srv.url, '/');
    assert.equal(home.status, 200);
    assert.match(String(home.headers['content-type']), /text\/html/);
    assert.match(home.body, /<script src="\/vendor\/tf\.min\.js">/);
    assert.match(String(home.headers['content-security-policy']), /connect-src 'self'/);
    const app = await rawGet(srv.url, '/app.js');
    assert.equal(app.status, 200);
    assert.match(
      app.body,
      /function addGaussianNoise/,
      'the study noise code is bundled, not retyped',
    );
    for (const p of [
      '/vendor/tf.min.js',
      '/vendor/plotly.js',
      '/vendor/tf-backend-wasm.min.js',
      '/vendor/wasm/tfjs-backend-wasm-simd.wasm',
      '/models/cnn/model.json',
      '/models/cnn/weights.bin',
      '/models/cnn-lstm/meta.json',
    ]) {
      const head = await rawGet(srv.url, p, 'HEAD');
      assert.equal(head.status, 200, p);
      assert.ok(Number(head.headers['content-length']) > 0, p);
    }
  });

  it('refuses directory traversal and anything not whitelisted', async () => {
    const pkg = fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8');
    for (const p of [
      '/../package.json',
      '/vendor/../package.json',
      '/vendor/../../package.json',
      '/models/cnn/../../../package.json',
      '/%2e%2e/package.json',
      '/models/cnn/..%2f..%2f..%2fpackage.json',
      '/vendor/..%5cpackage.json',
      '/./index.html',
      '/%zz',
    ]) {
      const r = await rawGet(srv.url, p);
      assert.equal(r.status, 400, p);
      assert.ok(!r.body.includes('fer-lstm-study'), p);
    }
    for (const p of [
      '/package.json',
      '/web/index.html',
      '/app.ts',
      '/vendor/',
      '/node_modules/@tensorflow/tfjs/package.json',
      '/models/cnn/secret.txt',
      '/models/cnn/',
      '/lib/eval/paper.ts',
    ]) {
      const r = await rawGet(srv.url, p);
      assert.equal(r.status, 404, p);
      assert.notEqual(r.body, pkg);
    }
    assert.equal((await rawGet(srv.url, '/', 'POST')).status, 405);
    assert.equal(safePath('/a/b.js?x=../y'), '/a/b.js');
    assert.equal(safePath('/a/../b'), null);
  });

  it('sends a class-balanced sample of the test split only, with the right pixels', async () => {
    const r = await rawGet(srv.url, '/api/faces.json');
    const f = JSON.parse(r.body) as FacesPayload;
    const test = new Set(makeSplit(ds, 'official', { seed: 0 }).test);
    assert.equal(f.split, 'official');
    assert.equal(f.faces.length, 7 * 4, '4 per class');
    for (let c = 0; c < 7; c++) assert.equal(f.faces.filter((x) => x.label === c).length, 4);
    const px = Buffer.from(f.pixels, 'base64');
    assert.equal(px.length, f.faces.length * PIXELS_PER_IMAGE);
    f.faces.forEach(({ row, label }, k) => {
      assert.ok(test.has(row), `row ${row} is a test row`);
      assert.notEqual(ds.usage[row], 0, 'never a Training row');
      assert.equal(label, ds.labels[row]);
      const want = ds.pixels.subarray(row * PIXELS_PER_IMAGE, (row + 1) * PIXELS_PER_IMAGE);
      assert.ok(px.subarray(k * PIXELS_PER_IMAGE, (k + 1) * PIXELS_PER_IMAGE).equals(want));
    });
  });

  it("exposes the paper's Table 1 and Table 3 accuracies from lib/eval/paper.ts", async () => {
    const { points } = JSON.parse((await rawGet(srv.url, '/api/paper.json')).body) as {
      points: PaperPoint[];
    };
    assert.deepEqual(points[0], {
      level: 0,
      table: 'Table 1',
      accuracy: { cnn: PAPER.table1.cnn.accuracy, 'cnn-lstm': PAPER.table1['cnn-lstm'].accuracy },
    });
    assert.deepEqual(
      points.slice(1).map((p) => p.level),
      [...PAPER_NOISE_LEVELS],
    );
    points.slice(1).forEach((p, i) => {
      assert.equal(p.accuracy.cnn, PAPER.table3.cnn[i]);
      assert.equal(p.accuracy['cnn-lstm'], PAPER.table3['cnn-lstm'][i]);
    });
    const models = JSON.parse((await rawGet(srv.url, '/api/models.json')).body);
    assert.equal(models.cnn.url, '/models/cnn/model.json');
    assert.equal(models['cnn-lstm'].meta.architecture, 'cnn-lstm');
  });

  it('finds models/ first, then runs/*-quick, and says clearly when there are none', () => {
    const root = fs.mkdtempSync(path.join(tmp, 'root-'));
    assert.throws(
      () => resolveModelDirs(undefined, root),
      (e: unknown) =>
        e instanceof FerError && /models\/cnn.*runs\/cnn-quick.*--models/.test(e.message),
    );
    const put = (d: string): void => {
      fs.mkdirSync(path.join(root, d), { recursive: true });
      fs.writeFileSync(path.join(root, d, 'model.json'), '{}');
    };
    put('runs/cnn-quick');
    put('runs/cnn-lstm-quick');
    assert.deepEqual(resolveModelDirs(undefined, root), {
      cnn: path.join(root, 'runs/cnn-quick'),
      'cnn-lstm': path.join(root, 'runs/cnn-lstm-quick'),
    });
    put('models/cnn');
    assert.equal(resolveModelDirs(undefined, root).cnn, path.join(root, 'models/cnn'));
    assert.throws(() => resolveModelDirs(path.join(root, 'nothing')), FerError);
  });

  it('refuses weight paths outside the model folder and faces from another dataset', () => {
    const dir = path.join(tmp, 'bad');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'model.json'),
      JSON.stringify({
        modelTopology: {},
        weightsManifest: [{ paths: ['../../package.json'], weights: [] }],
      }),
    );
    assert.throws(() => loadServedModel('cnn', dir), /not a plain file name/);
    const m = tinyModel('cnn', 1);
    assert.throws(
      () => testRowsFor(ds, tinyMeta('cnn', m, 'f'.repeat(64))),
      /trained on dataset ffffffffffff/,
    );
    m.dispose();
  });

  it('fer serve fails with a one-line error when there are no models', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, '..', '..', 'lib', 'cli', 'index.ts'),
        'serve',
        '--models',
        path.join(tmp, 'none'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /no saved 'cnn' model: looked for model\.json in .*none\/cnn/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
