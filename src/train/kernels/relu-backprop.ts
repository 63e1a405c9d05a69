/**
 * ReluBackprop (dy where y > 0, else 0) for the wasm backend: one SIMD pass with a
 * compare-and-mask, where tfjs's ReLU gradient runs Step, Cast and Multiply.
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { ReluBackprop } from '../ops/kernel-names.js';
import { elementwiseFunction } from './elementwise.js';
import { heapOf } from './heap.js';
import { requiredInputs } from './shipped.js';

function reluBackprop(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { dy, y } = requiredInputs(args.inputs, 'relu-backprop', 'dy', 'y');
  if (dy.dtype !== 'float32' || y.dtype !== 'float32' || !util.arraysEqual(dy.shape, y.shape)) {
    throw new Error(`relu-backprop: dy (${dy.dtype} [${dy.shape}]) and y (${y.dtype} [${y.shape}]) must be float32 of one shape`);
  }
  const heap = heapOf(args.backend);
  const out = heap.output([...dy.shape]);
  const { mask } = heap.routines<{ mask: (...args: number[]) => void }>('relu-backprop', () => [
    elementwiseFunction('mask', ['dy', 'y', 'out'], [], (l) =>
      l.store('out', () =>
        l.wherePositive(
          () => l.load('dy'),
          () => l.load('y'),
        ),
      ),
    ),
  ]);
  mask(heap.offset(dy), heap.offset(y), out.at, util.sizeFromShape(dy.shape));
  return out.info;
}

/** ReluBackprop on the wasm backend. */
export const reluBackpropConfig: KernelConfig = { kernelName: ReluBackprop, backendName: 'wasm', kernelFunc: reluBackprop };
