/**
 * Benchmark: training throughput (samples/s, batch 64, SGD with momentum 0.9) of the real
 * trainer's step (forward, backward, update, batch-norm statistics, accuracy count; batch
 * upload included) on 28x28x1 input: MLP 784-256-256-10, LeNet-5, and the convolutional
 * architectures of the zoos (VGG with its default stages, CIFAR-sized AlexNet, ResNet-8)
 * at width multipliers 0.5, 1 and 2, beside the same networks in PyTorch on one CPU thread
 * (bench/kernels_torch.py, where /usr/bin/python3 has torch). Rounds of the two alternate,
 * so each ratio compares rounds under the same load; the reported ratio is the median of
 * the per-round ratios.
 *
 * Usage: npm run bench:train [-- --rounds 7 --seconds 1 --nets vgg,alexnet --widths 0.5,1]
 * (`--nets` from mlp, lenet5, vgg, alexnet, resnet8; `--widths` applies to the last three.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import type { ArchitectureName } from '../src/checkpoint/run-config.js';
import { buildProgram } from '../src/train/architectures.js';
import { useTrainingBackend } from '../src/train/backend.js';
import { Model } from '../src/train/model.js';
import { createTrainStep, makeOptimizer } from '../src/train/train.js';
import { createRng } from '../src/util/random.js';
import { median, printComparison } from './report.js';
import { startTorchPeer, type Network } from './torch-peer.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    seconds: { type: 'string', default: '1' },
    nets: { type: 'string', default: 'mlp,lenet5,vgg,alexnet,resnet8' },
    widths: { type: 'string', default: '0.5,1,2' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const BATCH = 64;

/** One benchmarked network: the trainer's architecture and options, and the peer's name for it. */
interface Case {
  title: string;
  arch: ArchitectureName;
  width: number;
  peer: Network;
}

const CONV_TITLES: Record<string, string> = { vgg: 'VGG 32/64/128,128', alexnet: 'AlexNet (CIFAR-sized)', resnet8: 'ResNet-8 (BN)' };
const cases: Case[] = [];
for (const net of values.nets.split(',')) {
  if (net === 'mlp') cases.push({ title: 'MLP 784-256-256-10', arch: 'mlp', width: 1, peer: 'mlp' });
  else if (net === 'lenet5') cases.push({ title: 'LeNet-5 28x28x1', arch: 'lenet5', width: 1, peer: 'lenet5' });
  else if (net in CONV_TITLES) {
    for (const width of values.widths.split(',').map(Number)) {
      const arch = (net === 'resnet8' ? 'resnet' : net) as ArchitectureName;
      cases.push({ title: `${CONV_TITLES[net]} 28x28x1, width ${width}`, arch, width, peer: `${net as 'vgg'}-w${width}` });
    }
  } else throw new Error(`bench:train: unknown network '${net}' in --nets; choose from mlp, lenet5, ${Object.keys(CONV_TITLES).join(', ')}`);
}

await useTrainingBackend();

/** A trainer for one case whose `round(seconds)` trains for about that long (at least 3 steps) and returns samples/s. */
function trainer(c: Case): { round: (seconds: number) => number; dispose: () => void } {
  const program = buildProgram(c.arch, { height: 28, width: 28, channels: 1 }, 10, { hidden: [256, 256], width: c.width, depth: 8 });
  const rng = createRng(0);
  const model = new Model(program, 'kaiming', rng);
  const optimizer = makeOptimizer({ optimizer: 'sgd', lr: 0.01, momentum: 0.9, weight_decay: 0 }, model.variables);
  const step = createTrainStep(model, optimizer);
  const images = Float32Array.from({ length: BATCH * 784 }, () => rng.normal());
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 10);
  let seed = 0;
  const once = () => tf.tidy(() => step(tf.tensor4d(images, [BATCH, 28, 28, 1]), labels, seed++));
  for (let i = 0; i < 3; i++) once(); // warm-up
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
const summary: string[] = [];
for (const c of cases) {
  const ours = trainer(c);
  const oursRates: number[] = [];
  const peerRates: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const rate = ours.round(seconds);
    oursRates.push(rate);
    if (peer) {
      const peerRate = await peer.round(c.peer, seconds);
      peerRates.push(peerRate);
      ratios.push(rate / peerRate);
    }
  }
  ours.dispose();
  printComparison(c.title, { name: 'epochgraph trainer', value: median(oursRates), unit: 'samples/s' }, peer ? [[`PyTorch ${peer.version}, 1 thread`, median(peerRates), 'samples/s']] : [], 'higher');
  if (peer) {
    const ratio = `${median(ratios).toFixed(2)}x (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`;
    console.log(`  median of per-round ratios: ${ratio}`);
    summary.push(`| ${c.title} | ${Math.round(median(oursRates)).toLocaleString('en-US')} | ${Math.round(median(peerRates)).toLocaleString('en-US')} | ${ratio} |`);
  }
}
peer?.close();
if (summary.length > 0) {
  console.log('\n| network | epochgraph samples/s | PyTorch samples/s | median per-round ratio |\n| --- | ---: | ---: | ---: |');
  console.log(summary.join('\n'));
}
