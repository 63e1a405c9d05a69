/**
 * Conv2DBackpropInput (the input gradient, NHWC) for the wasm backend.
 *
 * Two algorithms, chosen by an estimate of their cost:
 * - Column gradient + col2im: dcols = dy · Wᵀ (pixels x O times O x KH*KW*C, the
 *   filter packed once, transposed through strides), then every tap is added back onto
 *   the input element it was read from (`col2im.ts`), in chunks of images that keep
 *   dcols in cache. No multiplication is spent on padding or, with strides, on the
 *   zeros a dilated dy would contain.
 * - With stride 1, the transposed convolution: dx is the convolution of dy, bordered
 *   by KH-1-top (and KW-1-left) zeros, with the filter rotated by 180° and its channel
 *   axes swapped, run as the indirect GEMM of `conv2d.ts`. This writes dx directly and
 *   wins when the gradient of a 'same' convolution with several channels is wanted
 *   (a ResNet's 3 x 3 layers), where the col2im pass is as costly as the product.
 *
 * Why it is faster than the shipped kernel: that one is a direct scalar loop nest; here
 * the arithmetic is the SIMD GEMM.
 */
import {
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { nhwcInfo } from './conv2d.js';
import { gemm, packOperand } from './gemm.js';
import { heapOf, type WasmHeap } from './heap.js';
import { col2im } from './col2im.js';
import { imageChunks, isPointwise, windowedInput, windowOf, type Window } from './window.js';
import { requiredInputs, shippedKernel } from './shipped.js';

/** Estimated cost ratio of one col2im element to one multiply-add lane of the GEMM. */
const COL2IM_WEIGHT = 6;

/** True when stride is 1 and the transposed convolution is estimated cheaper than dcols + col2im. */
function transposedIsCheaper(w: Window, O: number): boolean {
  if (w.strideH !== 1 || w.strideW !== 1) return false;
  const lanes = (n: number): number => Math.ceil(n / 8) * 8;
  const K = w.KH * w.KW * w.C;
  const columns = w.N * w.OH * w.OW * K;
  const direct = (columns / K) * lanes(K) * O + COL2IM_WEIGHT * columns;
  const transposed = w.N * w.H * w.W * w.KH * w.KW * O * lanes(w.C);
  return transposed < direct;
}

/** dx (byte offset) = conv(dy bordered, rotated filter with channels swapped), stride 1. */
function transposedConvolution(heap: WasmHeap, dyAt: number, filterAt: number, w: Window, O: number, dxAt: number): void {
  const { KH, KW, C } = w;
  // Rotated filter as a (KH*KW*O) x C matrix: row (kh, kw, o) = W[KH-1-kh, KW-1-kw, :, o].
  const rotated = heap.scratch('columns', KH * KW * O * C * 4);
  const f32 = heap.f32();
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const from = (filterAt >>> 2) + ((KH - 1 - kh) * KW + (KW - 1 - kw)) * C * O;
      const to = (rotated >>> 2) + (kh * KW + kw) * O * C;
      for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) f32[to + o * C + c] = f32[from + c * O + o];
    }
  }
  const window: Window = {
    N: w.N, H: w.OH, W: w.OW, C: O, KH, KW, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
    top: KH - 1 - w.top, left: KW - 1 - w.left, OH: w.H, OW: w.W,
  };
  const input = windowedInput(heap, dyAt, window);
  gemm(heap, {
    a: { base: input.base, rows: input.pixels, ks: input.taps },
    b: { at: rotated, rows: C, cols: 1 },
    c: dxAt,
    ldc: C,
    M: w.N * w.H * w.W,
    N: C,
    K: KH * KW * O,
  });
}

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
  const filterT = { at: heap.offset(filter), rows: 1, cols: O };
  if (isPointwise(w)) {
    gemm(heap, { a: { at: dyAt, rows: O, cols: 1 }, b: filterT, c: out.at, ldc: K, M: w.N * pixels, N: K, K: O });
    return out.info;
  }
  if (transposedIsCheaper(w, O)) {
    transposedConvolution(heap, dyAt, heap.offset(filter), w, O, out.at);
    return out.info;
  }
  heap.f32().fill(0, out.at >>> 2, (out.at >>> 2) + w.N * w.H * w.W * w.C);
  const b = packOperand(heap, filterT, O, K);
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
