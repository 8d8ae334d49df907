import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import {
  AUTO_ORDER,
  BACKEND_NAMES,
  DETERMINISM,
  backendOption,
  parseBackendName,
  probeBackends,
  setupBackend,
} from '../../lib/backend';
import { FerError } from '../../lib/util/errors';

describe('backend selection', () => {
  after(async () => {
    await tf.setBackend('cpu');
  });

  it('parses every known name and rejects others with a FerError', () => {
    for (const n of BACKEND_NAMES) assert.equal(parseBackendName(n), n);
    assert.equal(parseBackendName(' wasm '), 'wasm');
    assert.throws(
      () => parseBackendName('gpu'),
      (e: unknown) => e instanceof FerError && /unknown backend 'gpu'/.test(e.message),
    );
  });

  it('takes --backend over FER_BACKEND over auto', () => {
    assert.equal(backendOption('cpu', { FER_BACKEND: 'wasm' }), 'cpu');
    assert.equal(backendOption(undefined, { FER_BACKEND: 'wasm' }), 'wasm');
    assert.equal(backendOption(undefined, {}), 'auto');
    assert.throws(() => backendOption(undefined, { FER_BACKEND: 'cuda' }), FerError);
  });

  it('probes every backend in auto order, each with a reason', async () => {
    const probes = await probeBackends();
    assert.deepEqual(
      probes.map((p) => p.name),
      [...AUTO_ORDER],
    );
    for (const p of probes) {
      if (!p.available) assert.ok(p.reason.length > 0, `${p.name} has no reason`);
      assert.ok(DETERMINISM[p.name].length > 0);
    }
    // cpu and wasm ship with the package and must always work.
    assert.ok(probes.find((p) => p.name === 'cpu')?.available);
    assert.ok(probes.find((p) => p.name === 'wasm')?.available);
  });

  it('does not mistake the tfjs-node stand-in (the package.json override) for the native backend', async () => {
    const p = (await probeBackends()).find((q) => q.name === 'tfjs-node');
    assert.ok(p);
    assert.equal(p.available, tf.findBackendFactory('tensorflow') !== null);
  });

  it('auto logs each unavailable backend, then the choice, and activates it', async () => {
    const lines: string[] = [];
    const chosen = await setupBackend('auto', { log: (s) => lines.push(s) });
    const probes = await probeBackends();
    const first = probes.find((p) => p.available);
    assert.equal(chosen, first?.name);
    const skipped = probes.slice(0, probes.indexOf(first!));
    assert.deepEqual(
      lines.slice(0, -1),
      skipped.map((p) => `${p.name}: ${p.reason}`),
    );
    assert.match(lines[lines.length - 1], new RegExp(`^backend: ${chosen} \\(chosen by auto`));
  });

  it('activates a named backend and registers the wasm training kernels', async () => {
    assert.equal(await setupBackend('cpu'), 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(await setupBackend('wasm'), 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    // tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter of its own.
    assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
  });

  it('refuses an unavailable backend by name with the reason', async () => {
    const missing = (await probeBackends()).find((p) => !p.available);
    if (!missing) return; // every backend works on this machine: nothing to refuse
    await assert.rejects(
      setupBackend(missing.name),
      (e: unknown) => e instanceof FerError && e.message.includes(missing.reason),
    );
  });

  it('rejects an unknown name passed through untyped code', async () => {
    await assert.rejects(setupBackend('tpu' as never), FerError);
  });
});
