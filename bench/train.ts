/**
 * Benchmark: training throughput (samples/s, batch 64, SGD with momentum) of the real
 * trainer's step (forward, backward, update; batch upload included) for MLP
 * 784-256-256-10 and LeNet-5 on 28x28x1 input, beside PyTorch on one CPU thread
 * (/usr/bin/python3, where torch is installed) from the same run, with the ratio.
 *
 * Usage: npm run bench:train [-- --steps 60 --repeats 5]
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildProgram } from '../src/train/architectures.js';
import { useTrainingBackend } from '../src/train/backend.js';
import { Model } from '../src/train/model.js';
import { createTrainStep, makeOptimizer } from '../src/train/train.js';
import { createRng } from '../src/util/random.js';
import { median, printComparison } from './report.js';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '60' }, repeats: { type: 'string', default: '5' } } });
const steps = Number(values.steps);
const repeats = Number(values.repeats);
const BATCH = 64;

await useTrainingBackend();

function throughput(arch: 'mlp' | 'lenet5'): number[] {
  const program = buildProgram(arch, { height: 28, width: 28, channels: 1 }, 10, { hidden: [256, 256] });
  const rng = createRng(0);
  const model = new Model(program, 'kaiming', rng);
  const optimizer = makeOptimizer({ optimizer: 'sgd', lr: 0.01, momentum: 0.9 });
  const step = createTrainStep(model, optimizer, 0);
  const images = Float32Array.from({ length: BATCH * 784 }, () => rng.normal());
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 10);
  const results: number[] = [];
  for (let repeat = 0; repeat <= repeats; repeat++) {
    const start = performance.now();
    for (let s = 0; s < steps; s++) {
      tf.tidy(() => {
        const x = tf.tensor4d(images, [BATCH, 28, 28, 1]);
        const y = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), 'float32') as tf.Tensor2D;
        step(x, y, s);
      });
    }
    const seconds = (performance.now() - start) / 1000;
    if (repeat > 0) results.push((steps * BATCH) / seconds); // the first repeat warms up
  }
  model.dispose();
  optimizer.dispose();
  return results;
}

const ours = { mlp: throughput('mlp'), lenet5: throughput('lenet5') };
const python = '/usr/bin/python3';
let peer: { torch: string; results: { mlp: number[]; lenet5: number[] } } | undefined;
if (existsSync(python)) {
  const result = spawnSync(python, [resolve(import.meta.dirname, 'peers', 'torch_train.py'), String(steps), String(repeats)], { encoding: 'utf8' });
  if (result.status === 0) peer = JSON.parse(result.stdout);
  else console.log(`(PyTorch peer unavailable: ${result.stderr.trim().split('\n').at(-1)})`);
}
console.log(`training throughput, batch ${BATCH}, ${steps} steps x ${repeats} repeats, median; epochgraph on tfjs ${tf.version_core} ${tf.getBackend()}`);
for (const arch of ['mlp', 'lenet5'] as const) {
  const peers: [string, number, string][] = peer ? [[`PyTorch ${peer.torch}, 1 thread`, median(peer.results[arch]), 'samples/s']] : [];
  printComparison(arch === 'mlp' ? 'MLP 784-256-256-10' : 'LeNet-5 28x28x1', { name: 'epochgraph trainer', value: median(ours[arch]), unit: 'samples/s' }, peers, 'higher');
}
