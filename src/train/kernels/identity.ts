/**
 * Identity for the wasm backend without a copy.
 *
 * Why: the engine clones (runs Identity on) every tensor a gradient needs while a tape
 * is recording, and the shipped kernel copies the whole buffer each time, e.g. the
 * weights and the input of every layer on every step. Tensors are immutable (a
 * variable's `assign` swaps in another buffer), so the output can share the input's
 * buffer with its reference count raised, as the wasm backend's own Reshape and the cpu
 * backend's Identity do.
 */
import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './heap.js';
import { requiredInputs, shippedKernel } from './shipped.js';

function identity(args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const { x } = requiredInputs(args.inputs, 'identity', 'x');
  if (x.dtype === 'string') return shippedKernel(Identity)(args);
  (args.backend as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/** Identity on the wasm backend. */
export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identity,
};
