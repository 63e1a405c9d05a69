/**
 * SoftmaxCrossEntropy and its logits gradient for the wasm backend, as plain loops over
 * the heap: a batch's logits are a few hundred values, so the cost is the kernel call,
 * not the arithmetic. Per row, log Σ exp is taken around the row's maximum (no overflow)
 * and accumulated in float64.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad } from '../ops/kernel-names.js';
import { heapOf, type WasmHeap } from './heap.js';
import { requiredInputs } from './shipped.js';

/** Shapes [N, C] of matching float32 logits and labels. */
function rowsAndClasses(module: string, logits: TensorInfo, labels: TensorInfo): [number, number] {
  const same = logits.shape.length === 2 && labels.shape.length === 2 && logits.shape[0] === labels.shape[0] && logits.shape[1] === labels.shape[1];
  if (!same || logits.dtype !== 'float32' || labels.dtype !== 'float32') {
    throw new Error(`${module}: logits (${logits.dtype} [${logits.shape}]) and labels (${labels.dtype} [${labels.shape}]) must be float32 [N, C]`);
  }
  return [logits.shape[0], logits.shape[1]];
}

/** max and log Σ exp(x - max) of row `row` of the [N, C] floats at element index `base`. */
function rowLogSumExp(f32: Float32Array, base: number, C: number): { max: number; logSum: number } {
  let max = -Infinity;
  for (let c = 0; c < C; c++) max = Math.max(max, f32[base + c]);
  let sum = 0;
  for (let c = 0; c < C; c++) sum += Math.exp(f32[base + c] - max);
  return { max, logSum: Math.log(sum) };
}

function views(heap: WasmHeap, ...tensors: TensorInfo[]): number[] {
  return tensors.map((t) => heap.offset(t) >>> 2);
}

function softmaxCrossEntropy(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { logits, labels } = requiredInputs(args.inputs, 'softmax-cross-entropy', 'logits', 'labels');
  const [N, C] = rowsAndClasses('softmax-cross-entropy', logits, labels);
  const heap = heapOf(args.backend);
  const out = heap.output([]);
  const f32 = heap.f32();
  const [x, y] = views(heap, logits, labels);
  let total = 0;
  for (let n = 0; n < N; n++) {
    const { max, logSum } = rowLogSumExp(f32, x + n * C, C);
    // -Σ_c y_c (x_c - max - logSum)
    for (let c = 0; c < C; c++) {
      const label = f32[y + n * C + c];
      if (label !== 0) total -= label * (f32[x + n * C + c] - max - logSum);
    }
  }
  f32[out.at >>> 2] = N === 0 ? NaN : total / N;
  return out.info;
}

function softmaxCrossEntropyGrad(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { logits, labels, dy } = requiredInputs(args.inputs, 'softmax-cross-entropy-grad', 'logits', 'labels', 'dy');
  const [N, C] = rowsAndClasses('softmax-cross-entropy-grad', logits, labels);
  const heap = heapOf(args.backend);
  const out = heap.output([N, C]);
  const f32 = heap.f32();
  const [x, y] = views(heap, logits, labels);
  const scale = f32[heap.offset(dy) >>> 2] / N;
  const o = out.at >>> 2;
  for (let n = 0; n < N; n++) {
    const row = n * C;
    const { max, logSum } = rowLogSumExp(f32, x + row, C);
    let labelSum = 0;
    for (let c = 0; c < C; c++) labelSum += f32[y + row + c];
    for (let c = 0; c < C; c++) {
      const p = Math.exp(f32[x + row + c] - max - logSum);
      f32[o + row + c] = (labelSum * p - f32[y + row + c]) * scale;
    }
  }
  return out.info;
}

/** SoftmaxCrossEntropy on the wasm backend. */
export const softmaxCrossEntropyConfig: KernelConfig = { kernelName: SoftmaxCrossEntropy, backendName: 'wasm', kernelFunc: softmaxCrossEntropy };
/** SoftmaxCrossEntropyGrad on the wasm backend. */
export const softmaxCrossEntropyGradConfig: KernelConfig = {
  kernelName: SoftmaxCrossEntropyGrad,
  backendName: 'wasm',
  kernelFunc: softmaxCrossEntropyGrad,
};
