/**
 * epochgraph's training ops (dense, convolution, batchNormTraining, reluBackprop,
 * softmaxCrossEntropy) and optimizer
 * update kernels on the wasm backend, against their definitions composed from tfjs ops
 * and tfjs's own optimizers on the cpu backend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useTrainingBackend } from '../../src/train/backend.js';
import { batchNormTraining, convolution, dense, reluBackprop, softmaxCrossEntropy } from '../../src/train/ops/index.js';
import { Adam, MomentumSgd } from '../../src/train/optimizers.js';
import { countCorrect, oneHot } from '../../src/train/train.js';
import { expectSameAsCpu, input, randomValues, runOn, withGradients, type Input } from './backends.js';

beforeAll(async () => {
  await useTrainingBackend();
});

describe('dense', () => {
  const shapes: Array<[number, number, number]> = [
    [5, 7, 3],
    [64, 33, 19],
    [3, 20, 16],
    [1, 9, 6],
  ];
  for (const [n, k, m] of shapes) {
    for (const relu of [false, true]) {
      it(`x [${n},${k}] W [${k},${m}]${relu ? ' + ReLU' : ''}: values and gradients of x, W and b`, async () => {
        const inputs = [input([n, k], n + k), input([k, m], k + m), input([m], m)];
        const ours = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => dense(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D, relu);
        const reference = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
          const z = tf.add(tf.matMul(x, w), b);
          return relu ? tf.relu(z) : z;
        };
        await expectSameAsCpu(inputs, withGradients(ours, 7), `dense ${n}x${k}x${m}`, withGradients(reference, 7));
      });
    }
  }

  it('computes no input gradient when only the weights need one (the first layer)', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor2d(randomValues(8 * 6, 1), [8, 6]);
    const w = tf.variable(tf.tensor2d(randomValues(6 * 4, 2), [6, 4])) as tf.Variable<tf.Rank.R2>;
    const b = tf.variable(tf.zeros([4])) as tf.Variable<tf.Rank.R1>;
    const products = async (f: () => tf.Scalar, xs: tf.Variable[]) => {
      const info = await tf.profile(() => {
        const { grads } = tf.variableGrads(f, xs);
        tf.dispose(Object.values(grads));
      });
      return info.kernels.filter((k) => k.name === 'BatchMatMul').length;
    };
    // Forward is one Dense kernel; backward: dW only, or dW and dx when a variable precedes x.
    expect(await products(() => tf.sum(dense(x, w, b, true)), [w, b])).toBe(1);
    const scale = tf.variable(tf.scalar(2));
    expect(await products(() => tf.sum(dense(tf.mul(x, scale) as tf.Tensor2D, w, b, true)), [w, b, scale])).toBe(2);
    tf.dispose([x, w, b, scale]);
  });

  it('rejects shapes that do not fit x·W + b', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => dense(x, tf.zeros([4, 5]) as tf.Tensor2D, tf.zeros([5]) as tf.Tensor1D, false)).toThrow(/^dense: /);
    expect(() => dense(x, tf.zeros([3, 5]) as tf.Tensor2D, tf.zeros([4]) as tf.Tensor1D, false)).toThrow(/^dense: /);
  });
});

describe('convolution', () => {
  // [N, H, W, C, K, O, stride, padding, bias]: odd and even sizes, 1x1 / 3x3 / 5x5 filters,
  // strides 1 and 2, no, 'same' and larger padding, channel counts off the 4- and 8-lane blocks.
  const cases: Array<[number, number, number, number, number, number, number, number, boolean]> = [
    [2, 9, 9, 1, 5, 6, 1, 2, true],
    [3, 8, 7, 6, 5, 16, 1, 0, true],
    [2, 10, 10, 5, 3, 11, 2, 1, false],
    [2, 9, 8, 8, 1, 12, 2, 0, false],
    [1, 6, 6, 3, 3, 9, 1, 3, true],
    [4, 7, 7, 16, 3, 20, 1, 1, true],
  ];
  for (const [n, h, w, c, k, o, stride, padding, hasBias] of cases) {
    for (const relu of [false, true]) {
      const label = `x [${n},${h},${w},${c}] W [${k},${k},${c},${o}] stride ${stride} padding ${padding}${hasBias ? ' + b' : ''}${relu ? ' + ReLU' : ''}`;
      it(`${label}: values and gradients of x, W${hasBias ? ' and b' : ''}`, async () => {
        const seed = n + h + w + c + k + o + stride + padding;
        const inputs = [input([n, h, w, c], seed), input([k, k, c, o], seed + 1), ...(hasBias ? [input([o], seed + 2)] : [])];
        const ours = (x: tf.Tensor, f: tf.Tensor, b?: tf.Tensor) => convolution(x as tf.Tensor4D, f as tf.Tensor4D, b as tf.Tensor1D | undefined, { stride, padding, relu });
        const reference = (x: tf.Tensor, f: tf.Tensor, b?: tf.Tensor) => {
          const conv = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, padding);
          const z = b === undefined ? conv : tf.add(conv, b);
          return relu ? tf.relu(z) : z;
        };
        await expectSameAsCpu(inputs, withGradients(ours, seed + 3), `convolution ${label}`, withGradients(reference, seed + 3));
      });
    }
  }

  it('computes no input gradient when only the weights need one (the first layer)', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(randomValues(2 * 8 * 8 * 3, 1), [2, 8, 8, 3]);
    const f = tf.variable(tf.tensor4d(randomValues(3 * 3 * 3 * 4, 2), [3, 3, 3, 4])) as tf.Variable<tf.Rank.R4>;
    const b = tf.variable(tf.zeros([4])) as tf.Variable<tf.Rank.R1>;
    const kernels = async (g: () => tf.Scalar, xs: tf.Variable[]) => {
      const info = await tf.profile(() => {
        const { grads } = tf.variableGrads(g, xs);
        tf.dispose(Object.values(grads));
      });
      return info.kernels.map((k) => k.name);
    };
    const options = { stride: 1, padding: 1, relu: true };
    const first = await kernels(() => tf.sum(convolution(x, f, b, options)), [f, b]);
    expect(first.filter((name) => name === 'Conv2DBackpropInput')).toHaveLength(0);
    expect(first.filter((name) => name === 'Conv2DBackpropFilter')).toHaveLength(1);
    const scale = tf.variable(tf.scalar(2));
    const later = await kernels(() => tf.sum(convolution(tf.mul(x, scale) as tf.Tensor4D, f, b, options)), [f, b, scale]);
    expect(later.filter((name) => name === 'Conv2DBackpropInput')).toHaveLength(1);
    tf.dispose([x, f, b, scale]);
  });

  it('rejects shapes and geometry that do not fit', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 5, 5, 3]) as tf.Tensor4D;
    const options = { stride: 1, padding: 0, relu: false };
    expect(() => convolution(x, tf.zeros([3, 3, 2, 4]) as tf.Tensor4D, undefined, options)).toThrow(/^convolution: /);
    expect(() => convolution(x, tf.zeros([3, 3, 3, 4]) as tf.Tensor4D, tf.zeros([5]) as tf.Tensor1D, options)).toThrow(/^convolution: /);
    expect(() => convolution(x, tf.zeros([7, 7, 3, 4]) as tf.Tensor4D, undefined, options)).toThrow(/^convolution: /);
    expect(() => convolution(x, tf.zeros([3, 3, 3, 4]) as tf.Tensor4D, undefined, { ...options, stride: 0 })).toThrow(/^convolution: /);
  });
});

describe('batchNormTraining', () => {
  const cases: Array<[number[], boolean, boolean]> = [
    [[4, 5, 5, 3], false, false],
    [[4, 5, 5, 3], true, false],
    [[2, 6, 6, 8], true, true],
    [[3, 7, 7, 5], false, true],
    [[64, 6], true, false],
  ];
  for (const [shape, relu, withResidual] of cases) {
    const label = `x [${shape}]${withResidual ? ' + residual' : ''}${relu ? ' + ReLU' : ''}`;
    it(`${label}: values, batch statistics and gradients of every input`, async () => {
      const C = shape[shape.length - 1];
      const seed = shape.reduce((a, b) => a + b, 0);
      const inputs = [input(shape, seed), input([C], seed + 1), input([C], seed + 2), ...(withResidual ? [input(shape, seed + 3)] : [])];
      const axes = shape.slice(0, -1).map((_, d) => d);
      const ours = (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, residual?: tf.Tensor) =>
        batchNormTraining(x, scale as tf.Tensor1D, offset as tf.Tensor1D, { epsilon: 1e-5, relu, residual });
      const reference = (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, residual?: tf.Tensor) => {
        const { mean, variance } = tf.moments(x, axes);
        const normalised = tf.batchNorm(x, mean, variance, offset as tf.Tensor1D, scale as tf.Tensor1D, 1e-5);
        const z = residual === undefined ? normalised : tf.add(normalised, residual);
        return { y: relu ? tf.relu(z) : z, mean, variance };
      };
      type Outputs = { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor };
      const withStatistics = (f: (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, residual?: tf.Tensor) => Outputs) => (...xs: tf.Tensor[]) => {
        const [x, scale, offset, residual] = xs;
        const { mean, variance } = f(x, scale, offset, residual);
        return [...withGradients((...ys: tf.Tensor[]) => f(ys[0], ys[1], ys[2], ys[3]).y, seed + 4)(...xs), mean, variance];
      };
      await expectSameAsCpu(inputs, withStatistics(ours), `batch-norm ${label}`, withStatistics(reference));
    });
  }

  it('stays exact on data far from zero (shifted sums)', async () => {
    const values = randomValues(2 * 4 * 4 * 3, 9).map((v) => 1000 + 0.01 * v);
    await tf.setBackend('wasm');
    const x = tf.tensor4d(values, [2, 4, 4, 3]);
    const { mean, variance } = batchNormTraining(x, tf.ones([3]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D, { epsilon: 1e-5, relu: false });
    const m = mean.dataSync();
    const v = variance.dataSync();
    for (let c = 0; c < 3; c++) {
      const column = Array.from(values.filter((_, i) => i % 3 === c), Number);
      const mu = column.reduce((a, b) => a + b, 0) / column.length;
      const sigma2 = column.reduce((a, b) => a + (b - mu) ** 2, 0) / column.length;
      expect(m[c]).toBeCloseTo(mu, 3);
      expect(Math.abs(v[c] - sigma2)).toBeLessThan(1e-3 * sigma2);
    }
    tf.dispose([x, mean, variance]);
  });

  it('rejects parameters and residuals of the wrong shape', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([2, 3, 3, 4]);
    const c4 = tf.zeros([4]) as tf.Tensor1D;
    expect(() => batchNormTraining(x, tf.zeros([3]) as tf.Tensor1D, c4, { epsilon: 1e-5, relu: false })).toThrow(/^batch-norm: /);
    expect(() => batchNormTraining(x, c4, c4, { epsilon: 1e-5, relu: false, residual: tf.zeros([2, 3, 3, 3]) })).toThrow(/^batch-norm: /);
    expect(() => batchNormTraining(x, c4, c4, { epsilon: 0, relu: false })).toThrow(/^batch-norm: /);
  });
});

describe('reluBackprop', () => {
  for (const size of [1, 4, 7, 130]) {
    it(`masks dy where y <= 0 (${size} elements)`, async () => {
      const inputs = [input([size], size), input([size], size + 1)];
      await expectSameAsCpu(inputs, (dy, y) => [reluBackprop(dy, y)], `relu-backprop ${size}`, (dy, y) => [tf.mul(dy, tf.step(y))]);
    });
  }
});

describe('softmaxCrossEntropy', () => {
  // The definition, differentiated by tfjs (tf.losses.softmaxCrossEntropy's own gradient
  // assumes rows of labels that sum to 1, and gives no true labels gradient).
  const reference = (logits: tf.Tensor, labels: tf.Tensor) => tf.mean(tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1)));
  const ours = (logits: tf.Tensor, labels: tf.Tensor) => softmaxCrossEntropy(logits as tf.Tensor2D, labels as tf.Tensor2D);
  const oneHotRows: Input = { shape: [6, 5], values: new Float32Array(30) };
  for (let n = 0; n < 6; n++) oneHotRows.values[n * 5 + ((n * 3) % 5)] = 1;
  const logits = { shape: [6, 5], values: randomValues(30, 3).map((v) => v * 4) };

  it('gives the loss of tf.losses.softmaxCrossEntropy on one-hot labels', async () => {
    await expectSameAsCpu([logits, oneHotRows], (l, y) => [ours(l, y)], 'loss', (l, y) => [tf.losses.softmaxCrossEntropy(y, l)]);
  });

  it('matches the definition on one-hot labels: loss and gradients', async () => {
    await expectSameAsCpu([logits, oneHotRows], withGradients(ours, 4), 'one-hot', withGradients(reference, 4));
  });

  it('matches the definition on soft labels that do not sum to 1', async () => {
    const labels: Input = { shape: [4, 3], values: Float32Array.from(randomValues(12, 5), (v) => (v + 1) / 2) };
    await expectSameAsCpu([input([4, 3], 6), labels], withGradients(ours, 7), 'soft labels', withGradients(reference, 7));
  });

  it('stays finite for large logits and is NaN for non-finite ones', async () => {
    const labels = { shape: [1, 3], values: Float32Array.from([0, 1, 0]) };
    const [large] = await runOn('wasm', [{ shape: [1, 3], values: Float32Array.from([1000, 990, -1000]) }, labels], (l, y) => [ours(l, y)]);
    expect(large[0]).toBeCloseTo(10, 4);
    const [nan] = await runOn('wasm', [{ shape: [1, 3], values: Float32Array.from([NaN, 0, 0]) }, labels], (l, y) => [ours(l, y)]);
    expect(Number.isNaN(nan[0])).toBe(true);
  });
});

describe('optimizers', () => {
  let created = 0;
  /** Three steps on two variables (sizes with and without a SIMD tail) with fixed gradients; returns the final values. */
  const threeSteps = (make: (vars: tf.Variable[]) => { applyGradients(g: tf.NamedTensorMap): void; dispose(): void }) =>
    (...init: tf.Tensor[]): tf.Tensor[] => {
      const vars = init.slice(0, 2).map((t, i) => tf.variable(t, true, `optimizer-test-${created++}-${i}`));
      const optimizer = make(vars);
      for (let s = 0; s < 3; s++) {
        tf.tidy(() => optimizer.applyGradients({ [vars[0].name]: tf.mul(init[2], s + 1), [vars[1].name]: tf.mul(init[3], 1 - s) }));
      }
      const out = vars.map((v) => tf.clone(v));
      optimizer.dispose();
      tf.dispose(vars);
      return out;
    };
  const inputs = [input([7, 5], 11), input([4], 12), input([7, 5], 13), input([4], 14)];

  it('MomentumSgd matches tfjs momentum SGD (same update rule) without weight decay', async () => {
    await expectSameAsCpu(
      inputs,
      threeSteps((vars) => new MomentumSgd(vars, { lr: 0.1, momentum: 0.9, weightDecay: 0 })),
      'momentum',
      threeSteps(() => {
        const o = tf.train.momentum(0.1, 0.9);
        return { applyGradients: (g) => o.applyGradients(Object.entries(g).map(([name, tensor]) => ({ name, tensor }))), dispose: () => o.dispose() };
      }),
    );
  });

  /** Reference updates written out from PyTorch's documented rules, with tfjs ops. */
  const pytorchRule = (rule: (w: tf.Tensor, g: tf.Tensor, state: tf.Tensor[], t: number) => [tf.Tensor, tf.Tensor[]], states: number) =>
    threeSteps((vars) => {
      let state: tf.Tensor[][] = vars.map((v) => Array.from({ length: states }, () => tf.zerosLike(v)));
      let t = 0;
      return {
        applyGradients: (g) => {
          t++;
          state = vars.map((v, i) => {
            const [w, next] = rule(v, g[v.name], state[i], t);
            v.assign(w);
            return next.map((s) => tf.keep(s));
          });
        },
        dispose: () => tf.dispose(state.flat()),
      };
    });

  it('MomentumSgd adds weight decay to the gradient, as PyTorch', async () => {
    const [lr, momentum, wd] = [0.05, 0.8, 0.01];
    await expectSameAsCpu(
      inputs,
      threeSteps((vars) => new MomentumSgd(vars, { lr, momentum, weightDecay: wd })),
      'momentum with weight decay',
      pytorchRule((w, g, [v]) => {
        const velocity = tf.add(tf.mul(v, momentum), tf.add(g, tf.mul(w, wd)));
        return [tf.sub(w, tf.mul(velocity, lr)), [velocity]];
      }, 1),
    );
  });

  it('Adam follows PyTorch: bias corrections, epsilon outside the corrected root, weight decay', async () => {
    const [lr, b1, b2, eps, wd] = [0.01, 0.9, 0.999, 1e-8, 0.02];
    await expectSameAsCpu(
      inputs,
      threeSteps((vars) => new Adam(vars, { lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd })),
      'adam',
      pytorchRule((w, g0, [m0, v0], t) => {
        const g = tf.add(g0, tf.mul(w, wd));
        const m = tf.add(tf.mul(m0, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(v0, b2), tf.mul(tf.square(g), 1 - b2));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - b2 ** t)), eps);
        return [tf.sub(w, tf.mul(tf.div(m, denom), lr / (1 - b1 ** t))), [m, v]];
      }, 2),
    );
  });
});

describe('labels and accuracy', () => {
  it('builds one-hot rows and counts argmax hits, the first maximum winning ties', async () => {
    await tf.setBackend('wasm');
    const rows = oneHot(Int32Array.from([2, 0]), 3);
    expect(Array.from(rows.dataSync())).toEqual([0, 0, 1, 1, 0, 0]);
    rows.dispose();
    const logits = Float32Array.from([0.1, 0.5, 0.5, 2, 1, 0, 0, 0, 3]);
    expect(countCorrect(logits, Int32Array.from([1, 0, 2]), 3)).toBe(3);
    expect(countCorrect(logits, Int32Array.from([2, 1, 2]), 3)).toBe(1);
  });
});
