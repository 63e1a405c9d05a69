/**
 * convolution: a 2-D convolution layer, y = conv(x, W) + b (NHWC, square stride, symmetric
 * zero padding), optionally followed by ReLU, as one op.
 *
 * Gradient, with z = conv(x, W) + b and dz = dy ⊙ [y > 0] under ReLU (else dy):
 * dx = conv2DBackpropInput(dz, W), dW = conv2DBackpropFilter(x, dz), db = Σ_{n,h,w} dz.
 * Each input's gradient is a separate thunk, so tfjs's tape computes only those a variable
 * depends on: the first layer of a network never forms the gradient of its input.
 *
 * Why not `tf.fused.conv2d`: its gradient always computes the input gradient and needs the
 * pre-activation; and the unfused `relu(add(conv2d(x, W), b))` runs three kernels forward
 * and six backward (the add's broadcast gradient, ReLU's step, cast and multiply) where this
 * runs one and four, one full pass over the activation each.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';
import { reluBackprop } from './dense.js';
import { Convolution } from './kernel-names.js';
import type { ConvolutionAttrs } from './kernel-names.js';

/**
 * Returns relu?(conv(x, filter) + bias) for NHWC `x` [N, H, W, C], `filter` [KH, KW, C, O]
 * and `bias` [O] or undefined: [N, OH, OW, O] with OH = floor((H + 2·padding - KH) / stride) + 1.
 */
export function convolution(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | undefined,
  options: { stride: number; padding: number; relu: boolean },
): tf.Tensor4D {
  const [, H, W, C] = x.shape;
  const [KH, KW, FC, O] = filter.shape;
  const { stride, padding, relu } = options;
  if (x.rank !== 4 || FC !== C || (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== O))) {
    throw new Error(`convolution: shapes ${x.shape}, ${filter.shape} and ${bias?.shape ?? 'no bias'} do not fit conv(x, W) + b`);
  }
  if (!(Number.isInteger(stride) && stride >= 1 && Number.isInteger(padding) && padding >= 0) || H + 2 * padding < KH || W + 2 * padding < KW) {
    throw new Error(`convolution: stride ${stride} and padding ${padding} do not fit a ${KH}x${KW} filter on ${H}x${W}`);
  }
  const attrs: ConvolutionAttrs = { stride, padding, relu };
  const inputs = bias === undefined ? { x, filter } : { x, filter, bias };
  return tf.engine().runKernel(Convolution, inputs as unknown as NamedTensorMap, attrs as unknown as NamedAttrMap) as tf.Tensor4D;
}

/** The gradient of `convolution`. */
export const convolutionGradConfig: GradConfig = {
  kernelName: Convolution,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const { stride, padding, relu } = attrs as unknown as ConvolutionAttrs;
    const dz = (relu ? reluBackprop(dy as Tensor, y) : dy) as tf.Tensor4D;
    const geometry = { strides: stride, pad: padding, dataFormat: 'NHWC', dimRoundingMode: undefined };
    return {
      x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dz, filter } as unknown as NamedTensorMap, { ...geometry, inputShape: x.shape } as unknown as NamedAttrMap) as Tensor,
      filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: dz } as unknown as NamedTensorMap, { ...geometry, filterShape: filter.shape } as unknown as NamedAttrMap) as Tensor,
      bias: () => tf.sum(dz, [0, 1, 2]),
    };
  },
};
