/**
 * Convolution (conv + bias + ReLU, NHWC; ../ops/convolution.ts) for the wasm backend: the
 * indirect GEMM of `conv2d.ts` with the bias loaded into the accumulators and the ReLU
 * applied before the single store.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Convolution } from '../ops/kernel-names.js';
import type { ConvolutionAttrs } from '../ops/kernel-names.js';
import { convOnHeap, nhwcInfo } from './conv2d.js';
import { heapOf } from './heap.js';
import { requiredInputs } from './shipped.js';

function convolution(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { x, filter } = requiredInputs(args.inputs, 'convolution', 'x', 'filter');
  const bias = args.inputs.bias;
  if ([x, filter, bias ?? x].some((t) => t.dtype !== 'float32')) throw new Error('convolution: x, filter and bias must be float32');
  const { stride, padding, relu } = args.attrs as unknown as ConvolutionAttrs;
  const info = nhwcInfo(x.shape, filter.shape, { strides: stride, pad: padding, dataFormat: 'NHWC', dimRoundingMode: undefined });
  if (info === undefined) throw new Error('convolution: NHWC geometry expected');
  const heap = heapOf(args.backend);
  return convOnHeap(heap, x, filter, info, { bias: bias === undefined ? undefined : heap.offset(bias), relu });
}

/** Convolution on the wasm backend. */
export const convolutionConfig: KernelConfig = { kernelName: Convolution, backendName: 'wasm', kernelFunc: convolution };
