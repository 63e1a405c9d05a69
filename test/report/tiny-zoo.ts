import { join } from 'node:path';
import { resolveConfig } from '../../src/train/config.js';
import type { Dataset } from '../../src/train/datasets/index.js';
import { trainRun } from '../../src/train/train.js';
import { createRng } from '../../src/util/random.js';

/** Two classes by mean brightness, 16x16 grey images (large enough for LeNet-5's two 5x5 convolutions). */
export function brightness(count: number, seed: number): Dataset {
  const size = 16;
  const rng = createRng(seed);
  const make = (n: number) => {
    const images = new Float32Array(n * size * size);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let j = 0; j < size * size; j++) images[i * size * size + j] = (labels[i] ? 0.3 : -0.3) + rng.normal();
    }
    return { images, labels, count: n };
  };
  return { name: 'brightness', height: size, width: size, channels: 1, classes: 2, train: make(count), test: make(100) };
}

/**
 * Trains a small mixed zoo into `dir`: half-width LeNet-5 runs over five learning rates
 * and two seeds (the largest rate diverges), and three one-hidden-layer MLP runs.
 * Returns the run directories.
 */
export async function trainTinyZoo(dir: string): Promise<string[]> {
  const dataset = brightness(128, 3);
  const runs: string[] = [];
  for (const [i, lr] of [0.001, 0.01, 0.05, 0.2, 1].entries()) {
    for (const seed of [0, 1]) {
      const out = join(dir, `lenet-${i}-${seed}`);
      await trainRun(resolveConfig({ arch: 'lenet5', width: 0.5, epochs: 3, lr, seed, batch_size: 16 }), { out, dataset });
      runs.push(out);
    }
  }
  for (const [i, lr] of [0.01, 0.1, 1].entries()) {
    const out = join(dir, `mlp-${i}`);
    await trainRun(resolveConfig({ arch: 'mlp', hidden: [8], epochs: 3, lr, batch_size: 16 }), { out, dataset });
    runs.push(out);
  }
  return runs;
}
