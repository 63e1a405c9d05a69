/**
 * The pruning figure and replay files: a replay written as JSON reads back the same (NaN
 * included), and the figure draws one point per policy at the compute it used and its regret.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/checkpoint/run.js';
import type { PrunePolicy } from '../../src/prune/policy.js';
import { readReplayFile, replayFile, replaySweep } from '../../src/prune/replay.js';
import type { ReplayRun, ZooReplay } from '../../src/prune/replay.js';
import { pruningFigure } from '../../src/report/figures/pruning.js';
import { tempDir } from '../helpers.js';

function replayRun(id: string, accs: readonly number[]): ReplayRun {
  const history: HistoryEntry[] = accs.map((test_acc, e) => ({ epoch: e, train_loss: 1, train_acc: test_acc, test_loss: 1, test_acc, ...(e > 0 ? { seconds: 1 } : {}) }));
  return { id, history };
}

/** Stops the runs in `ids` after epoch 1. */
const stopping = (label: string, ids: readonly string[]): PrunePolicy => ({
  name: label,
  settings: {},
  label,
  usesPrediction: false,
  decide: (run) => ({ prune: ids.includes(run.id) && run.observations.at(-1)?.epoch === 1, reason: '' }),
});

const RUNS = [replayRun('a', [0.1, 0.5, 0.9]), replayRun('b', [0.1, 0.4, 0.6]), replayRun('c', [0.1, 0.2, 0.3])];
const PREPARED: ZooReplay = { runs: RUNS, windowEnd: 1, predictions: 'cross-fitted', chance: 0.1, skipped: [] };

describe('replay files and the pruning figure', () => {
  it('reads back what prune-replay writes, NaN regrets included', async () => {
    const results = [0, 1].map((seed) => replaySweep(RUNS, [stopping('none', []), stopping('low', ['c']), stopping('all', ['a', 'b', 'c'])], { seed, windowEnd: 1 }));
    const file = join(tempDir(), 'replay.json');
    writeFileSync(file, JSON.stringify(replayFile(['zoo'], PREPARED, 'a test', results)));
    const read = await readReplayFile(file);
    expect(read.outcomes.map((o) => o.regret)).toEqual([0, 0, NaN]);
    expect(read.across_orders?.seeds).toEqual([0, 1]);
    expect(read.across_orders?.summary.map((p) => [p.policy, p.best_survived, p.regret])).toEqual([['none', 2, 0], ['low', 2, 0], ['all', 0, NaN]]);
    writeFileSync(file, '{"outcomes": []}');
    await expect(readReplayFile(file)).rejects.toThrow(/replay\.json: not a replay file/);
  });

  it('draws each policy at the compute it used and its regret, crossing those that stopped the best run', () => {
    // Full sweep: 6 epochs, 6 s. "low" stops c after epoch 1 (5 s used); "best" stops a (5 s used, regret 0.3).
    const result = replaySweep(RUNS, [stopping('low', ['c']), stopping('best', ['a'])], { windowEnd: 1 });
    const figure = pruningFigure(replayFile(['zoo'], PREPARED, 'a test', [result]));
    const values = (figure.spec as { data: { values: { setting: string; used: number; regret: number; best: string }[] } }).data.values;
    expect(values.map((v) => [v.setting, v.best])).toEqual([['low', 'best run kept'], ['best', 'best run stopped']]);
    expect(values[0].used).toBeCloseTo(5 / 6, 12);
    expect(values[1].regret).toBeCloseTo(0.3, 12);
    expect(figure.caption).toContain('judged by a test');
  });
});
