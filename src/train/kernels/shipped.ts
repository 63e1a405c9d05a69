/**
 * The wasm backend's own kernels, kept when the training kernels replace them, so that a
 * replacement can hand the cases it does not accelerate (other dtypes, data formats or
 * fused activations) back to the shipped implementation unchanged; and the input check
 * every kernel shares.
 */
import { getKernel, type KernelConfig, type KernelFunc, type NamedTensorInfoMap, type TensorInfo } from '@tensorflow/tfjs-core';

const shipped = new Map<string, KernelConfig>();

/** Records the shipped wasm kernel for `kernelName` (if any); returns it. */
export function captureShipped(kernelName: string): KernelConfig | undefined {
  if (!shipped.has(kernelName)) {
    const config = getKernel(kernelName, 'wasm');
    if (config !== undefined) shipped.set(kernelName, config);
  }
  return shipped.get(kernelName);
}

/** Returns the shipped wasm kernel function for `kernelName`; throws if there was none. */
export function shippedKernel(kernelName: string): KernelFunc {
  const config = shipped.get(kernelName);
  if (config === undefined) throw new Error(`shipped: no shipped wasm kernel '${kernelName}' to fall back to`);
  return config.kernelFunc;
}

/** Returns the named inputs of a kernel call; throws (prefixed with `module`) if one is missing. */
export function requiredInputs<K extends string>(
  inputs: NamedTensorInfoMap,
  module: string,
  ...names: K[]
): Record<K, TensorInfo> {
  const out = {} as Record<K, TensorInfo>;
  for (const name of names) {
    const t = inputs[name];
    if (t === undefined) throw new Error(`${module}: missing input '${name}'`);
    out[name] = t;
  }
  return out;
}
