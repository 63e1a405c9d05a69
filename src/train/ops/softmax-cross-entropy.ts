/**
 * softmaxCrossEntropy: the mean over a batch of -Σ_c labels_c · log softmax(logits)_c,
 * as one op whose gradient is one kernel, (Σ_c labels_c) · softmax(logits) - labels,
 * scaled by dy / N.
 *
 * Why: `tf.losses.softmaxCrossEntropy` composes about twenty kernels forward and back
 * (max, subtract, exp, sums, logs, the mean's reduction and their gradients), each a
 * round trip through the engine on a tensor of a few hundred values.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';
import { SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad } from './kernel-names.js';

/** Returns the mean softmax cross-entropy of `logits` [N, C] against `labels` [N, C] (rows of class probabilities), a scalar. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Scalar {
  if (logits.rank !== 2 || !tf.util.arraysEqual(logits.shape, labels.shape)) {
    throw new Error(`softmax-cross-entropy: logits ${logits.shape} and labels ${labels.shape} must be the same [N, C]`);
  }
  return tf.engine().runKernel(SoftmaxCrossEntropy, { logits, labels } as unknown as NamedTensorMap) as tf.Scalar;
}

/** The gradient of `softmaxCrossEntropy`. */
export const softmaxCrossEntropyGradConfig: GradConfig = {
  kernelName: SoftmaxCrossEntropy,
  inputsToSave: ['logits', 'labels'],
  gradFunc: (dy, saved) => {
    const [logits, labels] = saved;
    return {
      logits: () => tf.engine().runKernel(SoftmaxCrossEntropyGrad, { logits, labels, dy: dy as Tensor } as unknown as NamedTensorMap) as Tensor,
      labels: () => tf.mul(tf.logSoftmax(logits), tf.div(tf.neg(dy as Tensor), logits.shape[0])),
    };
  },
};
