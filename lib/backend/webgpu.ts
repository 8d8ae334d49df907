/**
 * WebGPU in Node through the `webgpu` npm package (Dawn's `dawn.node`), which gives tfjs's
 * WebGPU backend a GPU with no CUDA/cuDNN version coupling (unlike tfjs-node-gpu).
 *
 * `@tensorflow/tfjs-backend-webgpu` registers itself at import time only if
 * `globalThis.navigator.gpu` exists, so the globals are installed first and the backend module
 * is required afterwards, and only once an adapter has been found.
 */
import { execFileSync } from 'node:child_process';

/** The few members of a GPUAdapter this module reads (Dawn's object has many more). */
interface Adapter {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}
interface Gpu {
  requestAdapter(opts?: { powerPreference?: string }): Promise<Adapter | null>;
}
interface WebgpuModule {
  create(options: string[]): Gpu;
  globals: Record<string, unknown>;
}

export interface WebgpuProbe {
  available: boolean;
  /** "no adapter (…)", "not installed (…)", or the adapter's name when available. */
  reason: string;
  adapterName?: string;
}

let cached: Promise<WebgpuProbe> | undefined;

/** Name of a Dawn adapter from its `info` ("NVIDIA H100 (vulkan)" style). */
export function adapterName(a: Adapter): string {
  const i = a.info ?? {};
  const name = i.description || i.device || i.architecture || 'unknown adapter';
  return i.vendor && !name.toLowerCase().includes(i.vendor.toLowerCase())
    ? `${i.vendor} ${name}`
    : name;
}

function vulkanLoaderPresent(): boolean | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).includes('libvulkan.so.1');
  } catch {
    return undefined;
  }
}

async function probe(): Promise<WebgpuProbe> {
  let mod: WebgpuModule;
  try {
    mod = (await import('webgpu')) as unknown as WebgpuModule;
  } catch (e) {
    return { available: false, reason: `not installed (${firstLine(e)})` };
  }
  let gpu: Gpu;
  let adapter: Adapter | null;
  try {
    gpu = mod.create([]);
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { available: false, reason: `no adapter (${firstLine(e)})` };
  }
  if (!adapter) {
    const hint = vulkanLoaderPresent() === false ? ' (Vulkan loader libvulkan.so.1 not found)' : '';
    return { available: false, reason: `no adapter${hint}` };
  }
  // Globals for tfjs-backend-webgpu: GPUBufferUsage etc., and navigator.gpu.
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in g)) g[k] = v;
  const nav = (g.navigator ?? {}) as Record<string, unknown>;
  Object.defineProperty(g, 'navigator', {
    value: Object.assign(Object.create(nav) as object, { gpu }),
    configurable: true,
    writable: true,
  });
  await import('@tensorflow/tfjs-backend-webgpu');
  const name = adapterName(adapter);
  return { available: true, reason: name, adapterName: name };
}

/** Looks for a WebGPU adapter once per process; when found, registers tfjs's 'webgpu' backend. */
export function probeWebgpu(): Promise<WebgpuProbe> {
  cached ??= probe();
  return cached;
}

export function firstLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.split('\n')[0].trim();
}
