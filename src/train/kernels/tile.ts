/**
 * Tile for the wasm backend by block replication.
 *
 * Algorithm: dimensions are first merged wherever the inner one is not repeated (and
 * size-1 unrepeated ones dropped), so a broadcast such as [1, 1, 1, C] -> [N, H, W, C]
 * becomes one C-float row repeated N*H*W times. Then, from the innermost dimension out,
 * each block is copied once and repeated by doubling `copyWithin` (memmove) calls, so
 * the output is written in O(log reps) bulk copies per block instead of one index
 * computation per element as in the shipped kernel.
 */
import { Tile, util, type KernelConfig, type KernelFunc, type TensorInfo, type TileAttrs } from '@tensorflow/tfjs-core';
import { heapOf } from './heap.js';
import { requiredInputs, shippedKernel } from './shipped.js';

type View = Int32Array | Uint8Array;

/** Merges dimensions whose inner neighbour is not repeated; returns the reduced shape and reps. */
function collapse(shape: number[], reps: number[]): { shape: number[]; reps: number[] } {
  const s: number[] = [];
  const r: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1 && reps[d] === 1) continue;
    if (s.length > 0 && reps[d] === 1) {
      s[s.length - 1] *= shape[d];
    } else {
      s.push(shape[d]);
      r.push(reps[d]);
    }
  }
  return s.length > 0 ? { shape: s, reps: r } : { shape: [1], reps: [1] };
}

/** Repeats view[start, start + block) `times` times in place by doubling copies. */
function replicate(view: View, start: number, block: number, times: number): void {
  const total = block * times;
  for (let filled = block; filled < total; ) {
    const n = Math.min(filled, total - filled);
    view.copyWithin(start + filled, start, start + n);
    filled += n;
  }
}

function tileLevel(
  view: View, src: number, dst: number, level: number,
  shape: number[], reps: number[], srcStrides: number[], dstStrides: number[],
): void {
  const n = shape[level];
  if (level === shape.length - 1) {
    if (n === 1) view.fill(view[src], dst, dst + reps[level]);
    else {
      view.copyWithin(dst, src, src + n);
      replicate(view, dst, n, reps[level]);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    tileLevel(view, src + i * srcStrides[level], dst + i * dstStrides[level], level + 1, shape, reps, srcStrides, dstStrides);
  }
  replicate(view, dst, n * dstStrides[level], reps[level]);
}

function tile(args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const { x } = requiredInputs(args.inputs, 'tile', 'x');
  const { reps } = args.attrs as unknown as TileAttrs;
  if (x.dtype === 'string' || x.dtype === 'complex64') return shippedKernel(Tile)(args);
  if (reps.length !== x.shape.length) {
    throw new Error(`tile: reps ${reps} must have one entry per dimension of shape ${x.shape}`);
  }
  const heap = heapOf(args.backend);
  const outShape = x.shape.map((s, i) => s * reps[i]);
  const out = heap.backend.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  const bytes = x.dtype === 'bool' ? 1 : 4;
  const view: View = bytes === 1 ? new Uint8Array(heap.memory.buffer) : new Int32Array(heap.memory.buffer);
  const c = collapse(x.shape, reps);
  const srcStrides = [...util.computeStrides(c.shape), 1];
  const dstStrides = [...util.computeStrides(c.shape.map((s, i) => s * c.reps[i])), 1];
  tileLevel(view, heap.offset(x) / bytes, heap.offset(out) / bytes, 0, c.shape, c.reps, srcStrides, dstStrides);
  return out;
}

/** Tile on the wasm backend. */
export const tileConfig: KernelConfig = {
  kernelName: Tile,
  backendName: 'wasm',
  kernelFunc: tile,
};
