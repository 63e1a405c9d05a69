/**
 * The training kernels against the cpu backend: every registered kernel's outputs and
 * the gradients that flow through it, on random inputs.
 *
 * Tolerance: see ./backends.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { registerTrainingKernels, TRAINING_KERNELS } from '../../src/train/kernels/index.js';
import { expectSameAsCpu, input, randomValues, withGradients } from './backends.js';

beforeAll(async () => {
  registerTrainingKernels();
  await tf.setBackend('wasm');
});

describe('registration', () => {
  it('registers every training kernel for wasm once', () => {
    expect(registerTrainingKernels()).toEqual([]);
    for (const config of TRAINING_KERNELS) {
      expect(tf.getKernel(config.kernelName, 'wasm')?.kernelFunc).toBe(config.kernelFunc);
    }
  });
});

describe('BatchMatMul', () => {
  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[64, 33], [33, 19], false, false],
    [[300, 20], [17, 20], false, true],
    [[9, 20], [20, 16], false, false],
    [[20, 9], [20, 24], true, false],
    [[2, 9, 6], [2, 6, 11], false, false],
    [[2, 6, 9], [2, 11, 6], true, true],
  ];
  it.each(cases)('a %j b %j transposeA %s transposeB %s: values and gradients', async (sa, sb, ta, tb) => {
    await expectSameAsCpu(
      [input(sa, 1), input(sb, 2)],
      withGradients((a, b) => tf.matMul(a, b, ta, tb), 3),
      `matMul ${sa} ${sb} ${ta} ${tb}`,
    );
  });
  // tfjs-core's BatchMatMul gradient does not reduce broadcast batch dimensions (on any
  // backend), so broadcasting is checked on values only.
  it.each([
    [[3, 6, 9], [6, 11], true, false],
    [[2, 3, 4, 6], [3, 11, 6], false, true],
  ] as Array<[number[], number[], boolean, boolean]>)('broadcasts batch a %j b %j transposeA %s transposeB %s', async (sa, sb, ta, tb) => {
    await expectSameAsCpu([input(sa, 1), input(sb, 2)], (a, b) => [tf.matMul(a, b, ta, tb)], `matMul ${sa} ${sb}`);
  });
});

describe('_FusedMatMul', () => {
  const cases: Array<[number[], number[], boolean, boolean, 'linear' | 'relu']> = [
    [[6, 10], [10, 13], false, false, 'relu'],
    [[10, 6], [13, 10], true, true, 'linear'],
    [[64, 25], [25, 9], false, false, 'relu'],
    [[2, 5, 8], [2, 8, 3], false, false, 'relu'],
  ];
  it.each(cases)('a %j b %j transposeA %s transposeB %s %s with bias: values and gradients', async (sa, sb, ta, tb, act) => {
    const n = tb ? sb[sb.length - 2] : sb[sb.length - 1];
    await expectSameAsCpu(
      [input(sa, 4), input(sb, 5), input([n], 6)],
      withGradients((a, b, bias) => tf.fused.matMul({ a, b, bias, transposeA: ta, transposeB: tb, activation: act }), 7),
      `fused matMul ${sa} ${sb} ${act}`,
    );
  });
  it('hands other activations to the shipped kernel', async () => {
    await expectSameAsCpu(
      [input([4, 6], 8), input([6, 5], 9), input([5], 10)],
      (a, b, bias) => [tf.fused.matMul({ a, b, bias, activation: 'relu6' })],
      'fused matMul relu6',
    );
  });
});

describe('Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter', () => {
  type Pad = 'same' | 'valid' | number;
  // [input NHWC, filter HWIO, stride, pad]
  const cases: Array<[number[], number[], number | [number, number], Pad]> = [
    [[2, 9, 7, 1], [5, 5, 1, 6], 1, 'same'],
    [[2, 9, 7, 3], [3, 3, 3, 4], 1, 'valid'],
    [[3, 8, 10, 2], [2, 2, 2, 5], 2, 'same'],
    [[2, 11, 8, 3], [4, 4, 3, 4], 2, 'valid'],
    [[2, 10, 13, 4], [3, 3, 4, 3], 3, 'same'],
    [[2, 13, 10, 2], [5, 3, 2, 3], 3, 'valid'],
    [[2, 12, 9, 3], [4, 2, 3, 5], [1, 2], 'same'],
    [[2, 7, 9, 5], [1, 1, 5, 6], 1, 'valid'],
    [[2, 8, 8, 4], [1, 1, 4, 3], 2, 'same'],
    [[2, 10, 9, 3], [3, 3, 3, 6], 2, 1],
    [[2, 14, 14, 6], [5, 5, 6, 16], 1, 'valid'],
    [[2, 8, 6, 16], [3, 3, 16, 8], 1, 'same'],
    [[2, 7, 9, 12], [4, 2, 12, 9], 1, 'same'],
  ];
  it.each(cases)('x %j filter %j stride %j pad %j: values and both gradients', async (sx, sf, stride, pad) => {
    await expectSameAsCpu(
      [input(sx, 11), input(sf, 12)],
      withGradients((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad), 13),
      `conv2d ${sx} ${sf} ${stride} ${pad}`,
    );
  });
  it('supports explicit padding and dilation in the forward pass', async () => {
    const explicit: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 2], [0, 1], [0, 0]];
    await expectSameAsCpu(
      [input([2, 9, 8, 3], 14), input([3, 2, 3, 4], 15)],
      withGradients((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, [2, 1], explicit), 16),
      'conv2d explicit padding',
    );
    await expectSameAsCpu(
      [input([2, 11, 9, 2], 17), input([3, 3, 2, 3], 18)],
      (x, f) => [tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same', 'NHWC', 2)],
      'conv2d dilation 2',
    );
  });
  it('runs the filter and input gradients of a whole batch in chunks that accumulate', async () => {
    // 26 images of 12 x 12 x 8 with a 3 x 3 window exceed two chunks of gathered columns.
    await expectSameAsCpu(
      [input([26, 12, 12, 8], 19), input([3, 3, 8, 4], 20)],
      withGradients((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'), 21),
      'conv2d chunked',
    );
  });
});

describe('FusedConv2D', () => {
  it.each([
    [[2, 9, 7, 3], [3, 3, 3, 4], 1, 'same', 'relu'],
    [[2, 10, 11, 2], [4, 4, 2, 5], 2, 'valid', 'linear'],
  ] as Array<[number[], number[], number, 'same' | 'valid', 'relu' | 'linear']>)(
    'x %j filter %j stride %j %s %s with bias: values and gradients',
    async (sx, sf, stride, pad, activation) => {
      await expectSameAsCpu(
        [input(sx, 22), input(sf, 23), input([sf[3]], 24)],
        withGradients(
          (x, filter, bias) =>
            tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: stride, pad, bias, activation }),
          25,
        ),
        `fused conv2d ${sx} ${sf} ${activation}`,
      );
    },
  );
});

/** Pooling geometries: input shape, window, stride, padding (odd, even, non-square, overlapping, clipped). */
const POOL_CASES: Array<[number[], number | [number, number], number | [number, number], 'same' | 'valid']> = [
    [[2, 8, 8, 6], 2, 2, 'valid'],
    [[2, 9, 7, 5], 3, 2, 'same'],
    [[3, 10, 7, 4], 2, 1, 'same'],
    [[2, 11, 9, 3], 3, 3, 'valid'],
    [[2, 7, 10, 9], [2, 3], [1, 2], 'same'],
];

describe('MaxPoolGrad', () => {
  it.each(POOL_CASES)(
    'x %j window %j stride %j %s: values and gradient',
    async (shape, size, stride, pad) => {
      await expectSameAsCpu([input(shape, 40)], withGradients((x) => tf.maxPool(x as tf.Tensor4D, size, stride, pad), 41), `maxPool ${shape}`);
    },
  );
  it('sends the gradient to the first of tied maxima', async () => {
    const tied = { shape: [1, 4, 4, 5], values: new Float32Array(80).fill(1) };
    await expectSameAsCpu([tied], withGradients((x) => tf.maxPool(x as tf.Tensor4D, 2, 1, 'same'), 42), 'maxPool ties');
  });
});

describe('AvgPoolGrad', () => {
  it.each(POOL_CASES)(
    'x %j window %j stride %j %s: values and gradient',
    async (shape, size, stride, pad) => {
      await expectSameAsCpu([input(shape, 50)], withGradients((x) => tf.avgPool(x as tf.Tensor4D, size, stride, pad), 51), `avgPool ${shape}`);
    },
  );
});

describe('Add, Sub, Multiply, RealDiv', () => {
  const ops: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['div', (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
  ];
  const shapes: Array<[number[], number[]]> = [
    [[5, 7], [5, 7]],
    [[4, 6, 6, 5], [5]],
    [[], [3, 9]],
    [[6, 1], [6, 11]],
    [[2, 1, 1, 13], [2, 3, 4, 13]],
    [[3, 1, 5], [1, 4, 1]],
    [[2, 1, 3, 1], [1, 4, 1, 5]],
    [[7, 6], [6]],
    [[10], [9, 10]],
    [[5, 3], [3]],
  ];
  for (const [name, op] of ops) {
    it.each(shapes)(`${name} %j and %j: values and gradients`, async (sa, sb) => {
      await expectSameAsCpu([input(sa, 43), input(sb, 44)], withGradients(op, 45), `${name} ${sa} ${sb}`);
    });
  }
  it('leaves int32 arithmetic to the shipped kernels', async () => {
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      expect(await tf.add(tf.tensor1d([1, 2], 'int32'), tf.scalar(3, 'int32')).array()).toEqual([4, 5]);
    }
  });
});

describe('Sum, Mean', () => {
  it.each([
    [[64, 10], [0]],
    [[6, 5, 4, 3], [0, 1, 2]],
    [[6, 5, 4, 3], [1, 2]],
    [[6, 5, 4, 7], [3]],
    [[6, 5, 4, 3], [0, 1, 2, 3]],
    [[6, 1, 4, 3], [1, 2]],
    [[6, 5, 4, 3], [0, 2]],
    [[7, 5, 6], [0, 1]],
    [[37, 10], [0]],
  ])('x %j axes %j: values (with and without keepDims) and gradients', async (shape, axes) => {
    for (const keepDims of [false, true]) {
      await expectSameAsCpu(
        [input(shape, 46)],
        (x) => [tf.sum(x, axes, keepDims), tf.mean(x, axes, keepDims)],
        `reduce ${shape} ${axes} ${keepDims}`,
      );
    }
    await expectSameAsCpu([input(shape, 47)], withGradients((x) => tf.add(tf.sum(x, axes), tf.mean(x, axes)), 48), `reduce grad ${shape}`);
  });
});

describe('Cast', () => {
  it('shares float32 to float32 and converts other dtypes', async () => {
    await expectSameAsCpu([input([3, 4], 49)], (x) => [tf.cast(x, 'float32'), tf.cast(tf.cast(tf.mul(x, 10), 'int32'), 'float32')], 'cast');
  });
});

describe('Tile', () => {
  it.each([
    [[3, 1], [1, 5]],
    [[1, 1, 1, 4], [2, 3, 5, 1]],
    [[2, 3], [3, 2]],
    [[2, 1, 3], [1, 4, 2]],
    [[5], [1]],
  ])('x %j reps %j: values and gradient', async (shape, reps) => {
    await expectSameAsCpu([input(shape, 26)], withGradients((x) => tf.tile(x, reps), 27), `tile ${shape} ${reps}`);
  });
  it('tiles int32 and bool tensors', async () => {
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      expect(await tf.tile(tf.tensor2d([[1, 2]], [1, 2], 'int32'), [2, 2]).array()).toEqual([[1, 2, 1, 2], [1, 2, 1, 2]]);
      expect(await tf.tile(tf.tensor1d([true, false], 'bool'), [3]).array()).toEqual([1, 0, 1, 0, 1, 0]);
    }
  });
  it('broadcasts through broadcastTo and the batch-norm gradient', async () => {
    await expectSameAsCpu([input([3, 1, 4], 28)], (x) => [tf.broadcastTo(x, [2, 3, 5, 4])], 'broadcastTo');
    await expectSameAsCpu(
      [input([4, 3, 5, 6], 29), input([6], 30), input([6], 31)],
      withGradients((x, scale, offset) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
      }, 32),
      'batch norm',
    );
  });
});

describe('FusedBatchNorm', () => {
  it.each([
    [[4, 3, 5, 6], true],
    [[7, 9], false],
    [[7, 9], true],
    [[2, 4, 4, 3], true],
  ] as Array<[number[], boolean]>)('x %j (scale and offset %s)', async (shape, affine) => {
    const c = shape[shape.length - 1];
    const params = [input([c], 52), { shape: [c], values: randomValues(c, 53).map((v) => v + 1.5) }];
    const norm = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset?: tf.Tensor, scale?: tf.Tensor): tf.Tensor =>
      tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
    if (affine) {
      params.push(input([c], 54), input([c], 55));
      await expectSameAsCpu([input(shape, 56), ...params], withGradients(norm, 57), `batchNorm ${shape}`);
    } else {
      // tfjs-core's batch-norm gradient needs a scale (on every backend): values only.
      await expectSameAsCpu([input(shape, 56), ...params], (x, mean, variance) => [norm(x, mean, variance)], `batchNorm ${shape}`);
    }
  });
  it('hands per-element parameters to the shipped kernel', async () => {
    await expectSameAsCpu(
      [input([3, 4], 58), input([3, 4], 59), { shape: [3, 4], values: randomValues(12, 60).map((v) => v + 1.5) }],
      (x, mean, variance) => [tf.batchNorm(x, mean, variance)],
      'batchNorm per element',
    );
  });
});

describe('Identity', () => {
  it('shares the buffer and keeps values and gradients', async () => {
    await expectSameAsCpu([input([4, 5], 33)], withGradients((x) => tf.mul(tf.clone(x), x), 34), 'clone');
    await tf.setBackend('wasm');
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
  });
});

describe('a training step', () => {
  it('gives the same loss and updates as cpu for a small CNN with momentum SGD', async () => {
    const shapes = [[3, 3, 2, 4], [4], [6 * 5 * 4, 7], [7]];
    const inputs = [input([5, 12, 10, 2], 35), ...shapes.map((s, i) => input(s, 36 + i))];
    const labels = Array.from({ length: 5 }, (_, i) => (i * 3) % 7);
    const step = (x: tf.Tensor, ...init: tf.Tensor[]): tf.Tensor[] => {
      const vars = init.map((t) => tf.variable(t));
      const optimizer = tf.train.momentum(0.1, 0.9);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 7);
      const losses: tf.Tensor[] = [];
      for (let i = 0; i < 3; i++) {
        const loss = optimizer.minimize(() => {
          const h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, vars[0] as tf.Variable<tf.Rank.R4>, 1, 'same'), vars[1]));
          const p = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
          const logits = tf.add(tf.matMul(tf.reshape(p, [5, -1]), vars[2]), vars[3]);
          return tf.losses.softmaxCrossEntropy(y, logits);
        }, true);
        if (loss === null) throw new Error('no loss');
        losses.push(loss);
      }
      const out = [...losses, ...vars.map((v) => tf.clone(v))];
      optimizer.dispose();
      vars.forEach((v) => v.dispose());
      return out;
    };
    await expectSameAsCpu(inputs, step, 'training step');
  });
});
