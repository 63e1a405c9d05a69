/**
 * Conv2DBackpropFilter (the filter gradient, NHWC) for the wasm backend, which ships
 * without it.
 *
 * Algorithm: dW (a (KH*KW*C) x O matrix, i.e. [KH, KW, C, O]) = colsᵀ · dy, where cols
 * is the input's column matrix (`im2col.ts`) and dy is viewed as (pixels x O). The
 * transpose is a stride change in the GEMM, and the batch is processed in chunks of
 * images whose products accumulate into dW, so the gathered columns stay in cache.
 */
import {
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { nhwcInfo } from './conv2d.js';
import { gemm } from './gemm.js';
import { heapOf } from './heap.js';
import { im2col, imageChunks, isPointwise, windowOf } from './im2col.js';
import { requiredInputs } from './shipped.js';

function conv2DBackpropFilter(args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const { x, dy } = requiredInputs(args.inputs, 'conv2d-backprop-filter', 'x', 'dy');
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const info = nhwcInfo(x.shape, attrs.filterShape, attrs);
  if (info === undefined) throw new Error('conv2d-backprop-filter: only NHWC (channelsLast) data is supported');
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`conv2d-backprop-filter: float32 tensors expected, got ${x.dtype} and ${dy.dtype}`);
  }
  const heap = heapOf(args.backend);
  const w = windowOf(info);
  const K = w.KH * w.KW * w.C;
  const O = info.outChannels;
  const pixels = w.OH * w.OW;
  const out = heap.output([...attrs.filterShape]);
  const xAt = heap.offset(x);
  const dyAt = heap.offset(dy);
  if (isPointwise(w)) {
    const a = { at: xAt, rows: 1, cols: K };
    gemm(heap, { a, b: { at: dyAt, rows: O, cols: 1 }, c: out.at, ldc: O, M: K, N: O, K: w.N * pixels });
    return out.info;
  }
  imageChunks(w).forEach(([first, count], i) => {
    const cols = heap.scratch('columns', count * pixels * K * 4);
    im2col(heap, xAt + first * w.H * w.W * w.C * 4, { ...w, N: count }, cols);
    gemm(heap, {
      a: { at: cols, rows: 1, cols: K },
      b: { at: dyAt + first * pixels * O * 4, rows: O, cols: 1 },
      c: out.at,
      ldc: O,
      M: K,
      N: O,
      K: count * pixels,
      accumulate: i > 0,
    });
  });
  return out.info;
}

/** Conv2DBackpropFilter on the wasm backend. */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
