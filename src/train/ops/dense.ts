/**
 * dense: a fully connected layer, y = x·W + b, optionally followed by ReLU, as one op.
 *
 * Gradient, with z = x·W + b and dz = dy ⊙ [y > 0] under ReLU (else dy):
 * dx = dz·Wᵀ, dW = xᵀ·dz, db = Σ_rows dz. Each input's gradient is a separate thunk, so
 * tfjs's tape computes only those a variable depends on: the first layer of a network
 * skips dx, a third of an MLP's matrix work.
 *
 * Why not `tf.fused.matMul`: its gradient is a `customGrad` that always computes all
 * three gradients; and the unfused `add(matMul(x, W), b)` + `relu` runs four kernels
 * forward and five backward where this runs one and four.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';
import { Dense, ReluBackprop } from './kernel-names.js';
import type { DenseAttrs } from './kernel-names.js';

/** Returns relu?(x·weight + bias) for `x` [N, K], `weight` [K, M], `bias` [M]: [N, M]. */
export function dense(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D, relu: boolean): tf.Tensor2D {
  if (x.shape[1] !== weight.shape[0] || bias.shape[0] !== weight.shape[1]) {
    throw new Error(`dense: shapes ${x.shape}, ${weight.shape} and ${bias.shape} do not fit x·W + b`);
  }
  const attrs: DenseAttrs = { relu };
  return tf.engine().runKernel(Dense, { x, weight, bias } as unknown as NamedTensorMap, attrs as unknown as NamedAttrMap) as tf.Tensor2D;
}

/** Returns dy where y > 0 and 0 elsewhere (same shapes): the gradient through a ReLU from its output. */
export function reluBackprop(dy: Tensor, y: Tensor): Tensor {
  return tf.engine().runKernel(ReluBackprop, { dy, y } as unknown as NamedTensorMap);
}

/** The gradient of `dense`. */
export const denseGradConfig: GradConfig = {
  kernelName: Dense,
  inputsToSave: ['x', 'weight'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, weight, y] = saved;
    const dz = (attrs as unknown as DenseAttrs).relu ? reluBackprop(dy as Tensor, y) : (dy as Tensor);
    return {
      x: () => tf.matMul(dz, weight, false, true),
      weight: () => tf.matMul(x, dz, true, false),
      bias: () => tf.sum(dz, 0),
    };
  },
};
