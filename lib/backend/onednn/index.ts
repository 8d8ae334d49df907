/**
 * The `onednn` tfjs backend: the wasm backend's memory and kernels (with this project's wasm
 * training kernels), with the heavy kernels replaced by oneDNN primitives from the native
 * addon (see kernels.ts for which, and docs/backends.md for building the addon).
 *
 * The backend *is* the started wasm backend instance, registered a second time under the name
 * 'onednn' with its own kernel table: tensors live on the wasm heap, the native kernels read
 * and write that heap in place, and every other kernel is the wasm one. Switching between
 * 'wasm' and 'onednn' therefore moves no data.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../wasm-kernels';
import type { OnednnAddon, OnednnInfo } from './addon';
import { bnGradSumKernel, registerOnednnGradients } from './gradients';
import { onednnKernelConfigs, ONEDNN_KERNELS } from './kernels';

export { loadOnednnAddon, ADDON_PATH, type OnednnAddon, type OnednnInfo } from './addon';
export { ONEDNN_KERNELS, onednnKernelCalls } from './kernels';

export const ONEDNN_BACKEND = 'onednn';

let registeredWith: OnednnAddon | null = null;
let ompThreads = 1;

/**
 * Registers the 'onednn' tfjs backend (idempotent). Its factory returns the wasm backend, which
 * must have been started first (lib/backend/index.ts starts it with the thread setting).
 */
export function registerOnednnBackend(addon: OnednnAddon): void {
  if (registeredWith) return;
  registerWasmTrainingKernels();
  const wasmKernels = new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k]));
  for (const k of wasmKernels.values())
    if (!(k.kernelName in ONEDNN_KERNELS)) tf.registerKernel({ ...k, backendName: ONEDNN_BACKEND });
  for (const k of onednnKernelConfigs(addon, ONEDNN_BACKEND, (n) => wasmKernels.get(n)))
    tf.registerKernel(k);
  tf.registerKernel(bnGradSumKernel(addon, ONEDNN_BACKEND));
  registerOnednnGradients(ONEDNN_BACKEND);
  tf.registerBackend(
    ONEDNN_BACKEND,
    () => {
      const wasm = tf.engine().registry.wasm;
      if (!wasm) throw new Error('the wasm backend must be started before onednn');
      return wasm;
    },
    // Below wasm and cpu: tfjs never picks it by itself, only lib/backend does.
    0,
  );
  registeredWith = addon;
}

/** Sets oneDNN's (OpenMP's) thread count; returns the count in use. */
export function setOnednnThreads(addon: OnednnAddon, n: number): number {
  addon.setNumThreads(n);
  ompThreads = addon.numThreads();
  return ompThreads;
}

/** oneDNN's thread count as last set (1 before the backend is set up). */
export function onednnThreadsInUse(): number {
  return ompThreads;
}

/** Version, runtime and the ISA the convolution kernels dispatch to, for logs and `fer backends`. */
export function onednnDescription(addon: OnednnAddon): string {
  const i: OnednnInfo = addon.info();
  return `oneDNN ${i.version} (${i.cpuRuntime}), convolutions: ${addon.probeConvImpl()}`;
}
