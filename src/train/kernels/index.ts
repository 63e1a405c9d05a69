/**
 * Training kernels for the tfjs wasm backend.
 *
 * tfjs-core separates what an op means (the op, e.g. `tf.conv2d`, and its gradient,
 * which calls further ops such as `conv2DBackpropFilter`) from the kernel that computes
 * it on a given backend; the two are joined by name in the kernel registry. The wasm
 * backend as shipped lacks Conv2DBackpropFilter and is slow on the transposed products,
 * filter packing and copies that dominate a training step, so this module registers
 * replacements for the `wasm` backend through the public registry. Ops, gradients and
 * the other backends are untouched; cases a replacement does not accelerate go to the
 * shipped kernel. It also registers the kernels of epochgraph's own training ops
 * (../ops): the fused dense and convolution layers, batch normalisation in training, the loss, the ReLU gradient and the optimizer updates.
 */
import '@tensorflow/tfjs-backend-wasm';
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { avgPoolGradConfig } from './avg-pool-grad.js';
import { batchNormTrainingConfig, batchNormTrainingGradConfig } from './batch-norm-training.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { addConfig, multiplyConfig, realDivConfig, subConfig } from './binary-ops.js';
import { castConfig } from './cast.js';
import { denseConfig } from './dense.js';
import { conv2DConfig } from './conv2d.js';
import { convolutionConfig } from './convolution.js';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { fusedBatchNormConfig } from './fused-batch-norm.js';
import { fusedConv2DConfig } from './fused-conv2d.js';
import { fusedMatMulConfig } from './fused-mat-mul.js';
import { identityConfig } from './identity.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { adamUpdateConfig, momentumUpdateConfig } from './optimizer-updates.js';
import { meanConfig, sumConfig } from './reduce.js';
import { reluBackpropConfig } from './relu-backprop.js';
import { captureShipped } from './shipped.js';
import { softmaxCrossEntropyConfig, softmaxCrossEntropyGradConfig } from './softmax-cross-entropy.js';
import { tileConfig } from './tile.js';

/** The kernels registered by `registerTrainingKernels`. */
export const TRAINING_KERNELS: readonly KernelConfig[] = [
  batchMatMulConfig,
  fusedMatMulConfig,
  conv2DConfig,
  fusedConv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  avgPoolGradConfig,
  fusedBatchNormConfig,
  addConfig,
  subConfig,
  multiplyConfig,
  realDivConfig,
  sumConfig,
  meanConfig,
  tileConfig,
  identityConfig,
  castConfig,
  denseConfig,
  convolutionConfig,
  batchNormTrainingConfig,
  batchNormTrainingGradConfig,
  reluBackpropConfig,
  softmaxCrossEntropyConfig,
  softmaxCrossEntropyGradConfig,
  momentumUpdateConfig,
  adamUpdateConfig,
];

/**
 * Registers the training kernels for the `wasm` backend (idempotent; may run before or
 * after the backend is initialised). Returns the names of the kernels registered by
 * this call (empty when they were already in place).
 */
export function registerTrainingKernels(): string[] {
  const registered: string[] = [];
  for (const config of TRAINING_KERNELS) {
    if (getKernel(config.kernelName, 'wasm')?.kernelFunc === config.kernelFunc) continue;
    const shipped = captureShipped(config.kernelName);
    if (getKernel(config.kernelName, 'wasm') !== undefined) unregisterKernel(config.kernelName, 'wasm');
    // The shipped setup (binding its wasm functions) still has to run when the backend
    // initialises after this call, since fallbacks use the shipped kernel.
    registerKernel({ ...config, setupFunc: shipped?.setupFunc });
    registered.push(config.kernelName);
  }
  return registered;
}
