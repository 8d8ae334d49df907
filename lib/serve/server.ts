/**
 * `fer serve`: a small node:http server for the teaching page. It serves a fixed whitelist of
 * exact URL paths (page files, the two model folders' listed files, a few node_modules assets,
 * four JSON endpoints) and nothing else, so no request can reach another file on disk.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { loadFer2013 } from '../data';
import type { FerDataset } from '../data';
import { portablePath } from '../env';
import { PAPER } from '../eval/paper';
import { PAPER_NOISE_LEVELS } from '../data/noise';
import { MODEL_NAMES, type ModelName } from '../models/meta';
import { FerError } from '../util/errors';
import { osErrorToFerError } from '../util/os-error';
import { bundleClient, WEB_ROOT } from './bundle';
import { facesPayload, selectTestFaces, testRowsFor, type TestFaces } from './faces';
import { defaultResultsDir, loadMeasuredCurves } from './measured';
import { loadServedModel, resolveModelDirs, type ServedModel } from './models';

export interface ServeOptions {
  /** TCP port; 0 picks a free one (default 8080). */
  port?: number;
  /** Interface to bind (default 127.0.0.1: the page is for this machine only). */
  host?: string;
  /** Folder with cnn/ and cnn-lstm/ subfolders; default models/ then runs/*-quick. */
  modelsDir?: string;
  /** Where the default model folders are looked for (default the working directory). */
  root?: string;
  /** Dataset to take test faces from; else loaded from `csv` / FER2013_CSV. */
  ds?: FerDataset;
  csv?: string;
  /** Test faces per class (default 20). */
  perClass?: number;
  /** Folder with cnn/eval.json and cnn-lstm/eval.json (default $FER_RESULTS_DIR, else results/). */
  resultsDir?: string;
  log?: (s: string) => void;
}

export interface RunningServer {
  url: string;
  models: Record<ModelName, ServedModel>;
  faces: TestFaces;
  close(): Promise<void>;
}

/** One paper accuracy point: clean (Table 1) or a Table 3 noise level. */
export interface PaperPoint {
  level: number;
  table: 'Table 1' | 'Table 3';
  accuracy: Record<ModelName, number>;
}

/** Table 1's clean accuracy as level 0, then Table 3's ten levels, straight from lib/eval/paper.ts. */
export function paperPoints(): PaperPoint[] {
  return [
    {
      level: 0,
      table: 'Table 1',
      accuracy: { cnn: PAPER.table1.cnn.accuracy, 'cnn-lstm': PAPER.table1['cnn-lstm'].accuracy },
    },
    ...PAPER_NOISE_LEVELS.map((level, i) => ({
      level,
      table: 'Table 3' as const,
      accuracy: { cnn: PAPER.table3.cnn[i], 'cnn-lstm': PAPER.table3['cnn-lstm'][i] },
    })),
  ];
}

type Route = { file: string; type: string } | { body: Buffer; type: string };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};
const typeOf = (f: string): string => TYPES[path.extname(f)] ?? 'application/octet-stream';

// Everything the page may load from node_modules: URL path -> package-relative file.
const VENDOR: Record<string, [pkg: string, file: string]> = {
  '/vendor/tf.min.js': ['@tensorflow/tfjs', 'dist/tf.min.js'],
  '/vendor/tf-backend-wasm.min.js': [
    '@tensorflow/tfjs-backend-wasm',
    'dist/tf-backend-wasm.min.js',
  ],
  '/vendor/wasm/tfjs-backend-wasm.wasm': [
    '@tensorflow/tfjs-backend-wasm',
    'dist/tfjs-backend-wasm.wasm',
  ],
  '/vendor/wasm/tfjs-backend-wasm-simd.wasm': [
    '@tensorflow/tfjs-backend-wasm',
    'dist/tfjs-backend-wasm-simd.wasm',
  ],
  '/vendor/wasm/tfjs-backend-wasm-threaded-simd.wasm': [
    '@tensorflow/tfjs-backend-wasm',
    'dist/tfjs-backend-wasm-threaded-simd.wasm',
  ],
  '/vendor/plotly.js': ['plotly.js-dist', 'plotly.js'],
};

function vendorFile(pkg: string, file: string): string {
  const f = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
  if (!fs.existsSync(f)) throw new FerError(`missing ${pkg}/${file}; run npm ci`);
  return f;
}

// The page needs no other origin; this makes the browser refuse any it might try.
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const json = (v: unknown): Route => ({
  body: Buffer.from(JSON.stringify(v)),
  type: TYPES['.json'],
});

/** The raw request path, or null if it is malformed or tries to climb out ('..', '\', NUL). */
export function safePath(rawUrl: string): string | null {
  const p = rawUrl.split(/[?#]/, 1)[0];
  let decoded: string;
  try {
    decoded = decodeURIComponent(p);
  } catch {
    return null;
  }
  if (!decoded.startsWith('/') || /[\\\0]/.test(decoded)) return null;
  if (decoded.split('/').some((seg) => seg === '..' || seg === '.')) return null;
  return decoded;
}

/**
 * Streams a file (no whole-file buffer per request): stat first, so only a regular file is
 * sent, with its length; a read error mid-way ends the connection.
 */
function streamFile(
  file: string,
  type: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  send: (status: number, body: string) => void,
): void {
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) return send(404, 'not found\n');
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': st.size,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': CSP,
    });
    if (req.method === 'HEAD') return void res.end();
    const stream = fs.createReadStream(file, { start: 0, end: Math.max(0, st.size - 1) });
    if (st.size === 0) {
      stream.destroy();
      return void res.end();
    }
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    stream.pipe(res);
  });
}

/**
 * The Host names (without port) the server answers to: the loopback names, the bound host and,
 * when bound to every interface (0.0.0.0, ::), this machine's name and interface addresses.
 * A rebinding attacker's own domain name is never among them.
 */
export function hostNames(host: string, boundAddress: string): string[] {
  const br = (h: string): string => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
  const names = ['localhost', '127.0.0.1', '[::1]', br(host), br(boundAddress)];
  if (host === '0.0.0.0' || host === '::' || host === '[::]') {
    names.push(os.hostname());
    for (const list of Object.values(os.networkInterfaces()))
      for (const a of list ?? []) names.push(br(a.address));
  }
  return [...new Set(names)];
}

/** A path for the page: repository-relative, else the last component (never absolute). */
export function shownPath(p: string): string {
  const rel = portablePath(p);
  return path.isAbsolute(rel) ? path.basename(rel) : rel;
}

/** A copy of `v` in which every absolute path string is shown as shownPath does. */
export function withoutAbsolutePaths<T>(v: T): T {
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return path.isAbsolute(x) ? shownPath(x) : x;
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === 'object')
      return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    return x;
  };
  return walk(v) as T;
}

async function loadFaces(
  opts: ServeOptions,
  models: Record<ModelName, ServedModel>,
): Promise<TestFaces> {
  const ds = opts.ds ?? (await loadFer2013({ csv: opts.csv, log: opts.log }));
  const { cnn, 'cnn-lstm': lstm } = models;
  const test = testRowsFor(ds, cnn.meta ?? lstm.meta);
  if (cnn.meta && lstm.meta) {
    // Faces must be test images for both models; say so when the splits differ.
    const other = testRowsFor(ds, lstm.meta);
    if (other.split !== test.split || other.splitSeed !== test.splitSeed)
      opts.log?.(
        `serve: warning: the models were tested on different splits (${test.split}/${test.splitSeed} vs ${other.split}/${other.splitSeed}); faces follow ${cnn.dir}`,
      );
  }
  return selectTestFaces(ds, test, opts.perClass ?? 20);
}

/** Starts the server; resolves once it listens. `close()` stops it and ends open connections. */
export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8080;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new FerError(`--port must be an integer 0..65535, got ${port}`);
  const dirs = resolveModelDirs(opts.modelsDir, opts.root);
  const models = Object.fromEntries(
    MODEL_NAMES.map((n) => [n, loadServedModel(n, dirs[n])]),
  ) as Record<ModelName, ServedModel>;
  const faces = await loadFaces(opts, models);
  const app = await bundleClient();

  const routes = new Map<string, Route>();
  routes.set('/', { file: path.join(WEB_ROOT, 'index.html'), type: TYPES['.html'] });
  for (const f of ['index.html', 'style.css'])
    routes.set(`/${f}`, { file: path.join(WEB_ROOT, f), type: typeOf(f) });
  routes.set('/app.js', { body: Buffer.from(app), type: TYPES['.js'] });
  for (const [url, [pkg, file]] of Object.entries(VENDOR))
    routes.set(url, { file: vendorFile(pkg, file), type: typeOf(file) });
  for (const m of Object.values(models))
    for (const f of m.files)
      routes.set(
        `/models/${m.name}/${f}`,
        // meta.json is served rewritten: the training machine's absolute paths stay here.
        f === 'meta.json' && m.meta
          ? json(withoutAbsolutePaths(m.meta))
          : { file: path.join(m.dir, f), type: typeOf(f) },
      );
  routes.set('/api/faces.json', json(facesPayload(faces)));
  routes.set('/api/paper.json', json({ source: 'lib/eval/paper.ts', points: paperPoints() }));
  const measured = loadMeasuredCurves(opts.resultsDir ?? defaultResultsDir());
  for (const m of measured.missing)
    opts.log?.(`serve: no measured curve for ${m.model} (${m.source}: ${m.reason})`);
  routes.set('/api/measured.json', json(withoutAbsolutePaths(measured)));
  routes.set(
    '/api/models.json',
    json(
      Object.fromEntries(
        Object.values(models).map((m) => [
          m.name,
          {
            url: `/models/${m.name}/model.json`,
            dir: shownPath(m.dir),
            meta: withoutAbsolutePaths(m.meta),
          },
        ]),
      ),
    ),
  );

  // Filled in once the port is known: the Host values this server answers to.
  const allowedHosts = new Set<string>();
  const server = http.createServer((req, res) => {
    const send = (
      status: number,
      body: string | Buffer,
      type = 'text/plain; charset=utf-8',
    ): void => {
      res.writeHead(status, {
        'Content-Type': type,
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': CSP,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    // DNS rebinding: a page of another origin that resolves its name to this machine sends its
    // own name in Host; only this server's own names are answered.
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase()))
      return send(421, 'misdirected request: unknown Host\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    const p = safePath(req.url ?? '/');
    if (p === null) return send(400, 'bad path\n');
    const route = routes.get(p);
    if (!route) return send(404, 'not found\n');
    if ('body' in route) return send(200, route.body, route.type);
    streamFile(route.file, route.type, req, res, send);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new FerError(`port ${port} on ${host} is in use; pick another with --port`)
          : new FerError(
              `cannot listen on ${host}:${port}: ${osErrorToFerError(e)?.message ?? e.message}`,
            ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  for (const h of hostNames(host, urlHost)) allowedHosts.add(`${h.toLowerCase()}:${addr.port}`);
  return {
    url: `http://${urlHost}:${addr.port}/`,
    models,
    faces,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
