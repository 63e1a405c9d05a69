/**
 * Conv2DBackpropFilter (the filter gradient, NHWC) for the wasm backend, which ships
 * without it.
 *
 * Algorithm: dW (a (KH*KW*C) x O matrix, i.e. [KH, KW, C, O]) = colsᵀ · dy, with dy
 * viewed as (pixels x O) and cols the input's column matrix, read in place through the
 * tap and pixel tables of `window.ts` (the indirect GEMM with the roles of the two
 * tables swapped: rows are taps, the shared dimension runs over pixels). The pixels are
 * taken in chunks whose products accumulate into dW, so each chunk of dy stays in cache
 * while every block of dW passes over it.
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
import { windowedInput, windowOf } from './window.js';
import { requiredInputs } from './shipped.js';

/**
 * Pixels per product: the chunk's dy panels and the input rows its windows read stay
 * in L2 while every block of dW passes over them (measured: 256 pixels for 64 -> 64
 * channels, 4096 for LeNet's first layer).
 */
function pixelChunk(C: number, O: number): number {
  return Math.max(256, Math.min(4096, Math.floor(32768 / (C + O))));
}

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
  const pixels = w.N * w.OH * w.OW;
  const out = heap.output([...attrs.filterShape]);
  const dyAt = heap.offset(dy);
  const input = windowedInput(heap, heap.offset(x), w);
  const chunk = pixelChunk(w.C, O);
  for (let first = 0; first < pixels; first += chunk) {
    const count = Math.min(chunk, pixels - first);
    gemm(heap, {
      a: { base: input.base, rows: input.taps, ks: input.pixels + first * 4 },
      b: { at: dyAt + first * O * 4, rows: O, cols: 1 },
      c: out.at,
      ldc: O,
      M: K,
      N: O,
      K: count,
      accumulate: first > 0,
    });
  }
  return out.info;
}

/** Conv2DBackpropFilter on the wasm backend. */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
