/**
 * Shared pieces of the pooling-gradient kernels: the pool geometry of a tfjs call, the
 * emitted clipping of a window to the input, and the loops over every output position.
 */
import { backend_util, type MaxPoolAttrs } from '@tensorflow/tfjs-core';
import type { FunctionBuilder } from '../../util/wasm-asm.js';
import { I32, OP } from '../../util/wasm-asm.js';

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

/**
 * Emits the loops over every output position (b, yr, yc) of a pool on NHWC float32 input:
 * at each, the window's input rows [rlo, rhi) and columns [clo, chi) are clipped to the
 * input and `body` is emitted; after each image the i32 local `imageBase` advances by one
 * image. Declares and sets the i32 locals rowBytes, imageBytes and C4 (channels rounded
 * down to a multiple of 4) and the window locals, for `body` to use.
 */
export function emitPoolWindows(f: FunctionBuilder, imageBase: string, body: () => void): void {
  for (const l of ['rowBytes', 'imageBytes', 'C4', 'r0', 'c0', 'rlo', 'rhi', 'clo', 'chi']) f.local(l, I32);
  f.get('W').get('C').op(OP.i32Mul).i32(2).op(OP.i32Shl).set('rowBytes');
  f.get('H').get('rowBytes').op(OP.i32Mul).set('imageBytes');
  f.get('C').i32(-4).op(OP.i32And).set('C4');
  f.for('b', 0, 'N', 1, () => {
    f.for('yr', 0, 'OH', 1, () => {
      f.get('yr').get('sh').op(OP.i32Mul).get('top').op(OP.i32Sub).set('r0');
      emitClippedRange(f, 'r0', 'fh', 'H', 'rlo', 'rhi');
      f.for('yc', 0, 'OW', 1, () => {
        f.get('yc').get('sw').op(OP.i32Mul).get('left').op(OP.i32Sub).set('c0');
        emitClippedRange(f, 'c0', 'fw', 'W', 'clo', 'chi');
        body();
      });
    });
    f.addTo(imageBase, 'imageBytes');
  });
}
