/**
 * Conv2D (NHWC) for the wasm backend as im2col + the SIMD GEMM of `gemm.ts`.
 *
 * Algorithm: per chunk of images, gather the column matrix (one row per output pixel,
 * one column per filter tap, see `im2col.ts`) and multiply it by the filter viewed as a
 * (KH*KW*C) x O matrix, writing the NHWC output directly. A 1 x 1 stride-1 unpadded
 * convolution skips the gather: its input already is the column matrix.
 *
 * Why it is faster in training: the shipped kernel (XNNPACK) re-packs the filter on
 * every call because the filter tensor changes every step, and its small-channel paths
 * (LeNet's 1 and 6 input channels) run far below the GEMM's throughput.
 */
import {
  backend_util,
  Conv2D,
  type Conv2DAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { Epilogue } from './batch-mat-mul.js';
import { gemm } from './gemm.js';
import { heapOf, type WasmHeap } from './heap.js';
import { im2col, imageChunks, isPointwise, windowOf } from './im2col.js';
import { requiredInputs, shippedKernel } from './shipped.js';

/** Returns the NHWC geometry of a convolution, or undefined when it is not NHWC. */
export function nhwcInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Pick<Conv2DAttrs, 'strides' | 'pad' | 'dataFormat' | 'dimRoundingMode'> & { dilations?: Conv2DAttrs['dilations'] },
): backend_util.Conv2DInfo | undefined {
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  return info.dataFormat === 'channelsLast' ? info : undefined;
}

/** Computes conv(x, filter) (+ bias, ReLU) on the heap; returns the new NHWC output. */
export function convOnHeap(
  heap: WasmHeap,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  epilogue: Epilogue = {},
): TensorInfo {
  const w = windowOf(info);
  const K = w.KH * w.KW * w.C;
  const O = info.outChannels;
  const pixels = w.OH * w.OW;
  const out = heap.output(info.outShape);
  const xAt = heap.offset(x);
  const filterAt = heap.offset(filter);
  const b = { at: filterAt, rows: O, cols: 1 };
  if (isPointwise(w)) {
    gemm(heap, { a: { at: xAt, rows: K, cols: 1 }, b, c: out.at, ldc: O, M: w.N * pixels, N: O, K, ...epilogue });
    return out.info;
  }
  for (const [first, count] of imageChunks(w)) {
    const cols = heap.scratch('columns', count * pixels * K * 4);
    im2col(heap, xAt + first * w.H * w.W * w.C * 4, { ...w, N: count }, cols);
    const c = out.at + first * pixels * O * 4;
    gemm(heap, { a: { at: cols, rows: K, cols: 1 }, b, c, ldc: O, M: count * pixels, N: O, K, ...epilogue });
  }
  return out.info;
}

function conv2d(args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const { x, filter } = requiredInputs(args.inputs, 'conv2d', 'x', 'filter');
  const attrs = args.attrs as unknown as Conv2DAttrs;
  const info = nhwcInfo(x.shape, filter.shape, attrs);
  if (info === undefined || x.dtype !== 'float32' || filter.dtype !== 'float32') return shippedKernel(Conv2D)(args);
  return convOnHeap(heapOf(args.backend), x, filter, info);
}

/** Conv2D on the wasm backend. */
export const conv2DConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName: 'wasm',
  kernelFunc: conv2d,
};
