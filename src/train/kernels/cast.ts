/**
 * Cast for the wasm backend without a copy when the dtype does not change.
 *
 * Why: every ReLU gradient casts its float32 mask to float32 (`mul(dy, cast(step(x)))`),
 * and the shipped kernel copies the activation-sized buffer for it. As with Identity,
 * the output shares the immutable input buffer; real conversions go to the shipped
 * kernel.
 */
import { Cast, type CastAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './heap.js';
import { requiredInputs, shippedKernel } from './shipped.js';

function cast(args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const { x } = requiredInputs(args.inputs, 'cast', 'x');
  const { dtype } = args.attrs as unknown as CastAttrs;
  if (dtype !== x.dtype || dtype === 'string') return shippedKernel(Cast)(args);
  (args.backend as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype };
}

/** Cast on the wasm backend. */
export const castConfig: KernelConfig = {
  kernelName: Cast,
  backendName: 'wasm',
  kernelFunc: cast,
};
