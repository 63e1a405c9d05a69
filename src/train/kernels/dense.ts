/**
 * Dense (x·W + b, optional ReLU) for the wasm backend: the SIMD GEMM of `gemm.ts` with
 * the bias loaded into the accumulators and the ReLU applied before the single store.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Dense } from '../ops/kernel-names.js';
import type { DenseAttrs } from '../ops/kernel-names.js';
import { matMulOnHeap } from './batch-mat-mul.js';
import { heapOf } from './heap.js';
import { requiredInputs } from './shipped.js';

function dense(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { x, weight, bias } = requiredInputs(args.inputs, 'dense', 'x', 'weight', 'bias');
  if ([x, weight, bias].some((t) => t.dtype !== 'float32')) throw new Error('dense: x, weight and bias must be float32');
  const { relu } = args.attrs as unknown as DenseAttrs;
  const heap = heapOf(args.backend);
  return matMulOnHeap(heap, x, weight, false, false, { bias: heap.offset(bias), relu });
}

/** Dense on the wasm backend. */
export const denseConfig: KernelConfig = { kernelName: Dense, backendName: 'wasm', kernelFunc: dense };
