/**
 * `epochgraph prune-replay` end to end on a small zoo trained here (so its run.json files
 * carry epoch seconds), with cross-fitted predictions and with a model file, and its
 * errors: exit 2 with one line naming the flag.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/train/config.js';
import { trainRun } from '../../src/train/train.js';
import { brightnessDataset, runCli, tempDir } from '../helpers.js';

let zoo: string;

beforeAll(async () => {
  zoo = tempDir();
  const dataset = brightnessDataset(96, { seed: 4, contrast: 0.4, testCount: 64 });
  for (const [i, lr] of [0.003, 0.01, 0.03, 0.1, 0.3, 1].entries()) {
    for (const seed of [0, 1]) {
      await trainRun(resolveConfig({ arch: 'mlp', hidden: [8], epochs: 4, lr, seed, batch_size: 16 }), { out: join(zoo, `run-${i}-${seed}`), dataset });
    }
  }
}, 120_000);

describe('epochgraph prune-replay', () => {
  it('replays every policy side by side with cross-fitted predictions, time from epoch seconds', async () => {
    const { code, stdout, stderr } = await runCli(['prune-replay', zoo, '--epochs', '0-2', '--folds', '3', '--seed', '2', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ runs: 12, predictions: 'cross-fitted', time_basis: 'seconds', seed: 2, parallel: 1, window_end: 2 });
    expect(result.order).toHaveLength(12);
    expect(result.outcomes.map((o: { name: string }) => o.name)).toEqual(['graph', 'median', 'asha', 'threshold']);
    for (const o of result.outcomes) {
      expect(o.epoch_share).toBeGreaterThan(0);
      expect(o.epoch_share).toBeLessThanOrEqual(1);
      expect(o.full_epochs).toBe(48);
      expect(o.full_seconds).toBeGreaterThan(0);
      expect(o.stops).toHaveLength(o.stopped);
    }
  }, 60_000);

  it('uses a model file as given, prints a table when piped, with no progress', async () => {
    const model = join(tempDir(), 'model.json');
    expect((await runCli(['fit', zoo, '--epochs', '0-2', '--folds', '3', '--out', model, '--quiet'])).code).toBe(0);
    const { code, stdout, stderr } = await runCli(['prune-replay', zoo, '--model', model, '--policy', 'graph:k=1', '--policy', 'successive-halving:eta=2']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^12 runs of .*, arriving in the order of seed 0, 1 at a time$/m);
    expect(stdout).toMatch(new RegExp(`graph policy judged by model ${model} as given \\(fitted on 12 runs`));
    expect(stdout).toMatch(/^graph:k=1,floor=0,optimism=1 +\d+\/12 /m);
    expect(stdout).toMatch(/^asha:eta=2,minResource=1,minRate=0,bootstrap=0 +\d+\/12 /m);
  }, 60_000);

  it('refuses bad flags with exit 2 and one line naming the flag, before reading any checkpoint', async () => {
    const model = join(tempDir(), 'none.json');
    const cases: [string[], RegExp][] = [
      [['--policy', 'nope'], /^epochgraph: --policy: unknown policy "nope" \(known: graph, median, asha, threshold, successive-halving\)$/],
      [['--policy', 'median:startup=-1'], /^epochgraph: --policy: median: startup must be an integer >= 0, got -1$/],
      [['--policy', 'graph:k'], /^epochgraph: --policy: "graph:k": expected NAME or NAME:KEY=NUMBER/],
      [['--parallel', '0'], /^epochgraph: --parallel: expected a positive integer, got 0$/],
      [['--model', model, '--epochs', '0-3'], /^epochgraph: --epochs: the model file fixes it; leave --epochs out with --model$/],
      [['--model', model], /^epochgraph: .*none\.json: cannot read \(ENOENT\)$/],
    ];
    for (const [flags, message] of cases) {
      const { code, stdout, stderr } = await runCli(['prune-replay', zoo, ...flags]);
      expect(code, flags.join(' ')).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr.trimEnd()).toMatch(message);
    }
    const missing = await runCli(['prune-replay', join(zoo, 'absent')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^epochgraph: .*absent: cannot list zoo directory \(ENOENT\)\n$/);
  }, 60_000);
});
