import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '../../src/util/random.js';

const ARCHS = ['mlp', 'lenet5', 'resnet'] as const;

/**
 * Writes run directories `run-<first>` ... `run-<first + count - 1>` into `zooDir`: run.json
 * only (no checkpoints), a configuration of architecture, learning rate, width and seed, and a
 * history of `epochs + 1` evaluations whose accuracy rises with the learning rate. Returns
 * the run names.
 */
export function writeSyntheticZoo(zooDir: string, count: number, options: { first?: number; epochs?: number; seed?: number } = {}): string[] {
  const rng = createRng(options.seed ?? 0);
  const epochs = options.epochs ?? 15;
  const names: string[] = [];
  for (let i = options.first ?? 0; i < (options.first ?? 0) + count; i++) {
    const name = `run-${String(i).padStart(5, '0')}`;
    const lr = Number((10 ** (-3 + 2.5 * rng.uniform())).toPrecision(6));
    const config = { arch: ARCHS[i % ARCHS.length], lr, width: [0.5, 1, 2][i % 3], batch_norm: i % 2 === 0, seed: i % 5 };
    const history = Array.from({ length: epochs + 1 }, (_, epoch) => {
      const acc = Math.min(1, 0.1 + (0.8 * epoch * Math.min(1, lr * 20)) / epochs + 0.02 * rng.uniform());
      return { epoch, train_loss: 2.3 * (1 - acc) + 0.01, train_acc: acc, test_loss: 2.3 * (1 - acc) + 0.05, test_acc: Math.max(0, acc - 0.02) };
    });
    mkdirSync(join(zooDir, name), { recursive: true });
    writeFileSync(join(zooDir, name, 'run.json'), `${JSON.stringify({ id: name, config, history }, null, 2)}\n`);
    names.push(name);
  }
  return names;
}
