import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCheckpointPolicy } from '../../src/train/checkpoint-policy.js';
import { resolveConfig } from '../../src/train/config.js';
import type { TrainConfig } from '../../src/checkpoint/run-config.js';
import type { Dataset } from '../../src/train/datasets/index.js';
import { RESUME_FILE } from '../../src/train/resume.js';
import { trainRun } from '../../src/train/train.js';
import { brightnessDataset, reproducibleBytes, tempDir } from '../helpers.js';
import { brightness } from '../report/tiny-zoo.js';

/** Trains `config` with resume on, stopping it (as a crash would) right after epoch `stopAfter` is saved. */
async function interrupted(config: TrainConfig, out: string, dataset: Dataset, stopAfter: number): Promise<void> {
  const stop = new Error('stopped');
  const outcome = await trainRun(config, {
    out,
    id: 'run',
    dataset,
    resume: true,
    keepCheckpoints: parseCheckpointPolicy('0,2,last'),
    onProgress: (event) => {
      if (event.type === 'epoch' && event.epoch === stopAfter) throw stop;
    },
  }).catch((error: unknown) => error);
  expect(outcome).toBe(stop);
}

describe('resuming an interrupted run', () => {
  const cases: [string, TrainConfig, Dataset][] = [
    ['mlp, Adam, dropout', resolveConfig({ arch: 'mlp', hidden: [12], epochs: 4, lr: 0.01, optimizer: 'adam', dropout: 0.3, batch_size: 16, seed: 3 }), brightnessDataset(96, { seed: 1, contrast: 0.5, testCount: 40 })],
    ['resnet, SGD with momentum, batch norm', resolveConfig({ arch: 'resnet', depth: 8, width: 0.25, epochs: 4, lr: 0.05, batch_size: 16, seed: 1 }), brightness(64, 2)],
  ];
  it.each(cases)('%s: continues after the last complete epoch and ends byte for byte as an uninterrupted run', async (_, config, dataset) => {
    const dir = tempDir();
    const whole = join(dir, 'whole');
    await trainRun(config, { out: whole, id: 'run', dataset, keepCheckpoints: parseCheckpointPolicy('0,2,last') });

    const resumed = join(dir, 'resumed');
    await interrupted(config, resumed, dataset, 2);
    expect(existsSync(join(resumed, RESUME_FILE))).toBe(true);
    expect(existsSync(join(resumed, 'run.json'))).toBe(false);
    const epochs: number[] = [];
    const run = await trainRun(config, {
      out: resumed,
      id: 'run',
      dataset,
      resume: true,
      keepCheckpoints: parseCheckpointPolicy('0,2,last'),
      onProgress: (event) => {
        if (event.type === 'epoch') epochs.push(event.epoch);
      },
    });
    expect(epochs).toEqual([3, 4]);
    expect(run.timing.resumed_from_epoch).toBe(2);
    expect(existsSync(join(resumed, RESUME_FILE))).toBe(false);
    expect(reproducibleBytes(join(resumed, 'run.json')).equals(reproducibleBytes(join(whole, 'run.json')))).toBe(true);
    const checkpoints = readdirSync(join(whole, 'checkpoints'));
    expect(readdirSync(join(resumed, 'checkpoints'))).toEqual(checkpoints);
    for (const name of checkpoints) expect(readFileSync(join(resumed, 'checkpoints', name))).toEqual(readFileSync(join(whole, 'checkpoints', name)));
  });

  it('starts over when the saved state belongs to another configuration', async () => {
    const dataset = brightnessDataset(64, { seed: 1, contrast: 0.5, testCount: 20 });
    const config = resolveConfig({ arch: 'mlp', hidden: [8], epochs: 3, lr: 0.05, batch_size: 16 });
    const out = join(tempDir(), 'run');
    await interrupted(config, out, dataset, 1);
    const other = { ...config, lr: 0.1 };
    const run = await trainRun(other, { out, dataset, resume: true });
    expect(run.timing.resumed_from_epoch).toBeUndefined();
    const fresh = await trainRun(other, { out: join(tempDir(), 'fresh'), dataset });
    const withoutTimes = (history: typeof run.history) => history.map(({ seconds: _seconds, ...entry }) => entry);
    expect(withoutTimes(run.history)).toEqual(withoutTimes(fresh.history));
  });
});
