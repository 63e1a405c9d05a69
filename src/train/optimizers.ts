/**
 * Optimizers of the trainer, with PyTorch's update rules (torch.optim.SGD with momentum
 * and dampening 0, torch.optim.Adam), weight decay included as PyTorch's `weight_decay`
 * (L2: wd·w added to the gradient).
 *
 * Each variable's update is one fused kernel (MomentumUpdate / AdamUpdate, see
 * ops/kernel-names.ts) that reads the weights, gradient and state once and writes the
 * new weights and state; tfjs's optimizers run four to a dozen elementwise kernels per
 * variable, each a full pass over the weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorMap } from '@tensorflow/tfjs-core';
import { AdamUpdate, MomentumUpdate } from './ops/kernel-names.js';
import type { AdamUpdateAttrs, MomentumUpdateAttrs } from './ops/kernel-names.js';

/** Updates a fixed list of variables from their gradients. */
export interface TrainingOptimizer {
  /** Applies one update; `grads` maps each variable's name to its gradient (missing: no update). */
  applyGradients(grads: NamedTensorMap): void;
  /** Frees the optimizer's state. */
  dispose(): void;
  /** The state tensors, in a fixed order (saved and assigned to resume training). */
  readonly state: readonly tf.Variable[];
  /** Updates applied so far (Adam's bias corrections depend on it). */
  step: number;
}

/** Options of `MomentumSgd`. */
export interface MomentumSgdOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/** Options of `Adam`. */
export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/** PyTorch's Adam defaults (betas, eps); weight decay off. */
export const DEFAULTS: Readonly<Omit<AdamOptions, 'lr'>> = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });

/** Zero-initialised state tensors, one per variable, kept outside any tidy scope. */
function zeroState(variables: readonly tf.Variable[], suffix: string): tf.Variable[] {
  return variables.map((v) => tf.variable(tf.zeros(v.shape), false, `${v.name}/${suffix}`));
}

/** Runs a multi-output update kernel and moves its outputs into `targets`. */
function update(kernel: string, inputs: NamedTensorMap, attrs: object, targets: tf.Variable[]): void {
  const outputs = tf.engine().runKernel(kernel, inputs, attrs as unknown as NamedAttrMap) as tf.Tensor[];
  targets.forEach((target, i) => {
    target.assign(outputs[i]);
    outputs[i].dispose();
  });
}

/** SGD with momentum: v = momentum·v + g + wd·w; w -= lr·v (the first step starts from v = 0, as PyTorch's buffer = g). */
export class MomentumSgd implements TrainingOptimizer {
  private readonly velocities: tf.Variable[];
  step = 0;

  constructor(
    private readonly variables: readonly tf.Variable[],
    private readonly options: MomentumSgdOptions,
  ) {
    this.velocities = zeroState(variables, 'velocity');
  }

  get state(): readonly tf.Variable[] {
    return this.velocities;
  }

  applyGradients(grads: NamedTensorMap): void {
    this.step++;
    const attrs: MomentumUpdateAttrs = { ...this.options };
    this.variables.forEach((variable, i) => {
      const gradient = grads[variable.name];
      if (gradient === undefined) return;
      const velocity = this.velocities[i];
      update(MomentumUpdate, { variable, velocity, gradient }, attrs, [variable, velocity]);
    });
  }

  dispose(): void {
    tf.dispose(this.velocities);
  }
}

/** Adam (Kingma & Ba 2015) with PyTorch's bias corrections and ε placement. */
export class Adam implements TrainingOptimizer {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  step = 0;

  constructor(
    private readonly variables: readonly tf.Variable[],
    private readonly options: AdamOptions,
  ) {
    this.m = zeroState(variables, 'm');
    this.v = zeroState(variables, 'v');
  }

  get state(): readonly tf.Variable[] {
    return [...this.m, ...this.v];
  }

  applyGradients(grads: NamedTensorMap): void {
    this.step++;
    const attrs: AdamUpdateAttrs = { ...this.options, step: this.step };
    this.variables.forEach((variable, i) => {
      const gradient = grads[variable.name];
      if (gradient === undefined) return;
      const [m, v] = [this.m[i], this.v[i]];
      update(AdamUpdate, { variable, m, v, gradient }, attrs, [variable, m, v]);
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
