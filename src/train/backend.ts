/**
 * Selects the tfjs backend for training: the WebAssembly backend (SIMD, one thread per
 * process), never the pure-JS `cpu` backend, which is orders of magnitude slower.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node build registers no gradients and its ES build cannot load in Node;
// the union package's Node build registers them all into tfjs's global registry.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { EpochgraphError } from '../errors.js';
import { registerTrainingKernels } from './kernels/index.js';
import { registerTrainingGradients } from './ops/index.js';

/**
 * Makes `wasm` the active tfjs backend, with epochgraph's training kernels and the
 * gradients of its training ops registered (the shipped backend lacks the conv filter
 * gradient). Returns once it is ready; idempotent.
 */
export async function useTrainingBackend(): Promise<void> {
  registerTrainingKernels();
  registerTrainingGradients();
  if (tf.getBackend() === 'wasm') return;
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new EpochgraphError('train: the tfjs wasm backend failed to initialise');
  await tf.ready();
}
