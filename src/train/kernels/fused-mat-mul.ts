/**
 * _FusedMatMul (product + bias + activation) for the wasm backend.
 *
 * Why: the same GEMM as BatchMatMul, with the bias loaded into the accumulators and the
 * ReLU applied before the single store, so a dense layer's forward pass is one pass over
 * its output. Activations other than linear and ReLU, and biases that are not one value
 * per output column, go to the shipped kernel.
 */
import {
  _FusedMatMul,
  util,
  type _FusedMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { matMulOnHeap } from './batch-mat-mul.js';
import { heapOf } from './heap.js';
import { requiredInputs, shippedKernel } from './shipped.js';

function fusedMatMul(args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const { a, b } = requiredInputs(args.inputs, 'fused-mat-mul', 'a', 'b');
  const bias = args.inputs.bias;
  const { transposeA, transposeB, activation } = args.attrs as unknown as _FusedMatMulAttrs;
  const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  const columnBias = bias === undefined || (util.sizeFromShape(bias.shape) === n && bias.shape[bias.shape.length - 1] === n);
  const supported =
    a.dtype === 'float32' &&
    b.dtype === 'float32' &&
    (bias === undefined || bias.dtype === 'float32') &&
    (activation === 'linear' || activation === 'relu') &&
    columnBias;
  if (!supported) return shippedKernel(_FusedMatMul)(args);
  const heap = heapOf(args.backend);
  return matMulOnHeap(heap, a, b, transposeA, transposeB, {
    bias: bias === undefined ? undefined : heap.offset(bias),
    relu: activation === 'relu',
  });
}

/** _FusedMatMul on the wasm backend. */
export const fusedMatMulConfig: KernelConfig = {
  kernelName: _FusedMatMul,
  backendName: 'wasm',
  kernelFunc: fusedMatMul,
};
