/**
 * Bundles the page's script (web/app.ts) for the browser with esbuild, in memory at server
 * start. The page imports the study's own Rng and noise code, so the noise the browser adds is
 * the same function the evaluation uses, not a re-implementation. esbuild comes with tsx.
 */
import * as path from 'node:path';
import { FerError } from '../util/errors';

export const WEB_ROOT = path.resolve(__dirname, '..', '..', 'web');

/** web/app.ts and what it imports, as one IIFE script. tfjs and Plotly stay page globals. */
export async function bundleClient(entry = path.join(WEB_ROOT, 'app.ts')): Promise<string> {
  const esbuild = await import('esbuild');
  try {
    const r = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'iife',
      target: 'es2020',
      platform: 'browser',
      sourcemap: 'inline',
      logLevel: 'silent',
    });
    return r.outputFiles[0].text;
  } catch (e) {
    throw new FerError(`cannot bundle the page script: ${(e as Error).message}`, entry);
  }
}
