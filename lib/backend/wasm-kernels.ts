/**
 * Registers the project's training kernels on the wasm backend, replacing tfjs's own where it
 * has one (see wasm-conv-grad.ts for why). Idempotent.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CONV_GRAD_KERNELS } from './wasm-conv-grad';
import { fastWasmKernels } from './wasm-fast-kernels';

let registered = false;

export function wasmTrainingKernels(): tf.KernelConfig[] {
  return [...CONV_GRAD_KERNELS, ...fastWasmKernels()];
}

export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const k of wasmTrainingKernels()) {
    if (tf.getKernel(k.kernelName, 'wasm')) tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
  registered = true;
}
