/**
 * Names and attributes of the kernels behind epochgraph's own training ops. As in
 * tfjs-core, an op (this folder) says what is computed and how its gradient is defined;
 * the kernel registered under the same name (../kernels) computes it on a backend.
 */

/** y = x·W + b, then ReLU when `relu` (inputs `x` [N, K], `weight` [K, M], `bias` [M]). */
export const Dense = 'EpochgraphDense';
export interface DenseAttrs {
  relu: boolean;
}

/**
 * y = conv(x, filter) + bias, then ReLU when `relu` (inputs `x` [N, H, W, C] NHWC, `filter`
 * [KH, KW, C, O], optional `bias` [O]); square stride and symmetric zero padding in pixels.
 */
export const Convolution = 'EpochgraphConvolution';
export interface ConvolutionAttrs {
  stride: number;
  padding: number;
  relu: boolean;
}

/**
 * Training-mode batch normalisation over every axis but the last (channels), with an
 * optional residual added and ReLU: y = relu?((x - mean) / sqrt(variance + epsilon) · scale
 * + offset + residual), mean and (biased) variance taken over the batch. Inputs `x`
 * [..., C], `scale` [C], `offset` [C], optional `residual` (x's shape); outputs y, mean [C],
 * variance [C].
 */
export const BatchNormTraining = 'EpochgraphBatchNormTraining';
export interface BatchNormTrainingAttrs {
  epsilon: number;
  relu: boolean;
  /** Whether the `residual` input is given. */
  residual: boolean;
}

/**
 * Gradient of `BatchNormTraining` (inputs `dy`, `x`, `y`, `scale`, `mean`, `variance`; its
 * attributes): outputs dx, dscale, doffset and, when `residual`, the gradient of the residual
 * (dy through the ReLU).
 */
export const BatchNormTrainingGrad = 'EpochgraphBatchNormTrainingGrad';

/** dy where y > 0, else 0: the gradient through a ReLU given its output (inputs `dy`, `y`). */
export const ReluBackprop = 'EpochgraphReluBackprop';

/** Mean over rows of -Σ labels · log softmax(logits) (inputs `logits`, `labels`, both [N, C]). */
export const SoftmaxCrossEntropy = 'EpochgraphSoftmaxCrossEntropy';

/** Gradient of `SoftmaxCrossEntropy` with respect to the logits (inputs `logits`, `labels`, scalar `dy`). */
export const SoftmaxCrossEntropyGrad = 'EpochgraphSoftmaxCrossEntropyGrad';

/**
 * One SGD-with-momentum update, PyTorch semantics (inputs `variable`, `velocity`,
 * `gradient`; outputs the new variable and velocity):
 * g' = g + wd·w;  v' = momentum·v + g';  w' = w - lr·v'.
 */
export const MomentumUpdate = 'EpochgraphMomentumUpdate';
export interface MomentumUpdateAttrs {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/**
 * One Adam update, PyTorch semantics (inputs `variable`, `m`, `v`, `gradient`; outputs
 * the new variable, m and v), at step t >= 1:
 * g' = g + wd·w;  m' = β1·m + (1-β1)·g';  v' = β2·v + (1-β2)·g'²;
 * w' = w - lr / (1-β1ᵗ) · m' / (√v' / √(1-β2ᵗ) + ε).
 */
export const AdamUpdate = 'EpochgraphAdamUpdate';
export interface AdamUpdateAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  step: number;
}
