/**
 * Benchmark: training throughput (samples/s, batch 64, SGD with momentum 0.9) of the real
 * trainer's step (forward, backward, update, batch-norm statistics, accuracy count; batch
 * upload included) for MLP 784-256-256-10 and LeNet-5 on 28x28x1 input, beside the same
 * networks in PyTorch on one CPU thread (bench/kernels_torch.py, where /usr/bin/python3 has
 * torch). Rounds of the two alternate, so each ratio compares rounds under the same load;
 * the reported ratio is the median of the per-round ratios.
 *
 * Usage: npm run bench:train [-- --rounds 7 --seconds 1]
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { buildProgram } from '../src/train/architectures.js';
import { useTrainingBackend } from '../src/train/backend.js';
import { Model } from '../src/train/model.js';
import { createTrainStep, makeOptimizer } from '../src/train/train.js';
import { createRng } from '../src/util/random.js';
import { median, printComparison } from './report.js';
import { startTorchPeer } from './torch-peer.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, seconds: { type: 'string', default: '1' } } });
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const BATCH = 64;

await useTrainingBackend();

/** A trainer for `arch` whose `round(seconds)` trains for about that long and returns samples/s. */
function trainer(arch: 'mlp' | 'lenet5'): { round: (seconds: number) => number; dispose: () => void } {
  const program = buildProgram(arch, { height: 28, width: 28, channels: 1 }, 10, { hidden: [256, 256] });
  const rng = createRng(0);
  const model = new Model(program, 'kaiming', rng);
  const optimizer = makeOptimizer({ optimizer: 'sgd', lr: 0.01, momentum: 0.9, weight_decay: 0 }, model.variables);
  const step = createTrainStep(model, optimizer);
  const images = Float32Array.from({ length: BATCH * 784 }, () => rng.normal());
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 10);
  let seed = 0;
  const once = () => tf.tidy(() => step(tf.tensor4d(images, [BATCH, 28, 28, 1]), labels, seed++));
  for (let i = 0; i < 5; i++) once(); // warm-up
  return {
    round: (budget) => {
      const start = performance.now();
      let steps = 0;
      while (steps < 3 || performance.now() - start < budget * 1000) {
        once();
        steps++;
      }
      return (steps * BATCH) / ((performance.now() - start) / 1000);
    },
    dispose: () => {
      model.dispose();
      optimizer.dispose();
    },
  };
}

const peer = await startTorchPeer();
if (!peer) console.log('(PyTorch peer unavailable: /usr/bin/python3 with torch is needed for the side-by-side figures)');
console.log(`training throughput, batch ${BATCH}, ${rounds} alternating rounds of ~${seconds} s, medians; epochgraph on tfjs ${tf.version_core} ${tf.getBackend()}`);
for (const arch of ['mlp', 'lenet5'] as const) {
  const ours = trainer(arch);
  const oursRates: number[] = [];
  const peerRates: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const rate = ours.round(seconds);
    oursRates.push(rate);
    if (peer) {
      const peerRate = await peer.round(arch, seconds);
      peerRates.push(peerRate);
      ratios.push(rate / peerRate);
    }
  }
  ours.dispose();
  const title = arch === 'mlp' ? 'MLP 784-256-256-10' : 'LeNet-5 28x28x1';
  printComparison(title, { name: 'epochgraph trainer', value: median(oursRates), unit: 'samples/s' }, peer ? [[`PyTorch ${peer.version}, 1 thread`, median(peerRates), 'samples/s']] : [], 'higher');
  if (peer) console.log(`  median of per-round ratios: ${median(ratios).toFixed(2)}x`);
}
peer?.close();
