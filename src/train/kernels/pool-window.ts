/**
 * Shared pieces of the pooling-gradient kernels: the pool geometry of a tfjs call and
 * the emitted clipping of a window to the input.
 */
import { backend_util, type MaxPoolAttrs } from '@tensorflow/tfjs-core';
import type { FunctionBuilder } from '../../util/wasm-asm.js';
import { OP } from '../../util/wasm-asm.js';

/** Returns the pool geometry (NHWC) of a pooling call (or its gradient) on an input of `shape`. */
export function poolInfo(shape: number[], attrs: MaxPoolAttrs): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(
    shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode,
  );
}

/** The pool routines' parameters, in the order `poolArgs` gives them. */
export const POOL_PARAMS = ['N', 'H', 'W', 'C', 'OH', 'OW', 'fh', 'fw', 'sh', 'sw', 'top', 'left'] as const;

/** Returns the values of POOL_PARAMS for a pool geometry. */
export function poolArgs(info: backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
  ];
}

/** Emits lo = max(start, 0), hi = min(start + size, limit) on i32 locals: a window clipped to the input. */
export function emitClippedRange(f: FunctionBuilder, start: string, size: string, limit: string, lo: string, hi: string): void {
  f.i32(0).get(start).get(start).i32(0).op(OP.i32LtS, OP.select).set(lo);
  f.get(limit).get(start).get(size).op(OP.i32Add).tee(hi).get(hi).get(limit).op(OP.i32GtS, OP.select).set(hi);
}
