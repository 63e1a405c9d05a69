/**
 * The trainer's model (src/train/model.ts) runs its layers through epochgraph's fused ops:
 * convolution + bias + ReLU, dense + ReLU, batch-norm in training with the residual add and
 * ReLU, one-kernel softmax cross-entropy and optimizer updates. Here a few steps of its
 * training, on the wasm backend, are checked against the same network composed from stock
 * tfjs ops (conv2d, add, relu, moments, batchNorm, matMul, losses, tf.train.momentum; ReLU,
 * pooling and flatten through the model's own stock-op helper)
 * on the reference cpu backend, from the same initial weights and batches: the losses and
 * every trained weight agree within float32 tolerance (not bit for bit: the summation
 * orders differ).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, type Layer } from '../../src/train/architectures.js';
import { useTrainingBackend } from '../../src/train/backend.js';
import { Model, statelessLayer } from '../../src/train/model.js';
import { createTrainStep, makeOptimizer } from '../../src/train/train.js';
import { createRng } from '../../src/util/random.js';
import { randomValues, TOLERANCE } from './backends.js';

beforeAll(async () => {
  await useTrainingBackend();
});

/** The forward pass of `layers` in training mode from stock tfjs ops, parameters by PyTorch-style name. */
function stockForward(layers: readonly Layer[], input: tf.Tensor, params: Map<string, tf.Variable>): tf.Tensor {
  let x = input;
  const param = (name: string) => params.get(name) as tf.Variable;
  for (const layer of layers) {
    switch (layer.op) {
      case 'conv2d': {
        x = tf.conv2d(x as tf.Tensor4D, param(`${layer.name}.weight`) as tf.Tensor4D, layer.stride, layer.padding);
        if (layer.bias) x = tf.add(x, param(`${layer.name}.bias`));
        break;
      }
      case 'dense':
        x = tf.add(tf.matMul(x as tf.Tensor2D, param(`${layer.name}.weight`) as tf.Tensor2D), param(`${layer.name}.bias`));
        break;
      case 'batchnorm': {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        x = tf.batchNorm(x, mean, variance, param(`${layer.name}.bias`) as tf.Tensor1D, param(`${layer.name}.weight`) as tf.Tensor1D, layer.eps);
        break;
      }
      case 'dropout':
        throw new Error('stockForward: no dropout (its masks differ between backends)');
      case 'residual':
        x = tf.add(stockForward(layer.body, x, params), layer.shortcut.length > 0 ? stockForward(layer.shortcut, x, params) : x);
        break;
      default:
        x = statelessLayer(layer, x);
    }
  }
  return x;
}

const STEPS = 3;
const BATCH = 6;

describe('the trainer model against stock tfjs ops', () => {
  const cases: Array<[string, Record<string, unknown>, [number, number, number]]> = [
    ['lenet5', { width: 0.5 }, [28, 28, 1]],
    ['vgg', { stages: [[6], [8, 8]] }, [12, 12, 2]],
    ['vgg', { stages: [[5], [8]], batchNorm: true }, [12, 12, 1]],
    ['alexnet', { width: 0.0625 }, [28, 28, 1]],
    ['resnet', { depth: 8, width: 0.25 }, [12, 12, 2]],
  ];
  for (const [arch, options, [h, w, c]] of cases) {
    it(`${arch} ${JSON.stringify(options)} on ${h}x${w}x${c}: ${STEPS} SGD steps give the same losses and weights`, async () => {
      const program = buildProgram(arch, { height: h, width: w, channels: c }, 5, options);
      const batches = Array.from({ length: STEPS }, (_, s) => ({
        images: randomValues(BATCH * h * w * c, 100 + s),
        labels: Int32Array.from({ length: BATCH }, (_, i) => (i * 3 + s) % 5),
      }));
      const sgd = { optimizer: 'sgd', lr: 0.05, momentum: 0.9, weight_decay: 0 } as const;

      await tf.setBackend('wasm');
      const model = new Model(program, 'kaiming', createRng(7));
      const initial = model.variables.map((v) => ({ name: v.name, shape: v.shape, values: v.dataSync().slice() as Float32Array }));
      const optimizer = makeOptimizer(sgd, model.variables);
      const step = createTrainStep(model, optimizer);
      const tensorCounts: number[] = [];
      const fusedLosses = batches.map((b, s) => {
        const [loss] = tf.tidy(() => step(tf.tensor4d(b.images, [BATCH, h, w, c]), b.labels, s));
        tensorCounts.push(tf.memory().numTensors);
        return loss;
      });
      // A step leaves no tensor behind (the fused gradients hand out tensors made outside their thunks).
      expect(new Set(tensorCounts).size, `tensors after each step: ${tensorCounts}`).toBe(1);
      const fusedWeights = model.variables.map((v) => v.dataSync().slice() as Float32Array);
      model.dispose();
      optimizer.dispose();

      await tf.setBackend('cpu');
      const params = new Map(initial.map((p) => [p.name, tf.variable(tf.tensor(p.values, p.shape))]));
      const stock = tf.train.momentum(sgd.lr, sgd.momentum);
      const stockLosses = batches.map((b) =>
        tf.tidy(() => {
          const labels = tf.oneHot(tf.tensor1d(b.labels, 'int32'), 5);
          const x = tf.tensor4d(b.images, [BATCH, h, w, c]);
          const loss = stock.minimize(() => tf.losses.softmaxCrossEntropy(labels, stockForward(program.layers, x, params)) as tf.Scalar, true);
          return (loss as tf.Scalar).dataSync()[0];
        }),
      );
      const stockWeights = initial.map((p) => (params.get(p.name) as tf.Variable).dataSync().slice() as Float32Array);
      stock.dispose();
      tf.dispose([...params.values()]);

      fusedLosses.forEach((loss, s) => expect(Math.abs(loss - stockLosses[s]), `loss of step ${s + 1}`).toBeLessThanOrEqual(TOLERANCE * Math.max(1, stockLosses[s])));
      initial.forEach((p, k) => {
        let scale = 1;
        let worst = 0;
        for (let i = 0; i < p.values.length; i++) {
          scale = Math.max(scale, Math.abs(stockWeights[k][i]));
          worst = Math.max(worst, Math.abs(fusedWeights[k][i] - stockWeights[k][i]));
        }
        expect(worst, `${p.name}: max |fused - stock| (scale ${scale})`).toBeLessThanOrEqual(TOLERANCE * scale);
        // The steps moved the weight: equal results are not merely the unchanged initial values.
        expect(fusedWeights[k].some((v, i) => v !== p.values[i]), `${p.name} changed`).toBe(true);
      });
    });
  }
});
