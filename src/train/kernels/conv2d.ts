/**
 * Conv2D (NHWC) for the wasm backend as an indirect GEMM.
 *
 * Algorithm: the output, viewed as (N*OH*OW) x O, is the product of the input's column
 * matrix and the filter viewed as (KH*KW*C) x O. The column matrix is never written: the
 * GEMM reads each element straight from the (zero-bordered) input through a pixel table
 * and a tap table (`window.ts`), so the cost is the product alone, with the bias and
 * ReLU of FusedConv2D applied in its epilogue.
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
import { windowedInput, windowOf } from './window.js';
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
  const out = heap.output(info.outShape);
  const input = windowedInput(heap, heap.offset(x), w);
  gemm(heap, {
    a: { base: input.base, rows: input.pixels, ks: input.taps },
    b: { at: heap.offset(filter), rows: O, cols: 1 },
    c: out.at,
    ldc: O,
    M: w.N * w.OH * w.OW,
    N: O,
    K,
    ...epilogue,
  });
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
