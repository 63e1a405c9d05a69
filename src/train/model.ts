/**
 * A trainable tfjs model built from a layer program (src/train/architectures.ts).
 *
 * Parameters live in tfjs's native layouts for speed (dense `[in, out]`, conv
 * `[kh, kw, in, out]`, activations NHWC) and are converted to PyTorch's layouts only
 * when a checkpoint is exported (dense `[out, in]`, conv `[out, in, kh, kw]`, and the
 * first dense layer after a flatten permuted from NHWC to NCHW flatten order).
 * Batch-norm follows PyTorch: batch statistics in training (biased variance to
 * normalise, unbiased for the running estimate), running statistics in evaluation,
 * running = (1 - momentum) * running + momentum * batch.
 *
 * The forward pass runs layers through epochgraph's fused ops (./ops): a ReLU right after
 * a conv, dense or batch-norm layer runs inside it, and a residual block whose body ends in
 * batch-norm adds its shortcut inside that batch-norm, so each layer costs one kernel each way.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { InitName } from '../checkpoint/run-config.js';
import { makeTensor } from '../checkpoint/tensor.js';
import type { Tensor } from '../checkpoint/tensor.js';
import type { Rng } from '../util/random.js';
import { parameterLayers } from './architectures.js';
import type { Layer, Program } from './architectures.js';
import { batchNormTraining, convolution, dense } from './ops/index.js';

interface BatchNormState {
  gamma: tf.Variable;
  beta: tf.Variable;
  runningMean: Float32Array;
  runningVar: Float32Array;
  batchesTracked: number;
}

/** Batch statistics recorded by a training forward pass, to update running estimates after the step. */
interface BatchNormUpdate {
  name: string;
  mean: tf.Tensor;
  variance: tf.Tensor;
  count: number;
}

/** Initial weights (tfjs layout) of fan-in `fanIn`, fan-out `fanOut`. */
function initialWeights(init: InitName, count: number, fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const out = new Float32Array(count);
  if (init === 'xavier') {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < count; i++) out[i] = (rng.uniform() * 2 - 1) * limit;
  } else {
    const std = init === 'kaiming' ? Math.sqrt(2 / fanIn) : 0.01;
    for (let i = 0; i < count; i++) out[i] = rng.normal() * std;
  }
  return out;
}

/** Applies a layer without parameters or state (the same in training and evaluation) as stock tfjs ops; returns its output. */
export function statelessLayer(layer: Extract<Layer, { op: 'relu' | 'maxpool' | 'global_avgpool' | 'flatten' }>, x: tf.Tensor): tf.Tensor {
  if (layer.op === 'relu') return tf.relu(x);
  if (layer.op === 'maxpool') return tf.maxPool(x as tf.Tensor4D, layer.kernel, layer.stride, 'valid');
  if (layer.op === 'global_avgpool') return tf.mean(x, [1, 2]);
  return tf.reshape(x, [x.shape[0], -1]);
}

/** A model ready to train: forward pass, trainable variables, checkpoint export. */
export class Model {
  readonly variables: tf.Variable[] = [];
  private readonly weights = new Map<string, tf.Variable>();
  private readonly biases = new Map<string, tf.Variable>();
  private readonly norms = new Map<string, BatchNormState>();
  private pendingUpdates: BatchNormUpdate[] = [];

  constructor(
    readonly program: Program,
    init: InitName,
    rng: Rng,
  ) {
    for (const layer of parameterLayers(program.layers)) {
      if (layer.op === 'conv2d') {
        const { kernel: k, inChannels: cin, outChannels: cout } = layer;
        const w = initialWeights(init, k * k * cin * cout, k * k * cin, k * k * cout, rng);
        this.addWeight(layer.name, tf.tensor4d(w, [k, k, cin, cout]));
        if (layer.bias) this.addBias(layer.name, cout);
      } else if (layer.op === 'dense') {
        const w = initialWeights(init, layer.inFeatures * layer.outFeatures, layer.inFeatures, layer.outFeatures, rng);
        this.addWeight(layer.name, tf.tensor2d(w, [layer.inFeatures, layer.outFeatures]));
        this.addBias(layer.name, layer.outFeatures);
      } else {
        const gamma = tf.variable(tf.ones([layer.channels]), true, `${layer.name}.weight`);
        const beta = tf.variable(tf.zeros([layer.channels]), true, `${layer.name}.bias`);
        this.variables.push(gamma, beta);
        this.norms.set(layer.name, {
          gamma,
          beta,
          runningMean: new Float32Array(layer.channels),
          runningVar: new Float32Array(layer.channels).fill(1),
          batchesTracked: 0,
        });
      }
    }
  }

  private addWeight(name: string, initial: tf.Tensor): void {
    const v = tf.variable(initial, true, `${name}.weight`);
    initial.dispose();
    this.weights.set(name, v);
    this.variables.push(v);
  }

  private addBias(name: string, size: number): void {
    const v = tf.variable(tf.zeros([size]), true, `${name}.bias`);
    this.biases.set(name, v);
    this.variables.push(v);
  }

  /**
   * Forward pass on NHWC `images`; returns logits `[batch, classes]`. In training mode,
   * dropout is active (seeded by `dropoutSeed`) and batch-norm uses batch statistics,
   * which `commitBatchNorm()` then folds into the running estimates.
   */
  forward(images: tf.Tensor4D, training: boolean, dropoutSeed = 0): tf.Tensor2D {
    let seed = dropoutSeed;
    const run = (layers: readonly Layer[], input: tf.Tensor): tf.Tensor => {
      let x = input;
      for (let i = 0; i < layers.length; i++) {
        const layer = layers[i];
        switch (layer.op) {
          case 'conv2d': {
            // As for dense: a ReLU right after the layer runs inside it.
            const relu = layers[i + 1]?.op === 'relu';
            if (relu) i++;
            const filter = this.weights.get(layer.name) as tf.Variable<tf.Rank.R4>;
            const bias = this.biases.get(layer.name) as tf.Variable<tf.Rank.R1> | undefined;
            x = convolution(x as tf.Tensor4D, filter, bias, { stride: layer.stride, padding: layer.padding, relu });
            break;
          }
          case 'dense': {
            // A ReLU right after the layer runs inside it (fused forward and gradient).
            const relu = layers[i + 1]?.op === 'relu';
            if (relu) i++;
            x = dense(x as tf.Tensor2D, this.weights.get(layer.name) as tf.Variable<tf.Rank.R2>, this.biases.get(layer.name) as tf.Variable<tf.Rank.R1>, relu);
            break;
          }
          case 'batchnorm': {
            const relu = layers[i + 1]?.op === 'relu';
            if (relu) i++;
            x = this.batchNorm(layer.name, layer.eps, x, training, relu);
            break;
          }
          case 'relu':
          case 'maxpool':
          case 'global_avgpool':
          case 'flatten':
            x = statelessLayer(layer, x);
            break;
          case 'dropout':
            if (training) x = tf.dropout(x, layer.rate, undefined, seed++);
            break;
          case 'residual': {
            // A body ending in batch-norm adds the shortcut (and applies a ReLU that follows
            // the block) inside that batch-norm.
            const last = layer.body.at(-1);
            const fused = last?.op === 'batchnorm';
            const body = run(fused ? layer.body.slice(0, -1) : layer.body, x);
            const shortcut = layer.shortcut.length > 0 ? run(layer.shortcut, x) : x;
            if (fused) {
              const relu = layers[i + 1]?.op === 'relu';
              if (relu) i++;
              x = this.batchNorm(last.name, last.eps, body, training, relu, shortcut);
            } else {
              x = tf.add(body, shortcut);
            }
            break;
          }
        }
      }
      return x;
    };
    return run(this.program.layers, images) as tf.Tensor2D;
  }

  /** Batch-norm of x [..., C] (then + residual, then ReLU when asked). */
  private batchNorm(name: string, eps: number, x: tf.Tensor, training: boolean, relu: boolean, residual?: tf.Tensor): tf.Tensor {
    const state = this.norms.get(name) as BatchNormState;
    if (training) {
      const { gamma, beta } = state;
      const { y, mean, variance } = batchNormTraining(x, gamma as tf.Variable<tf.Rank.R1>, beta as tf.Variable<tf.Rank.R1>, { epsilon: eps, relu, residual });
      this.pendingUpdates.push({ name, mean: tf.keep(mean), variance: tf.keep(variance), count: x.size / x.shape[x.rank - 1] });
      return y;
    }
    let y: tf.Tensor = tf.batchNorm(x as tf.Tensor4D, tf.tensor1d(state.runningMean), tf.tensor1d(state.runningVar), state.beta, state.gamma, eps);
    if (residual !== undefined) y = tf.add(y, residual);
    return relu ? tf.relu(y) : y;
  }

  /** Folds the batch statistics of the last training forward pass into the running estimates. */
  commitBatchNorm(momentum: number): void {
    for (const { name, mean, variance, count } of this.pendingUpdates) {
      const state = this.norms.get(name) as BatchNormState;
      const m = mean.dataSync();
      const v = variance.dataSync();
      const unbiased = count > 1 ? count / (count - 1) : 1;
      for (let c = 0; c < m.length; c++) {
        state.runningMean[c] = (1 - momentum) * state.runningMean[c] + momentum * m[c];
        state.runningVar[c] = (1 - momentum) * state.runningVar[c] + momentum * v[c] * unbiased;
      }
      state.batchesTracked++;
      mean.dispose();
      variance.dispose();
    }
    this.pendingUpdates = [];
  }

  /** Discards batch statistics of a forward pass whose step is abandoned. */
  dropBatchNormUpdates(): void {
    for (const u of this.pendingUpdates) tf.dispose([u.mean, u.variance]);
    this.pendingUpdates = [];
  }

  /**
   * The parameters as a PyTorch-style state dict: names like `model.state_dict()`,
   * PyTorch layouts, float32 (batch-norm's `num_batches_tracked` as int64).
   * Returns tensors in module order.
   */
  stateDict(): Tensor[] {
    const out: Tensor[] = [];
    for (const layer of parameterLayers(this.program.layers)) {
      const bias = this.biases.get(layer.name);
      if (layer.op === 'conv2d') {
        const { kernel: k, inChannels: cin, outChannels: cout } = layer;
        const src = this.weights.get(layer.name)?.dataSync() as Float32Array; // [k, k, cin, cout]
        const dst = new Float32Array(src.length); // [cout, cin, k, k]
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++)
            for (let i = 0; i < cin; i++)
              for (let o = 0; o < cout; o++) dst[((o * cin + i) * k + ky) * k + kx] = src[((ky * k + kx) * cin + i) * cout + o];
        out.push(makeTensor(`${layer.name}.weight`, 'F32', [cout, cin, k, k], dst));
      } else if (layer.op === 'dense') {
        const { inFeatures: nin, outFeatures: nout } = layer;
        const src = this.weights.get(layer.name)?.dataSync() as Float32Array; // [nin, nout], rows in NHWC flatten order
        const dst = new Float32Array(src.length); // [nout, nin], columns in NCHW flatten order
        const [c, h, w] = layer.flattenedFrom ?? [1, 1, nin];
        for (let ch = 0; ch < c; ch++)
          for (let p = 0; p < h * w; p++) {
            const row = p * c + ch;
            const column = ch * h * w + p;
            for (let o = 0; o < nout; o++) dst[o * nin + column] = src[row * nout + o];
          }
        out.push(makeTensor(`${layer.name}.weight`, 'F32', [nout, nin], dst));
      } else {
        const state = this.norms.get(layer.name) as BatchNormState;
        out.push(
          makeTensor(`${layer.name}.weight`, 'F32', [layer.channels], Float32Array.from(state.gamma.dataSync())),
          makeTensor(`${layer.name}.bias`, 'F32', [layer.channels], Float32Array.from(state.beta.dataSync())),
          makeTensor(`${layer.name}.running_mean`, 'F32', [layer.channels], Float32Array.from(state.runningMean)),
          makeTensor(`${layer.name}.running_var`, 'F32', [layer.channels], Float32Array.from(state.runningVar)),
          makeTensor(`${layer.name}.num_batches_tracked`, 'I64', [], new BigInt64Array([BigInt(state.batchesTracked)])),
        );
        continue;
      }
      if (bias) out.push(makeTensor(`${layer.name}.bias`, 'F32', [bias.shape[0]], Float32Array.from(bias.dataSync())));
    }
    return out;
  }

  /** The batch-norm layers' running statistics, live (assign to them to resume training), by layer name. */
  runningStatistics(): ReadonlyMap<string, Pick<BatchNormState, 'runningMean' | 'runningVar' | 'batchesTracked'>> {
    return this.norms;
  }

  /** Frees every variable. */
  dispose(): void {
    this.dropBatchNormUpdates();
    tf.dispose(this.variables);
  }
}
