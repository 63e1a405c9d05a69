/**
 * One tiny zoo per convolutional architecture of the study (VGG, AlexNet, ResNet), end to
 * end through the command line: `zoo` trains it, `features` summarises it, `evaluate`
 * compares every method on it.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';

/** Architecture settings small enough for seconds per zoo, and a layer its graph summary must name. */
const ARCHITECTURES: readonly { name: string; settings: string; layer: string }[] = [
  { name: 'vgg', settings: 'arch: vgg\n  stages: [[8], [16]]', layer: 'features.3' },
  { name: 'alexnet', settings: 'arch: alexnet\n  width: 0.125', layer: 'features.10' },
  { name: 'resnet', settings: 'arch: resnet\n  depth: 8\n  width: 0.25', layer: 'layer3.0.conv2' },
];

const EVAL_LIMIT = 100;

describe.each(ARCHITECTURES)('a tiny $name zoo', ({ settings, layer }) => {
  it('trains, summarises and evaluates end to end', async () => {
    const dir = tempDir();
    const grid = join(dir, 'grid.yaml');
    writeFileSync(
      grid,
      `config:\n  ${settings}\n  dataset: mnist\n  epochs: 3\n  train_limit: 64\n  eval_limit: ${EVAL_LIMIT}\n  batch_size: 16\n  lr: [0.001, 0.01, 0.1]\nseeds: 2\n`,
    );
    const zoo = join(dir, 'zoo');
    const trained = await runCli(['zoo', grid, '--out', zoo, '--workers', '2', '--quiet']);
    expect(trained.stderr).toBe('');
    expect(trained.stdout).toMatch(/6 runs \(6 trained now, 0 already done, 0 failed\)/);
    for (const run of readdirSync(zoo).filter((name) => name.startsWith('run-'))) {
      const manifest = JSON.parse(readFileSync(join(zoo, run, 'run.json'), 'utf8')) as { history: { test_acc: number }[]; diverged_at_epoch?: number };
      const { history } = manifest;
      // Three epochs, or fewer when a large learning rate diverged (a zoo keeps such runs).
      expect(history).toHaveLength((manifest.diverged_at_epoch ?? 3) + 1);
      // Every evaluation covered the fixed subset of EVAL_LIMIT test images.
      for (const { test_acc } of history) expect(Math.abs(test_acc * EVAL_LIMIT - Math.round(test_acc * EVAL_LIMIT))).toBeLessThan(1e-9);
    }

    const table = join(dir, 'features.csv');
    expect((await runCli(['features', zoo, '--epochs', '0-2', '--out', table, '--quiet'])).code).toBe(0);
    const [header, ...rows] = readFileSync(table, 'utf8').trim().split('\n');
    expect(rows).toHaveLength(6);
    const columns = header.split(',');
    for (const epoch of [0, 1, 2]) expect(columns.some((c) => c.startsWith(`graph:e${epoch}.${layer}.`))).toBe(true);

    const evaluated = await runCli(['evaluate', zoo, '--epochs', '0-2', '--folds', '3', '--json', '--quiet']);
    expect(evaluated.code).toBe(0);
    const { methods } = JSON.parse(evaluated.stdout) as { methods: { name: string; n: number; mae: number }[] };
    expect(methods.map((m) => m.name)).toEqual(expect.arrayContaining(['graph', 'graph+curve', 'curve', 'tse', 'last-acc']));
    for (const method of methods) {
      expect(method.n).toBe(6);
      expect(method.mae).toBeGreaterThanOrEqual(0);
      expect(method.mae).toBeLessThan(1);
    }
  }, 180_000);
});
