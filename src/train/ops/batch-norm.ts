/**
 * batchNormTraining: batch normalisation in training mode (Ioffe & Szegedy 2015, batch
 * statistics over every axis but the channels), with an optional residual added and an
 * optional ReLU, as one op: y = relu?(x̂ · scale + offset + residual), x̂ = (x - μ) / √(σ² + ε),
 * μ and σ² (biased) over the M = N·H·W values of each channel. It also returns μ and σ² for
 * the running estimates; no gradient flows back through those two outputs.
 *
 * Gradient, with dz = dy ⊙ [y > 0] under ReLU (else dy), per channel:
 * doffset = Σ dz, dscale = Σ dz · x̂, dx = scale / √(σ² + ε) · (dz - doffset / M - x̂ · dscale / M),
 * dresidual = dz. One kernel computes them all in two passes over the activation.
 *
 * Why: `tf.moments` + `tf.batchNorm` + `tf.add` + `tf.relu` run about sixty kernels per
 * layer forward and backward (the gradients with respect to the batch mean and variance are
 * composed of full-size elementwise ops; a ResNet-8 step ran 727 kernel calls with them, 164
 * with this op); this runs one each way.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';
import { BatchNormTraining, BatchNormTrainingGrad } from './kernel-names.js';
import type { BatchNormTrainingAttrs } from './kernel-names.js';

/** Returns y (x's shape), the batch mean [C] and the biased batch variance [C] of x [..., C] in training mode. */
export function batchNormTraining(
  x: Tensor,
  scale: tf.Tensor1D,
  offset: tf.Tensor1D,
  options: { epsilon: number; relu: boolean; residual?: Tensor },
): { y: Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const C = x.shape[x.rank - 1];
  const { epsilon, relu, residual } = options;
  if (x.rank < 2 || scale.rank !== 1 || offset.rank !== 1 || scale.shape[0] !== C || offset.shape[0] !== C) {
    throw new Error(`batch-norm: x ${x.shape}, scale ${scale.shape} and offset ${offset.shape} must be [..., C], [C] and [C]`);
  }
  if (residual !== undefined && !tf.util.arraysEqual(residual.shape, x.shape)) {
    throw new Error(`batch-norm: residual ${residual.shape} must have x's shape ${x.shape}`);
  }
  if (!(epsilon > 0)) throw new Error(`batch-norm: epsilon must be > 0, got ${epsilon}`);
  const attrs: BatchNormTrainingAttrs = { epsilon, relu, residual: residual !== undefined };
  const inputs = residual === undefined ? { x, scale, offset } : { x, scale, offset, residual };
  const [y, mean, variance] = tf.engine().runKernel(BatchNormTraining, inputs as unknown as NamedTensorMap, attrs as unknown as NamedAttrMap) as Tensor[];
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/** The gradient of `batchNormTraining`. */
export const batchNormTrainingGradConfig: GradConfig = {
  kernelName: BatchNormTraining,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [true, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, scale, y, mean, variance] = saved;
    const dy = (dys as Tensor[])[0];
    // One kernel gives every gradient; the thunks hand them out.
    const [dx, dscale, doffset, dresidual] = tf.engine().runKernel(
      BatchNormTrainingGrad,
      { dy, x, y, scale, mean, variance } as unknown as NamedTensorMap,
      attrs as NamedAttrMap,
    ) as Tensor[];
    return {
      x: () => dx,
      scale: () => dscale,
      offset: () => doffset,
      ...((attrs as unknown as BatchNormTrainingAttrs).residual ? { residual: () => dresidual } : {}),
    };
  },
};
