/**
 * Conv2DBackpropInput (the input gradient, NHWC) for the wasm backend.
 *
 * Algorithm: the column-matrix gradient dcols = dy · Wᵀ (pixels x O times O x KH*KW*C,
 * the filter read transposed through strides) followed by col2im, which scatter-adds
 * every tap back onto the input position it was read from (`col2im.ts`). Unlike the
 * "forward convolution of the dilated dy" formulation, no multiplications are spent on
 * the zeros that dilation and padding insert. Chunks of images keep dcols in cache.
 *
 * Why it is faster than the shipped kernel: that one is a direct scalar loop nest; here
 * the arithmetic is the SIMD GEMM and the scatter moves contiguous runs.
 */
import {
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { nhwcInfo } from './conv2d.js';
import { gemm } from './gemm.js';
import { heapOf } from './heap.js';
import { col2im } from './col2im.js';
import { imageChunks, isPointwise, windowOf } from './window.js';
import { requiredInputs, shippedKernel } from './shipped.js';

function conv2DBackpropInput(args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const { dy, filter } = requiredInputs(args.inputs, 'conv2d-backprop-input', 'dy', 'filter');
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const info = nhwcInfo(attrs.inputShape, filter.shape, attrs);
  if (info === undefined || dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    return shippedKernel(Conv2DBackpropInput)(args);
  }
  const heap = heapOf(args.backend);
  const w = windowOf(info);
  const K = w.KH * w.KW * w.C;
  const O = info.outChannels;
  const pixels = w.OH * w.OW;
  const out = heap.output([...attrs.inputShape]);
  const dyAt = heap.offset(dy);
  const b = { at: heap.offset(filter), rows: 1, cols: O };
  if (isPointwise(w)) {
    gemm(heap, { a: { at: dyAt, rows: O, cols: 1 }, b, c: out.at, ldc: K, M: w.N * pixels, N: K, K: O });
    return out.info;
  }
  heap.f32().fill(0, out.at >> 2, (out.at >> 2) + w.N * w.H * w.W * w.C);
  for (const [first, count] of imageChunks(w)) {
    const dcols = heap.scratch('columns', count * pixels * K * 4);
    const a = { at: dyAt + first * pixels * O * 4, rows: O, cols: 1 };
    gemm(heap, { a, b, c: dcols, ldc: K, M: count * pixels, N: K, K: O });
    col2im(heap, dcols, { ...w, N: count }, out.at + first * w.H * w.W * w.C * 4);
  }
  return out.info;
}

/** Conv2DBackpropInput on the wasm backend. */
export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
