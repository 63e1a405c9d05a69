/**
 * Convolution windows read in place: padding copy and index tables for the indirect GEMM.
 *
 * Layout. For an NHWC input x [N, H, W, C] and a KH x KW window with strides (sh, sw),
 * dilations (dh, dw) and top/left padding, the (implicit) column matrix has one row per
 * output pixel p = (n, oh, ow) and one column per tap t = (kh, kw, c): element (p, t) is
 * x[n, oh*sh - top + kh*dh, ow*sw - left + kw*dw, c], zero outside x. Once x is copied
 * into a zero-bordered buffer [N, Hp, Wp, C] (skipped when no window leaves x), that
 * element sits at byte `pixels[p] + taps[t]` of the buffer, with
 *   pixels[p] = ((n*Hp + oh*sh)*Wp + ow*sw) * C * 4,
 *   taps[t]   = ((kh*dh)*Wp + kw*dw) * C * 4 + c * 4.
 * tfjs filters are [KH, KW, C, O], i.e. (KH*KW*C) x O in the same tap order, so a
 * convolution is a GEMM whose left operand is read through these two tables: no column
 * matrix is ever written (the indirect GEMM of `gemm.ts`).
 */
import type { backend_util } from '@tensorflow/tfjs-core';
import type { WasmHeap } from './heap.js';

/** Geometry of a 2-D NHWC window over an input. */
export interface Window {
  N: number;
  H: number;
  W: number;
  C: number;
  KH: number;
  KW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  top: number;
  left: number;
  OH: number;
  OW: number;
}

/** Returns the window of a tfjs convolution (NHWC). */
export function windowOf(info: backend_util.Conv2DInfo): Window {
  return {
    N: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    C: info.inChannels,
    KH: info.filterHeight,
    KW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    OH: info.outHeight,
    OW: info.outWidth,
  };
}

/** True when the column matrix of x is x itself (1 x 1 window, stride 1, no padding). */
export function isPointwise(w: Window): boolean {
  return w.KH === 1 && w.KW === 1 && w.strideH === 1 && w.strideW === 1 && w.top === 0 && w.left === 0 && w.OH === w.H && w.OW === w.W;
}

/** Height and width of the zero-bordered input: x's rows/columns plus whatever windows reach. */
function paddedSize(w: Window): { Hp: number; Wp: number } {
  const lastRow = (w.OH - 1) * w.strideH - w.top + (w.KH - 1) * w.dilationH;
  const lastCol = (w.OW - 1) * w.strideW - w.left + (w.KW - 1) * w.dilationW;
  return { Hp: w.top + Math.max(w.H, lastRow + 1), Wp: w.left + Math.max(w.W, lastCol + 1) };
}

/** The input as the indirect GEMM reads it: base byte offset and the two tables. */
export interface WindowedInput {
  base: number;
  /** i32 table of N*OH*OW pixel offsets. */
  pixels: number;
  /** i32 table of KH*KW*C tap offsets. */
  taps: number;
}

/**
 * Prepares x (byte offset) for reading through its windows: copies it into a
 * zero-bordered scratch buffer when a window reaches outside it, and returns the
 * buffer with the (kept) index tables.
 */
export function windowedInput(heap: WasmHeap, x: number, w: Window): WindowedInput {
  const { Hp, Wp } = paddedSize(w);
  const key = [w.N, w.H, w.W, w.C, w.KH, w.KW, w.strideH, w.strideW, w.dilationH, w.dilationW, w.top, w.left, w.OH, w.OW].join(',');
  const pixels = heap.table(`pixels ${key}`, () => {
    const t = new Int32Array(w.N * w.OH * w.OW);
    let p = 0;
    for (let n = 0; n < w.N; n++) {
      for (let oh = 0; oh < w.OH; oh++) {
        for (let ow = 0; ow < w.OW; ow++) t[p++] = ((n * Hp + oh * w.strideH) * Wp + ow * w.strideW) * w.C * 4;
      }
    }
    return t;
  });
  const taps = heap.table(`taps ${key}`, () => {
    const t = new Int32Array(w.KH * w.KW * w.C);
    let i = 0;
    for (let kh = 0; kh < w.KH; kh++) {
      for (let kw = 0; kw < w.KW; kw++) {
        for (let c = 0; c < w.C; c++) t[i++] = ((kh * w.dilationH * Wp + kw * w.dilationW) * w.C + c) * 4;
      }
    }
    return t;
  });
  if (Hp === w.H && Wp === w.W) return { base: x, pixels, taps };
  const base = heap.scratch('padded', w.N * Hp * Wp * w.C * 4);
  const f32 = heap.f32();
  const at = base >>> 2;
  f32.fill(0, at, at + w.N * Hp * Wp * w.C);
  const row = w.W * w.C;
  for (let n = 0; n < w.N; n++) {
    for (let h = 0; h < w.H; h++) {
      const from = (x >>> 2) + (n * w.H + h) * row;
      f32.copyWithin(at + ((n * Hp + h + w.top) * Wp + w.left) * w.C, from, from + row);
    }
  }
  return { base, pixels, taps };
}

/** Column-matrix floats per chunk: large enough to amortise a call, small enough for L2. */
const CHUNK_FLOATS = 1 << 17;

/** Splits the batch into chunks of whole images whose column matrices fit CHUNK_FLOATS; returns [first, count] pairs. */
export function imageChunks(w: Window): Array<[number, number]> {
  const perImage = w.OH * w.OW * w.KH * w.KW * w.C;
  const step = Math.max(1, Math.floor(CHUNK_FLOATS / Math.max(1, perImage)));
  const chunks: Array<[number, number]> = [];
  for (let n = 0; n < w.N; n += step) chunks.push([n, Math.min(step, w.N - n)]);
  return chunks;
}
