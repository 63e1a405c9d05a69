/**
 * Kernel-level evidence for the training kernels (src/train/kernels).
 *
 * 1. Per kernel: median time of one call on training-sized shapes with the wasm
 *    backend's shipped kernel and with the registered one, alternating call by call.
 *    Inputs are fresh tensors on every call, as weights are in training (the shipped
 *    matmul and conv cache their packed weights per tensor).
 * 2. Per network: samples/s of one training step (forward, softmax cross-entropy,
 *    backward, SGD with momentum; batch 64, random data) written with plain tfjs ops,
 *    for an MLP 784-256-256-10, LeNet-5 on 28x28x1 and a CIFAR ResNet-8 with batch-norm
 *    on 32x32x3: shipped kernels, registered kernels, and the same networks in PyTorch
 *    (CPU, one thread) run by bench/kernels_torch.py. The three alternate round by round
 *    so that all see the same machine load; the ratio to PyTorch is the median of the
 *    per-round ratios.
 *
 * Usage: npm run bench:kernels [-- --rounds N --seconds S]
 */
import { startTorchPeer } from './torch-peer.js';
import type { Network } from './torch-peer.js';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node build registers no gradients; the union package's Node build does.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerTrainingKernels, TRAINING_KERNELS } from '../src/train/kernels/index.js';
import { median } from './report.js';

const BATCH = 64;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const ROUNDS = option('rounds', 7);
const SECONDS = option('seconds', 1);

// ---------------------------------------------------------------------------------
// Per-kernel timings

interface KernelCase {
  kernel: string;
  shapes: string;
  /** Fresh inputs for one call. */
  inputs: () => tf.Tensor[];
  run: (...xs: tf.Tensor[]) => tf.Tensor;
}

const randomValues = new Map<number, Float32Array>();
/** A fresh tensor (new buffer) of fixed random values: no per-call random generation or garbage. */
const rnd = (shape: number[]): tf.Tensor => {
  const size = shape.reduce((a, b) => a * b, 1);
  let values = randomValues.get(size);
  if (values === undefined) {
    values = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 12.9898 + size) * 0.5);
    randomValues.set(size, values);
  }
  return tf.tensor(values, shape);
};
const runKernel = (name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;

function kernelCases(): KernelCase[] {
  const conv = (x: [number, number, number, number], f: [number, number, number, number], pad: number | 'valid'): KernelCase[] => {
    const dyShape = tf.tidy(() => tf.conv2d(tf.zeros(x) as tf.Tensor4D, tf.zeros(f) as tf.Tensor4D, 1, pad).shape as number[]);
    const attrs = { strides: 1, pad, dataFormat: 'NHWC' };
    const s = `${x.join('x')} * ${f.join('x')}`;
    return [
      { kernel: 'Conv2D', shapes: s, inputs: () => [rnd(x), rnd(f)], run: (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad) },
      {
        kernel: 'Conv2DBackpropInput',
        shapes: s,
        inputs: () => [rnd(dyShape), rnd(f)],
        run: (dy, filter) => runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: x }),
      },
      {
        kernel: 'Conv2DBackpropFilter',
        shapes: s,
        inputs: () => [rnd(x), rnd(dyShape)],
        run: (xx, dy) => runKernel('Conv2DBackpropFilter', { x: xx, dy }, { ...attrs, filterShape: f }),
      },
    ];
  };
  const pool = (kernel: 'MaxPoolGrad' | 'AvgPoolGrad', x: number[]): KernelCase => {
    const y = [x[0], x[1] / 2, x[2] / 2, x[3]];
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
    return {
      kernel,
      shapes: `${x.join('x')}, 2x2 / 2`,
      inputs: () => [rnd(y), rnd(x)],
      run: (dy, input) => runKernel(kernel, kernel === 'MaxPoolGrad' ? { dy, input, output: dy } : { dy, input }, attrs),
    };
  };
  return [
    { kernel: 'BatchMatMul', shapes: 'x·W 64x784 · 784x256', inputs: () => [rnd([64, 784]), rnd([784, 256])], run: (a, b) => tf.matMul(a, b) },
    { kernel: 'BatchMatMul', shapes: 'xᵀ·dy 784x64 · 64x256', inputs: () => [rnd([64, 784]), rnd([64, 256])], run: (a, b) => tf.matMul(a, b, true, false) },
    { kernel: 'BatchMatMul', shapes: 'dy·Wᵀ 64x256 · 256x784', inputs: () => [rnd([64, 256]), rnd([784, 256])], run: (a, b) => tf.matMul(a, b, false, true) },
    {
      kernel: '_FusedMatMul',
      shapes: 'relu(x·W + b) 64x784 · 784x256',
      inputs: () => [rnd([64, 784]), rnd([784, 256]), rnd([256])],
      run: (a, b, bias) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'relu' }),
    },
    ...conv([64, 28, 28, 1], [5, 5, 1, 6], 2),
    ...conv([64, 14, 14, 6], [5, 5, 6, 16], 'valid'),
    ...conv([64, 32, 32, 16], [3, 3, 16, 16], 1),
    pool('MaxPoolGrad', [64, 28, 28, 6]),
    pool('AvgPoolGrad', [64, 32, 32, 16]),
    { kernel: 'Tile', shapes: '1x1x1x16 → 64x32x32x16', inputs: () => [rnd([1, 1, 1, 16])], run: (x) => tf.tile(x, [64, 32, 32, 1]) },
    { kernel: 'Add', shapes: '64x28x28x6 + 6 (bias)', inputs: () => [rnd([64, 28, 28, 6]), rnd([6])], run: (a, b) => tf.add(a, b) },
    { kernel: 'Multiply', shapes: 'scalar · 784x256', inputs: () => [rnd([]), rnd([784, 256])], run: (a, b) => tf.mul(a, b) },
    { kernel: 'Sum', shapes: '64x28x28x6 over N,H,W', inputs: () => [rnd([64, 28, 28, 6])], run: (x) => tf.sum(x, [0, 1, 2]) },
    { kernel: 'Mean', shapes: '64x8x8x64 over H,W', inputs: () => [rnd([64, 8, 8, 64])], run: (x) => tf.mean(x, [1, 2]) },
    { kernel: 'Identity', shapes: '784x256', inputs: () => [rnd([784, 256])], run: (x) => tf.clone(x) },
    { kernel: 'Cast', shapes: 'float32 64x28x28x6', inputs: () => [rnd([64, 28, 28, 6])], run: (x) => tf.cast(x, 'float32') },
  ];
}

type Mode = 'shipped' | 'registered';

/** The shipped and registered config of every training kernel (shipped undefined if missing). */
function kernelModes(): Map<string, Record<Mode, tf.KernelConfig | undefined>> {
  const modes = new Map<string, Record<Mode, tf.KernelConfig | undefined>>();
  for (const { kernelName } of TRAINING_KERNELS) modes.set(kernelName, { shipped: tf.getKernel(kernelName, 'wasm'), registered: undefined });
  registerTrainingKernels();
  for (const [kernelName, m] of modes) m.registered = tf.getKernel(kernelName, 'wasm');
  return modes;
}

/**
 * Switches the wasm kernels to the shipped or the registered set. A kernel the backend
 * lacks (Conv2DBackpropFilter) stays registered in both, so that CNNs can train.
 */
function useKernels(modes: ReturnType<typeof kernelModes>, mode: Mode, only?: string): void {
  for (const [kernelName, m] of modes) {
    if (only !== undefined && kernelName !== only) continue;
    const config = m[mode] ?? m.registered;
    if (config === undefined || tf.getKernel(kernelName, 'wasm') === config) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel(config);
  }
}

/** Median milliseconds of one call with each kernel set (shipped undefined when missing). */
function timeKernel(c: KernelCase, modes: ReturnType<typeof kernelModes>): Record<Mode, number | undefined> {
  const once = (mode: Mode): number => {
    useKernels(modes, mode, c.kernel);
    const inputs = c.inputs();
    const start = performance.now();
    const out = c.run(...inputs);
    const ms = performance.now() - start;
    tf.dispose([out, ...inputs]);
    return ms;
  };
  const missing = modes.get(c.kernel)?.shipped === undefined;
  const order: Mode[] = missing ? ['registered'] : ['shipped', 'registered'];
  const times: Record<Mode, number[]> = { shipped: [], registered: [] };
  for (const mode of order) once(mode);
  const started = performance.now();
  while (times.registered.length < 5 || (times.registered.length < 40 && performance.now() - started < 800)) {
    for (const mode of order) times[mode].push(once(mode));
  }
  useKernels(modes, 'registered', c.kernel);
  return { shipped: missing ? undefined : median(times.shipped), registered: median(times.registered) };
}

// ---------------------------------------------------------------------------------
// Training steps with plain tfjs ops


interface Model {
  variables: tf.Variable[];
  input: number[];
  forward: (x: tf.Tensor) => tf.Tensor;
}

function buildModel(network: Network): Model {
  const variables: tf.Variable[] = [];
  const v = (shape: number[], fanIn: number): tf.Variable => {
    const t = tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn)));
    variables.push(t);
    return t;
  };
  const zeros = (n: number): tf.Variable => {
    const t = tf.variable(tf.zeros([n]));
    variables.push(t);
    return t;
  };
  const dense = (nin: number, nout: number) => {
    const w = v([nin, nout], nin);
    const b = zeros(nout);
    return (x: tf.Tensor) => tf.add(tf.matMul(x, w), b);
  };
  const conv = (k: number, cin: number, cout: number, stride: number, pad: number, bias: boolean) => {
    const w = v([k, k, cin, cout], k * k * cin) as tf.Variable<tf.Rank.R4>;
    const b = bias ? zeros(cout) : undefined;
    return (x: tf.Tensor) => {
      const y = tf.conv2d(x as tf.Tensor4D, w, stride, pad);
      return b === undefined ? y : tf.add(y, b);
    };
  };
  const batchNorm = (c: number) => {
    const gamma = tf.variable(tf.ones([c]));
    const beta = zeros(c);
    variables.push(gamma);
    return (x: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
    };
  };
  const pool = (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
  if (network === 'mlp') {
    const [l1, l2, l3] = [dense(784, 256), dense(256, 256), dense(256, 10)];
    return { variables, input: [784], forward: (x) => l3(tf.relu(l2(tf.relu(l1(x))))) };
  }
  if (network === 'lenet5') {
    const [c1, c2] = [conv(5, 1, 6, 1, 2, true), conv(5, 6, 16, 1, 0, true)];
    const [f1, f2, f3] = [dense(400, 120), dense(120, 84), dense(84, 10)];
    return {
      variables,
      input: [28, 28, 1],
      forward: (x) => {
        const h = pool(tf.relu(c2(pool(tf.relu(c1(x))))));
        return f3(tf.relu(f2(tf.relu(f1(tf.reshape(h, [h.shape[0], -1]))))));
      },
    };
  }
  const block = (cin: number, cout: number, stride: number) => {
    const [a, bnA, b, bnB] = [conv(3, cin, cout, stride, 1, false), batchNorm(cout), conv(3, cout, cout, 1, 1, false), batchNorm(cout)];
    const projection = stride !== 1 || cin !== cout ? [conv(1, cin, cout, stride, 0, false), batchNorm(cout)] : undefined;
    return (x: tf.Tensor) => {
      const y = bnB(b(tf.relu(bnA(a(x)))));
      return tf.relu(tf.add(y, projection === undefined ? x : projection[1](projection[0](x))));
    };
  };
  const [stem, bn] = [conv(3, 3, 16, 1, 1, false), batchNorm(16)];
  const blocks = [block(16, 16, 1), block(16, 32, 2), block(32, 64, 2)];
  const fc = dense(64, 10);
  return {
    variables,
    input: [32, 32, 3],
    forward: (x) => fc(tf.mean(blocks.reduce((h, f) => f(h), tf.relu(bn(stem(x)))), [1, 2])),
  };
}

/** A training step of `network` (fixed random batch); returns it with its disposer. */
function trainer(network: Network): { step: () => void; dispose: () => void } {
  const model = buildModel(network);
  const x = tf.randomNormal([BATCH, ...model.input]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => (i * 7) % 10), 'int32'), 10);
  const optimizer: tf.Optimizer = tf.train.momentum(0.01, 0.9);
  const step = (): void => {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.forward(x)) as tf.Scalar);
      optimizer.applyGradients(grads);
      value.dataSync();
    });
  };
  const dispose = (): void => {
    optimizer.dispose();
    tf.dispose([x, y, ...model.variables]);
  };
  return { step, dispose };
}

/** Runs steps for about `seconds`; returns samples/s. Calibrates on the first call. */
function rounds(network: Network): { round: (seconds: number) => number; dispose: () => void } {
  const t = trainer(network);
  let stepSeconds = 0;
  return {
    round: (seconds) => {
      if (stepSeconds === 0) {
        const start = performance.now();
        let n = 0;
        while (n < 2 || performance.now() - start < (seconds * 1000) / 2) {
          t.step();
          n++;
        }
        stepSeconds = (performance.now() - start) / 1000 / n;
      }
      const steps = Math.max(2, Math.round(seconds / stepSeconds));
      const start = performance.now();
      for (let i = 0; i < steps; i++) t.step();
      return (BATCH * steps) / ((performance.now() - start) / 1000);
    },
    dispose: t.dispose,
  };
}

// ---------------------------------------------------------------------------------

const fmtMs = (ms: number | undefined): string => (ms === undefined ? 'missing' : ms < 1 ? ms.toFixed(3) : ms.toFixed(2));
const fmtRate = (r: number | undefined): string => (r === undefined ? '—' : Math.round(r).toLocaleString('en-US'));

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  console.log(`tfjs-core ${tf.version_core}, wasm backend (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}), batch ${BATCH}`);
  const modes = kernelModes();

  console.log('\nPer kernel, median ms per call:\n');
  console.log('| kernel | shapes | shipped | registered | speed-up |');
  console.log('|---|---|---:|---:|---:|');
  for (const c of kernelCases()) {
    const { shipped, registered } = timeKernel(c, modes);
    const speedup = shipped === undefined ? 'was missing' : `${(shipped / (registered as number)).toFixed(1)}x`;
    console.log(`| ${c.kernel} | ${c.shapes} | ${fmtMs(shipped)} | ${fmtMs(registered)} | ${speedup} |`);
  }

  const peer = await startTorchPeer();
  console.log(`\nTraining step, samples/s (median of ${ROUNDS} rounds of ~${SECONDS} s; PyTorch ${peer?.version ?? 'not available'}, 1 thread):\n`);
  console.log('| network | tfjs wasm shipped | tfjs wasm registered | PyTorch CPU | registered / PyTorch |');
  console.log('|---|---:|---:|---:|---:|');
  const labels: Record<Network, string> = { mlp: 'MLP 784-256-256-10', lenet5: 'LeNet-5 28x28x1', resnet8: 'ResNet-8 32x32x3 (BN)' };
  for (const network of ['mlp', 'lenet5', 'resnet8'] as const) {
    const trainers = { shipped: rounds(network), registered: rounds(network) };
    const rates: Record<Mode | 'torch', number[]> = { shipped: [], registered: [], torch: [] };
    const ratios: number[] = [];
    for (let i = 0; i <= ROUNDS; i++) {
      // Round 0 calibrates and warms up; it is not counted.
      const round: Partial<Record<Mode | 'torch', number>> = {};
      for (const mode of ['shipped', 'registered'] as const) {
        useKernels(modes, mode);
        round[mode] = trainers[mode].round(SECONDS);
      }
      if (peer) round.torch = await peer.round(network, SECONDS);
      if (i === 0) continue;
      for (const key of ['shipped', 'registered', 'torch'] as const) if (round[key] !== undefined) rates[key].push(round[key]);
      if (round.torch !== undefined) ratios.push((round.registered as number) / round.torch);
    }
    useKernels(modes, 'registered');
    trainers.shipped.dispose();
    trainers.registered.dispose();
    const shipped = fmtRate(median(rates.shipped)) + (network === 'mlp' ? '' : ' ¹');
    const torch = peer ? fmtRate(median(rates.torch)) : '—';
    const ratio = peer ? `${median(ratios).toFixed(2)}x` : '—';
    console.log(`| ${labels[network]} | ${shipped} | ${fmtRate(median(rates.registered))} | ${torch} | ${ratio} |`);
  }
  peer?.close();
  console.log('\n¹ shipped kernels plus the registered Conv2DBackpropFilter, which the wasm backend lacks.');
}

await main();
