/**
 * The replay's bookkeeping on hand-built sweeps whose figures are worked out by hand,
 * what a policy sees during it (only the past), and cross-fitting (no run judged by a
 * model that saw it).
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/checkpoint/run.js';
import { findMethod } from '../../src/predict/evaluate-methods.js';
import { evaluationSpec } from '../../src/predict/evaluation.js';
import type { Method } from '../../src/predict/evaluate-methods.js';
import { medianPolicy } from '../../src/prune/median.js';
import type { Decision, PrunePolicy, RunView } from '../../src/prune/policy.js';
import { crossFittedPredictions, replaySweep } from '../../src/prune/replay.js';
import type { ReplayRun } from '../../src/prune/replay.js';
import { syntheticTable } from '../predict/synthetic.js';

/** A run of epochs 0..accs.length, test accuracy accs[e - 1] after epoch e, `seconds` per trained epoch (none when undefined). */
function replayRun(id: string, accs: readonly number[], seconds?: number, prediction?: number): ReplayRun {
  const history: HistoryEntry[] = [{ epoch: 0, train_loss: 1, train_acc: 0.1, test_loss: 1, test_acc: 0.1 }];
  accs.forEach((test_acc, i) =>
    history.push({ epoch: i + 1, train_loss: 1, train_acc: test_acc, test_loss: 1, test_acc, ...(seconds === undefined ? {} : { seconds }) }),
  );
  return { id, history, ...(prediction === undefined ? {} : { prediction: { predicted: prediction, lower: prediction - 0.05, upper: prediction + 0.05 } }) };
}

/** A policy that stops the runs named in `stopAt` at the given epoch. */
function scripted(stopAt: Readonly<Record<string, number>>): PrunePolicy {
  return {
    name: 'scripted',
    settings: {},
    label: 'scripted',
    usesPrediction: false,
    decide: (run: RunView): Decision => {
      const epoch = run.observations.at(-1)?.epoch;
      return { prune: stopAt[run.id] === epoch, reason: 'scripted' };
    },
  };
}

// Finals 0.9, 0.5, 0.8, 0.3; 4 epochs each; run c trains at 2 s an epoch, the others at 1 s.
const RUNS = [replayRun('a', [0.5, 0.6, 0.7, 0.9], 1), replayRun('b', [0.4, 0.45, 0.5, 0.5], 1), replayRun('c', [0.6, 0.7, 0.75, 0.8], 2), replayRun('d', [0.2, 0.25, 0.3, 0.3], 1)];

describe('the replay', () => {
  it('counts epochs, time, survival, regret and good runs stopped', () => {
    const [keepAll, cutLow, cutBest] = replaySweep(RUNS, [scripted({}), scripted({ b: 1, d: 2 }), scripted({ a: 1, d: 1 })]).outcomes;
    expect(keepAll).toMatchObject({ stopped: 0, epochs: 16, full_epochs: 16, epoch_share: 1, seconds: 20, full_seconds: 20, time_saved: 0, best_survived: true, regret: 0 });
    // b stopped after epoch 1, d after 2: 4 + 1 + 4 + 2 epochs; 4 + 1 + 8 + 2 seconds.
    expect(cutLow).toMatchObject({ stopped: 2, epochs: 11, epoch_share: 11 / 16, seconds: 15, best_survived: true, top5: 1, top5_survived: 1, best_found: 0.9, regret: 0 });
    expect(cutLow.time_saved).toBeCloseTo(1 - 15 / 20, 12);
    // Good runs: the top quarter by final accuracy (cut at the sorted value at floor(0.75 * 3) = 0.8): a and c.
    expect(cutLow).toMatchObject({ good: 2, good_stopped: 0 });
    expect(cutBest).toMatchObject({ stopped: 2, epochs: 10, best_survived: false, top5_survived: 0, best_found: 0.8, good_stopped: 1 });
    expect(cutBest.regret).toBeCloseTo(0.1, 12);
    expect(cutBest.stops.map((s) => [s.id, s.epoch])).toEqual(expect.arrayContaining([['a', 1], ['d', 1]]));
  });

  it('counts time in epochs when a run lacks its seconds', () => {
    const runs = [...RUNS.slice(0, 3), replayRun('d', [0.2, 0.25, 0.3, 0.3])];
    const result = replaySweep(runs, [scripted({ b: 1, d: 2 })]);
    expect(result.time_basis).toBe('epochs');
    expect(result.outcomes[0]).toMatchObject({ seconds: null, full_seconds: null, time_saved: 1 - 11 / 16 });
  });

  it('draws the arrival order from the seed, the same for every policy', () => {
    const runs = Array.from({ length: 12 }, (_, i) => replayRun(`r${i}`, [0.5, 0.5]));
    const seen: string[][] = [];
    const recorder = (): PrunePolicy => {
      const order: string[] = [];
      seen.push(order);
      return { ...scripted({}), decide: (run) => (order.push(run.id), { prune: false, reason: '' }) };
    };
    const one = replaySweep(runs, [recorder(), recorder()], { seed: 1 });
    expect([...one.order].sort()).toEqual(runs.map((r) => r.id).sort());
    expect(replaySweep(runs, [scripted({})], { seed: 1 }).order).toEqual(one.order);
    expect(replaySweep(runs, [scripted({})], { seed: 2 }).order).not.toEqual(one.order);
    // Sequential: each run is judged at epochs 0 and 1 (not after its last), in arrival order.
    expect(seen[0]).toEqual(one.order.flatMap((id) => [id, id]));
    expect(seen[1]).toEqual(seen[0]);
  });

  it('shows a policy only the past: started runs as they stand, predictions once the window is complete', () => {
    const runs = Array.from({ length: 6 }, (_, i) => replayRun(`r${i}`, [0.3, 0.4, 0.5, 0.6], 1, 0.5 + i / 100));
    for (const parallel of [1, 3]) {
      const checks: string[] = [];
      const watcher: PrunePolicy = {
        ...scripted({}),
        decide: (run, others) => {
          const epoch = run.observations.at(-1)?.epoch as number;
          if ((run.prediction !== undefined) !== epoch >= 2) checks.push(`${run.id} has a prediction at epoch ${epoch}`);
          if (others.some((o) => o.id === run.id)) checks.push(`${run.id} among the others`);
          for (const o of others) {
            const reported = o.observations.at(-1)?.epoch as number;
            // In lockstep, a run started earlier is at most one report ahead (it went first this step).
            if (o.state === 'running' && (parallel === 1 || reported > epoch + 1)) checks.push(`${o.id} at epoch ${reported} while ${run.id} is at ${epoch}`);
            if (o.state === 'finished' && reported !== 4) checks.push(`${o.id} finished early`);
          }
          return { prune: false, reason: '' };
        },
      };
      const result = replaySweep(runs, [watcher], { parallel, windowEnd: 2 });
      expect(checks).toEqual([]);
      expect(result.parallel).toBe(parallel);
    }
  });

  it('judges with the median rule against finished runs only, in arrival order', () => {
    // Sequential, startup 1: the first run always finishes; a later run is stopped at epoch 1
    // when its accuracy there is below the median of the finished runs' epoch-1 accuracies.
    const runs = [replayRun('good', [0.8, 0.9]), replayRun('bad', [0.1, 0.2]), replayRun('fine', [0.85, 0.95])];
    const [outcome] = replaySweep(runs, [medianPolicy({ startup: 1 })], { seed: 3 }).outcomes;
    const order = replaySweep(runs, [], { seed: 3 }).order;
    const badAfterAGoodOne = order.indexOf('bad') > 0;
    expect(outcome.stops.map((s) => s.id)).toEqual(badAfterAGoodOne ? ['bad'] : []);
  });

  it('refuses runs without a final accuracy and a parallelism below 1', () => {
    const unscored: ReplayRun = { id: 'x', history: [{ epoch: 0, train_loss: 1, train_acc: 0.1, test_loss: 1, test_acc: null }] };
    expect(() => replaySweep([...RUNS, unscored], [])).toThrow(/^replay: run x has no final test accuracy$/);
    expect(() => replaySweep(RUNS, [], { parallel: 0 })).toThrow(/^replay: parallel must be an integer >= 1, got 0$/);
  });
});

describe('cross-fitted predictions', () => {
  it("never judges a run with a model that saw it: a run's own final accuracy cannot move its prediction", async () => {
    const spec = evaluationSpec({ methods: [findMethod('graph+curve') as Method], window: [0, 1], folds: 4 });
    const base = syntheticTable(40, 5);
    const before = await crossFittedPredictions(base, spec);
    for (const run of [0, 17]) {
      const changed = syntheticTable(40, 5);
      changed.targets[run] = 0.01;
      const after = await crossFittedPredictions(changed, spec);
      expect([after.predicted[run], after.lower[run], after.upper[run]]).toEqual([before.predicted[run], before.lower[run], before.upper[run]]);
      // The changed accuracy did reach the models that judge the other folds.
      expect(Array.from(after.predicted).some((p, i) => p !== before.predicted[i])).toBe(true);
    }
  });
});
