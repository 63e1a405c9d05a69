/**
 * epochgraph's own training ops: the fused dense and convolution layers, batch
 * normalisation in training (with residual and ReLU), the softmax cross-entropy loss
 * and the ReLU gradient (the optimizers' update kernels are called from ../optimizers.ts).
 * Their gradients are registered in tfjs's gradient registry under the ops' kernel names.
 */
import { getGradient, registerGradient, type GradConfig } from '@tensorflow/tfjs-core';
import { batchNormTrainingGradConfig } from './batch-norm.js';
import { convolutionGradConfig } from './convolution.js';
import { denseGradConfig } from './dense.js';
import { softmaxCrossEntropyGradConfig } from './softmax-cross-entropy.js';

export { batchNormTraining } from './batch-norm.js';
export { convolution } from './convolution.js';
export { dense, reluBackprop } from './dense.js';
export { softmaxCrossEntropy } from './softmax-cross-entropy.js';

const GRADIENTS: readonly GradConfig[] = [denseGradConfig, convolutionGradConfig, batchNormTrainingGradConfig, softmaxCrossEntropyGradConfig];

/** Registers the gradients of the training ops (idempotent). */
export function registerTrainingGradients(): void {
  for (const config of GRADIENTS) {
    if (getGradient(config.kernelName) !== config) registerGradient(config);
  }
}
