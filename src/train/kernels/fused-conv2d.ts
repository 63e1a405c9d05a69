/**
 * FusedConv2D (convolution + bias + activation, NHWC) for the wasm backend.
 *
 * Why: the indirect GEMM of `conv2d.ts` with the bias loaded into the accumulators and
 * the ReLU applied before the store, so the fused layer costs one pass over its output.
 * Other activations, per-element biases and NCHW go to the shipped kernel.
 */
import { FusedConv2D, util, type FusedConv2DAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { convOnHeap, nhwcInfo } from './conv2d.js';
import { heapOf } from './heap.js';
import { requiredInputs, shippedKernel } from './shipped.js';

function fusedConv2d(args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const { x, filter } = requiredInputs(args.inputs, 'fused-conv2d', 'x', 'filter');
  const bias = args.inputs.bias;
  const attrs = args.attrs as unknown as FusedConv2DAttrs;
  const info = nhwcInfo(x.shape, filter.shape, attrs);
  const O = filter.shape[3];
  const supported =
    info !== undefined &&
    x.dtype === 'float32' &&
    filter.dtype === 'float32' &&
    (attrs.activation === 'linear' || attrs.activation === 'relu') &&
    (bias === undefined || (bias.dtype === 'float32' && util.sizeFromShape(bias.shape) === O));
  if (!supported) return shippedKernel(FusedConv2D)(args);
  const heap = heapOf(args.backend);
  return convOnHeap(heap, x, filter, info, {
    bias: bias === undefined ? undefined : heap.offset(bias),
    relu: attrs.activation === 'relu',
  });
}

/** FusedConv2D on the wasm backend. */
export const fusedConv2DConfig: KernelConfig = {
  kernelName: FusedConv2D,
  backendName: 'wasm',
  kernelFunc: fusedConv2d,
};
