/**
 * Each pruning policy on hand-built sweeps whose right answer is worked out by hand from
 * the rule's definition (Optuna's pruners, Li et al. 2020), and the registry's text form.
 */
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { ashaPolicy } from '../../src/prune/asha.js';
import { graphPolicy } from '../../src/prune/graph.js';
import { medianPolicy } from '../../src/prune/median.js';
import { POLICIES, createPolicy, parsePolicy } from '../../src/prune/policies.js';
import type { PredictionInterval, RunState, RunView } from '../../src/prune/policy.js';
import { thresholdPolicy } from '../../src/prune/threshold.js';

/** A run whose test accuracy after epoch e (e = 1, 2, ...) is accs[e - 1]. */
function run(id: string, accs: readonly (number | null)[], state: RunState = 'running', prediction?: PredictionInterval): RunView {
  return { id, state, observations: accs.map((test_acc, i) => ({ epoch: i + 1, test_acc })), ...(prediction ? { prediction } : {}) };
}

const finished = (accsAtEpoch2: readonly number[]) => accsAtEpoch2.map((a, i) => run(`f${i}`, [a - 0.1, a, a + 0.05], 'finished'));

describe('median (Optuna MedianPruner)', () => {
  const five = finished([0.5, 0.6, 0.7, 0.8, 0.9]);

  it('prunes a run whose best so far is below the median of finished runs at the same epoch', () => {
    const policy = medianPolicy();
    expect(policy.decide(run('r', [0.4, 0.65]), five)).toMatchObject({ prune: true });
    expect(policy.decide(run('r', [0.4, 0.65]), five).reason).toMatch(/median 0.7 of 5 finished runs at epoch 2/);
    expect(policy.decide(run('r', [0.4, 0.72]), five).prune).toBe(false);
    // The best value reported so far counts, not the latest.
    expect(policy.decide(run('r', [0.75, 0.6]), five).prune).toBe(false);
  });

  it('interpolates the median of an even count (type 7) and ignores runs that have not finished', () => {
    const four = finished([0.5, 0.6, 0.7, 0.8]);
    const others = [...four, run('low', [0.1, 0.1], 'running'), run('cut', [0.05, 0.05], 'pruned')];
    const policy = medianPolicy({ startup: 4 });
    expect(policy.decide(run('r', [0.3, 0.64]), others).prune).toBe(true);
    expect(policy.decide(run('r', [0.3, 0.66]), others).prune).toBe(false);
  });

  it('waits for its startup runs, its warm-up epochs and its check interval', () => {
    expect(medianPolicy().decide(run('r', [0.0, 0.0]), five.slice(0, 4)).prune).toBe(false);
    expect(medianPolicy({ startup: 4 }).decide(run('r', [0.0, 0.0]), five.slice(0, 4)).prune).toBe(true);
    expect(medianPolicy({ warmup: 3 }).decide(run('r', [0.0, 0.0]), five).prune).toBe(false);
    expect(medianPolicy({ warmup: 3 }).decide(run('r', [0.0, 0.0, 0.0]), five).prune).toBe(true);
    // interval 2 from warm-up 0: checks at the first report in [0, 2), [2, 4), ...
    const interval = medianPolicy({ interval: 2 });
    const withStart = (accs: number[]): RunView => ({ id: 'r', state: 'running', observations: accs.map((test_acc, epoch) => ({ epoch, test_acc })) });
    expect(interval.decide(withStart([0.1]), five).reason).toBe('epoch 0 is before training');
    expect(interval.decide(withStart([0.1, 0.0]), five).prune).toBe(false);
    expect(interval.decide(withStart([0.1, 0.0, 0.0]), five).prune).toBe(true);
    expect(interval.decide(withStart([0.1, 0.0, 0.0, 0.0]), five).prune).toBe(false);
    // A run that skipped the check epoch is checked at its next report.
    const skipped: RunView = { id: 'r', state: 'running', observations: [{ epoch: 1, test_acc: 0 }, { epoch: 3, test_acc: 0 }] };
    expect(interval.decide(skipped, five).reason).not.toMatch(/between checks/);
  });

  it('prunes a run that never measured an accuracy, and keeps one when no finished run reported the epoch', () => {
    expect(medianPolicy().decide(run('r', [null, null]), five).prune).toBe(true);
    expect(medianPolicy().decide(run('r', [0, 0, 0, 0]), five).reason).toMatch(/0 finished runs reported epoch 4/);
  });
});

describe('asha (successive halving, Optuna stop-or-continue form)', () => {
  it('keeps the top 1/eta of a rung, its own value counted', () => {
    // eta 2, rungs at epochs 1, 2, 4, 8.
    const others = [run('a', [0.1]), run('b', [0.2]), run('c', [0.3])];
    const policy = ashaPolicy({ eta: 2 });
    // 4 values, the top 2 stay: 0.3 and 0.25.
    expect(policy.decide(run('r', [0.25]), others).prune).toBe(false);
    expect(policy.decide(run('r', [0.15]), others)).toMatchObject({ prune: true });
    expect(policy.decide(run('r', [0.15]), others).reason).toMatch(/top 1\/2 of 4 runs at rung 0 \(epoch 1\)/);
  });

  it('while a rung holds fewer than eta values, keeps only its best', () => {
    const policy = ashaPolicy();
    expect(policy.decide(run('r', [0.5]), []).prune).toBe(false);
    expect(policy.decide(run('r', [0.4]), [run('a', [0.5])]).prune).toBe(true);
    expect(policy.decide(run('r', [0.6]), [run('a', [0.5])]).prune).toBe(false);
  });

  it('checks only at rungs, with rung values read from where each run first reached them', () => {
    const policy = ashaPolicy({ eta: 2 });
    // Epoch 3 is no rung (1, 2, 4): no check whatever the value.
    expect(policy.decide(run('r', [0.9, 0.9, 0.0]), [run('a', [0.5, 0.5, 0.5])]).prune).toBe(false);
    // Rung 2 (epoch 4): the other run reported epochs 1 and 5 only; its rung value is its epoch-5 accuracy.
    const sparse: RunView = { id: 'a', state: 'finished', observations: [{ epoch: 1, test_acc: 0.1 }, { epoch: 5, test_acc: 0.8 }] };
    expect(policy.decide(run('r', [0.9, 0.9, 0.9, 0.7]), [sparse]).prune).toBe(true);
    expect(policy.decide(run('r', [0.9, 0.9, 0.9, 0.85]), [sparse]).prune).toBe(false);
  });

  it('honours the minimum resource and the minimum early-stopping rate', () => {
    const others = [run('a', [0.9, 0.9, 0.9])];
    expect(ashaPolicy({ minResource: 2 }).decide(run('r', [0.1]), others).prune).toBe(false);
    expect(ashaPolicy({ minResource: 2 }).decide(run('r', [0.1, 0.1]), others).prune).toBe(true);
    // minRate 1 with eta 2: the first rung is at epoch 2.
    expect(ashaPolicy({ eta: 2, minRate: 1 }).decide(run('r', [0.1]), others).prune).toBe(false);
  });
});

describe('threshold (acc@k below a bar)', () => {
  it('judges the accuracy at epoch k once', () => {
    const policy = thresholdPolicy({ epoch: 2, below: 0.5 });
    expect(policy.decide(run('r', [0.1]), []).prune).toBe(false);
    expect(policy.decide(run('r', [0.1, 0.45]), []).prune).toBe(true);
    expect(policy.decide(run('r', [0.1, 0.55]), []).prune).toBe(false);
    expect(policy.decide(run('r', [0.1, 0.55, 0.2]), []).prune).toBe(false);
    expect(policy.decide(run('r', [0.1, null]), []).prune).toBe(true);
  });

  it('defaults its bar to chance + 10 points, and needs a bar when chance is unknown', () => {
    const policy = thresholdPolicy({}, { chance: 0.1 });
    expect(policy.settings.below).toBeCloseTo(0.2, 12);
    expect(policy.decide(run('r', [0.19]), []).prune).toBe(true);
    expect(policy.decide(run('r', [0.21]), []).prune).toBe(false);
    expect(() => thresholdPolicy()).toThrow(/threshold needs below=/);
  });
});

describe('graph (predicted interval against the best so far)', () => {
  const p = (predicted: number, halfWidth = 0.05): PredictionInterval => ({ predicted, lower: predicted - halfWidth, upper: predicted + halfWidth });

  it('never stops a run before its prediction exists (the window is incomplete)', () => {
    expect(graphPolicy({ floor: 0.99 }).decide(run('r', [0.0]), [])).toEqual({ prune: false, reason: 'window incomplete' });
  });

  it("compares the upper bound with the k-th best of finished runs' finals and other runs' predictions", () => {
    const others = [run('done', [0.7, 0.8], 'finished', p(0.6)), run('going', [0.7], 'running', p(0.85)), run('early', [0.9], 'running')];
    // Seen: 0.85 (prediction), 0.8 (final, not its prediction 0.6); the run without a prediction does not count.
    const r = run('r', [0.5, 0.6, 0.7], 'running', p(0.77));
    expect(graphPolicy({ k: 1 }).decide(r, others)).toMatchObject({ prune: true });
    expect(graphPolicy({ k: 2 }).decide(r, others).prune).toBe(false);
    expect(graphPolicy({ k: 2 }).decide(run('r', [0.5], 'running', p(0.74)), others).reason).toMatch(/upper bound 0.79 below the #2 accuracy 0.8 of 2 runs/);
    expect(graphPolicy({ k: 3 }).decide(run('r', [0.5], 'running', p(0.1)), others).reason).toBe('2 runs to compare, 3 needed');
  });

  it('reads the run at its prediction, its upper bound or in between as its optimism says', () => {
    const others = [run('done', [0.8], 'finished')];
    // Prediction 0.7, upper bound 0.9: read at 0.7 (optimism 0), 0.78 (0.4), 0.82 (0.6), 0.9 (1).
    const r = run('r', [0.5], 'running', p(0.7, 0.2));
    expect(graphPolicy({ k: 1, optimism: 0 }).decide(r, others).reason).toMatch(/^prediction 0.7 below the best accuracy 0.8/);
    expect(graphPolicy({ k: 1, optimism: 0.4 }).decide(r, others).prune).toBe(true);
    expect(graphPolicy({ k: 1, optimism: 0.6 }).decide(r, others).prune).toBe(false);
    expect(graphPolicy({ k: 1 }).decide(r, others).reason).toMatch(/^upper bound 0.9 at or above the best accuracy 0.8 of 1 runs so far$/);
  });

  it('stops below the floor even with nothing to compare', () => {
    expect(graphPolicy({ floor: 0.5 }).decide(run('r', [0.3], 'running', p(0.4)), []).prune).toBe(true);
    expect(graphPolicy({ floor: 0.5 }).decide(run('r', [0.3], 'running', p(0.47)), []).prune).toBe(false);
  });
});

describe('the registry', () => {
  it('makes every policy by name, reads settings as text and prints a label it reads back', () => {
    expect(POLICIES.map((p) => p.name)).toEqual(['graph', 'median', 'asha', 'threshold']);
    const median = parsePolicy('median:startup=2,warmup=1');
    expect(median.settings).toEqual({ startup: 2, warmup: 1, interval: 1, minTrials: 1 });
    expect(median.label).toBe('median:startup=2,warmup=1,interval=1,minTrials=1');
    for (const entry of POLICIES) {
      const policy = createPolicy(entry.name, {}, { chance: 0.1 });
      expect(parsePolicy(policy.label).settings).toEqual(policy.settings);
    }
    expect(parsePolicy('successive-halving:eta=3').name).toBe('asha');
  });

  it('refuses unknown names, unknown settings, bad values and malformed text with an OptionError naming the policy', () => {
    const cases: [string, RegExp][] = [
      ['nope', /^policy: unknown policy "nope" \(known: graph, median, asha, threshold, successive-halving\)$/],
      ['median:speed=2', /^policy: median has no setting "speed"/],
      ['asha:eta=1', /^policy: asha: eta must be an integer >= 2, got 1$/],
      ['graph:k=2.5', /^policy: graph: k must be an integer >= 1, got 2.5$/],
      ['threshold:below=1.5', /^policy: threshold: below must be a number in \[0, 1\], got 1.5$/],
      ['median:startup', /expected NAME or NAME:KEY=NUMBER/],
      ['median:startup=x', /expected NAME or NAME:KEY=NUMBER/],
    ];
    for (const [text, message] of cases) {
      expect(() => parsePolicy(text)).toThrow(OptionError);
      expect(() => parsePolicy(text)).toThrow(message);
    }
  });
});
