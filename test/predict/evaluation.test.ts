import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { chanceLevel, learnedRows } from '../../src/predict/chance.js';
import { METHODS } from '../../src/predict/evaluate-methods.js';
import type { Metrics } from '../../src/predict/evaluate.js';
import { groupedSubsample } from '../../src/predict/evaluate-folds.js';
import { EvaluationPool } from '../../src/predict/evaluate-workers.js';
import { bestMethod, evaluateSubsamples, evaluateTables, evaluationSpec } from '../../src/predict/evaluation.js';
import { createRng } from '../../src/util/random.js';
import { float64Bits } from '../helpers.js';
import { syntheticTable } from './synthetic.js';

const metrics = (kendall_tau: number): Metrics => ({ n: 10, r2: 0, mae: 0, kendall_tau, spearman: 0, top_quarter_accuracy: 0, top_quarter_auc: 0, coverage: 0, interval_width: 0 });

describe('the evaluation spec', () => {
  it('fills defaults, keeps the values given, and names the field of a bad one', () => {
    const spec = evaluationSpec({ folds: 3 }, { seed: 2, folds: undefined });
    expect([spec.window, spec.layout, spec.folds, spec.seed, spec.methods.length]).toEqual([[0, 1, 2, 3], 'per-layer', 3, 2, METHODS.length]);
    expect(() => evaluationSpec({ folds: 1 })).toThrow(OptionError);
    expect(() => evaluationSpec({ folds: 1 })).toThrow(/^folds: expected an integer >= 2, got 1$/);
    expect(() => evaluationSpec({ window: [2, 1] })).toThrow(/^window: /);
    expect(() => evaluationSpec({ methods: [] })).toThrow(/^method: /);
  });

  it('takes the chance level from the classes given, else from the runs, and refuses to guess', () => {
    expect(chanceLevel([{ dataset: 'mnist' }, { dataset: 'fashion-mnist' }])).toBeCloseTo(0.1, 15);
    expect(chanceLevel([{ num_classes: 4 }])).toBe(0.25);
    expect(chanceLevel([{ dataset: 'imagenet' }], 1000)).toBe(0.001);
    expect(() => chanceLevel([{ dataset: 'imagenet' }])).toThrow(/^classes: cannot tell the runs' number of classes/);
    expect(() => chanceLevel([{ num_classes: 4 }, { dataset: 'mnist' }])).toThrow(/^classes: the runs tell apart different numbers of classes \(4, 10\)/);
    // Learned: strictly above chance + 10 points.
    expect(learnedRows([0.2, 0.21, 0.5, 0.1], [0, 1, 2, 3], 0.1)).toEqual([1, 2]);
  });

  it('picks the best method by Kendall tau over the runs that learned, passing over undefined ones', () => {
    const methods = [
      { name: 'a', learned: metrics(NaN) },
      { name: 'b', learned: metrics(0.5) },
      { name: 'c', learned: metrics(0.7) },
      { name: 'd', learned: metrics(0.7) },
    ];
    expect(bestMethod(methods)?.name).toBe('c');
    expect(bestMethod(methods.slice(0, 1))).toBeUndefined();
  });
});

describe('evaluateTables', () => {
  const table = syntheticTable(40, 1);
  const spec = evaluationSpec({ window: [0, 1], folds: 4, methods: METHODS.filter((m) => ['graph', 'curve', 'hyper', 'last-acc'].includes(m.name)) });

  it('gives exactly the same numbers in several worker processes as in one', async () => {
    const one = await evaluateTables(table, spec);
    const two = await evaluateTables(table, spec, { workers: 2 });
    expect(two.evaluations.map((e) => e.name)).toEqual(['graph', 'curve', 'hyper', 'last-acc']);
    two.evaluations.forEach((e, k) => {
      const { predictions, ...rest } = e;
      const { predictions: expected, ...expectedRest } = one.evaluations[k];
      expect(rest).toEqual(expectedRest);
      expect(float64Bits(predictions.predicted)).toEqual(float64Bits(expected.predicted));
      expect(float64Bits(predictions.lower)).toEqual(float64Bits(expected.lower));
    });
    expect(two.best?.name).toBe(one.best?.name);
    expect(one.chance).toBeCloseTo(0.1, 15);
    // Six runs of forty are stuck at chance: the learned subset leaves them out.
    expect(one.evaluations[0].learned.n).toBe(34);
  }, 60_000);

  it('raises a worker\'s error in the caller, with its type', async () => {
    const few = syntheticTable(12, 2);
    const tooManyFolds = evaluationSpec({ ...spec, folds: 20 });
    await expect(evaluateTables(few, tooManyFolds, { workers: 2 })).rejects.toThrow(OptionError);
    await expect(evaluateTables(few, tooManyFolds, { workers: 2 })).rejects.toThrow(/^folds: 20 folds, but only 12 distinct configurations/);
  }, 60_000);

  it('shares one pool among concurrent evaluations: the same numbers as alone, a failing one failing alone', async () => {
    const other = syntheticTable(30, 3);
    const test = syntheticTable(20, 5);
    const tooManyFolds = evaluationSpec({ ...spec, folds: 20 });
    const pool = new EvaluationPool(2);
    try {
      const [cross, transfer, failed] = await Promise.allSettled([
        evaluateTables(table, spec, { pool }),
        evaluateTables(other, spec, { pool, testTable: test }),
        evaluateTables(syntheticTable(12, 2), tooManyFolds, { pool }),
      ]);
      expect(failed.status === 'rejected' && failed.reason).toBeInstanceOf(OptionError);
      const alone = [await evaluateTables(table, spec), await evaluateTables(other, spec, { testTable: test })];
      [cross, transfer].forEach((settled, k) => {
        expect(settled.status).toBe('fulfilled');
        const evaluations = (settled as PromiseFulfilledResult<Awaited<ReturnType<typeof evaluateTables>>>).value.evaluations;
        expect(evaluations.map((e) => float64Bits(e.predictions.predicted))).toEqual(alone[k].evaluations.map((e) => float64Bits(e.predictions.predicted)));
        expect(evaluations.map((e) => e.kendall_tau)).toEqual(alone[k].evaluations.map((e) => e.kendall_tau));
      });
      // Still serving after the failure.
      const again = await evaluateTables(table, spec, { pool });
      expect(again.evaluations.map((e) => e.kendall_tau)).toEqual(alone[0].evaluations.map((e) => e.kendall_tau));
    } finally {
      pool.close();
    }
    await expect(pool.evaluate(table, { methods: spec.methods, windowEnd: 1, folds: 4, seed: 0, chance: 0.1 })).rejects.toThrow(/closed/);
  }, 120_000);
});

describe('grouped subsamples (the small-zoo protocol)', () => {
  const groups = ['a', 'a', 'b', 'c', 'c', 'c', 'd', 'e', 'f', 'g', 'g', 'h'];

  it('draws whole groups, the same rows from the same seed, other rows on the next draw', () => {
    const rng = createRng(3);
    const first = groupedSubsample(groups, 5, rng);
    const second = groupedSubsample(groups, 5, rng);
    const again = createRng(3);
    expect(groupedSubsample(groups, 5, again)).toEqual(first);
    expect(groupedSubsample(groups, 5, again)).toEqual(second);
    for (const drawn of [first, second]) {
      expect(drawn.length).toBeLessThanOrEqual(5);
      const inside = new Set(drawn.map((i) => groups[i]));
      // No group straddles the subsample and the rest.
      groups.forEach((g, i) => expect(inside.has(g)).toBe(drawn.includes(i)));
    }
    const draws = Array.from({ length: 20 }, () => groupedSubsample(groups, 5, rng).join(','));
    expect(new Set(draws).size).toBeGreaterThan(5);
  });

  it('draws exactly the size asked when every group is one run, and refuses a size leaving no test run', () => {
    const singles = Array.from({ length: 30 }, (_, i) => `config-${i}`);
    expect(groupedSubsample(singles, 17, createRng(0))).toHaveLength(17);
    expect(() => groupedSubsample(singles, 30, createRng(0))).toThrow(/^trainSize: expected an integer from 2 to 29/);
    expect(() => groupedSubsample(singles, 1, createRng(0))).toThrow(OptionError);
  });

  it('evaluates every method on the same draws: deterministic, each draw tested on every other run', async () => {
    const table = syntheticTable(36, 4);
    const spec = evaluationSpec({ window: [0, 1], seed: 5, methods: METHODS.filter((m) => ['curve', 'last-acc'].includes(m.name)) });
    const one = await evaluateSubsamples(table, spec, { trainSize: 12, repeats: 3 });
    const two = await evaluateSubsamples(table, spec, { trainSize: 12, repeats: 3 });
    expect(two.methods).toEqual(one.methods);
    expect(one.methods.map((m) => m.name)).toEqual(['curve', 'last-acc']);
    // Every draw tests on the 24 runs not drawn.
    expect(one.methods[0].n).toBe(24);
    expect(one.methods[0].kendall_tau_by_draw).toHaveLength(3);
    // Three different draws: last-acc, which learns nothing, still scores differently on each test part.
    expect(new Set(one.methods[1].kendall_tau_by_draw).size).toBe(3);
    const mean = one.methods[1].kendall_tau_by_draw.reduce((s, t) => s + t, 0) / 3;
    expect(one.methods[1].kendall_tau).toBeCloseTo(mean, 12);
    // The draws evaluated at once in worker processes: the same numbers.
    const inWorkers = await evaluateSubsamples(table, spec, { trainSize: 12, repeats: 3 }, { workers: 2 });
    expect(inWorkers.methods).toEqual(one.methods);
    const otherSeed = await evaluateSubsamples(table, evaluationSpec({ ...spec, seed: 6 }), { trainSize: 12, repeats: 3 });
    expect(otherSeed.methods[1].kendall_tau_by_draw).not.toEqual(one.methods[1].kendall_tau_by_draw);
    await expect(evaluateSubsamples(table, spec, { trainSize: 12, repeats: 0 })).rejects.toThrow(/^repeats: /);
  }, 60_000);
});
