/**
 * BatchMatMul for the wasm backend: every transpose combination through the SIMD GEMM
 * of `gemm.ts`, with tfjs's batch broadcasting.
 *
 * Why: the shipped kernel runs XNNPACK only when neither operand is transposed and
 * re-packs the weights on every call (they change every step), and otherwise runs a
 * scalar loop; the two products of every dense layer's backward pass are transposed.
 * Here a transpose is only a change of strides.
 */
import {
  BatchMatMul,
  broadcast_util,
  util,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { gemm } from './gemm.js';
import { heapOf, type WasmHeap } from './heap.js';
import { requiredInputs, shippedKernel } from './shipped.js';

/** For each flat index of `outBatch`, the flat index into `batch` (right-aligned broadcast). */
function broadcastIndices(outBatch: number[], batch: number[]): number[] {
  const rank = outBatch.length;
  const padded = [...new Array<number>(rank - batch.length).fill(1), ...batch];
  const strides = util.computeStrides(padded);
  const total = util.sizeFromShape(outBatch);
  const out = new Array<number>(total);
  for (let o = 0; o < total; o++) {
    let rest = o;
    let index = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const coord = rest % outBatch[d];
      rest = Math.floor(rest / outBatch[d]);
      if (padded[d] !== 1) index += coord * (d < rank - 1 ? strides[d] : 1);
    }
    out[o] = index;
  }
  return out;
}

/** Fused epilogue of a product: byte offset of N bias floats, ReLU. */
export interface Epilogue {
  bias?: number;
  relu?: boolean;
}

/**
 * Computes op(a)·op(b) for float32 tensors of rank >= 2 on the heap, broadcasting batch
 * dimensions; returns the new output tensor [...batch, M, N].
 */
export function matMulOnHeap(
  heap: WasmHeap,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  epilogue: Epilogue = {},
): TensorInfo {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) throw new Error(`batch-mat-mul: operands must have rank >= 2, got ${a.shape} and ${b.shape}`);
  const [aRows, aCols] = [a.shape[ra - 2], a.shape[ra - 1]];
  const [bRows, bCols] = [b.shape[rb - 2], b.shape[rb - 1]];
  const M = transposeA ? aCols : aRows;
  const K = transposeA ? aRows : aCols;
  const N = transposeB ? bRows : bCols;
  const Kb = transposeB ? bCols : bRows;
  if (K !== Kb) {
    throw new Error(`batch-mat-mul: inner dimensions ${K} and ${Kb} differ (shapes ${a.shape} and ${b.shape})`);
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const outBatch = broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
  const out = heap.output([...outBatch, M, N]);
  const aAt = heap.offset(a);
  const bAt = heap.offset(b);
  const aIndex = broadcastIndices(outBatch, batchA);
  const bIndex = broadcastIndices(outBatch, batchB);
  for (let o = 0; o < aIndex.length; o++) {
    gemm(heap, {
      a: { at: aAt + aIndex[o] * aRows * aCols * 4, rows: transposeA ? 1 : aCols, cols: transposeA ? aCols : 1 },
      b: { at: bAt + bIndex[o] * bRows * bCols * 4, rows: transposeB ? 1 : bCols, cols: transposeB ? bCols : 1 },
      c: out.at + o * M * N * 4,
      ldc: N,
      M,
      N,
      K,
      ...epilogue,
    });
  }
  return out.info;
}

function batchMatMul(args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const { a, b } = requiredInputs(args.inputs, 'batch-mat-mul', 'a', 'b');
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return shippedKernel(BatchMatMul)(args);
  return matMulOnHeap(heapOf(args.backend), a, b, transposeA, transposeB);
}

/** BatchMatMul on the wasm backend. */
export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul,
};
