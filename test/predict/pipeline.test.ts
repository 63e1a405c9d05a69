import { describe, expect, it } from 'vitest';
import { EpochgraphError } from '../../src/errors.js';
import { meanAbsoluteError } from '../../src/predict/evaluate-metrics.js';
import type { HistGradientBoostingRegressor } from '../../src/predict/gbt.js';
import { matrix, type Matrix } from '../../src/predict/matrix.js';
import { PredictorPipeline, TREE_SETTINGS } from '../../src/predict/pipeline.js';
import type { PipelineJson } from '../../src/predict/pipeline.js';
import { LOGIT_EPSILON, fromTarget, toTarget } from '../../src/predict/target.js';
import { createRng } from '../../src/util/random.js';
import { float64Bits, thrown } from '../helpers.js';

/** Accuracies that are a logistic function of one feature: sigmoid(1.5 x) for x uniform on [-3, 4). */
function logisticAccuracies(n: number, seed: number): { X: Matrix; y: Float64Array; groups: string[] } {
  const rng = createRng(seed);
  const x = Float64Array.from({ length: n }, () => -3 + 7 * rng.uniform());
  return { X: matrix(x, n, 1), y: x.map((v) => 1 / (1 + Math.exp(-1.5 * v))), groups: Array.from({ length: n }, (_, i) => `config-${i}`) };
}

describe('target transforms', () => {
  it('maps accuracies to logits and back, clamping 0 and 1', () => {
    const logits = toTarget('logit', [0.5, 0.95, 0.1, 1, 0]);
    expect(logits[0]).toBe(0);
    expect(logits[1]).toBeCloseTo(Math.log(19), 12);
    expect(logits[2]).toBeCloseTo(-Math.log(9), 12);
    expect(logits[3]).toBeCloseTo(Math.log((1 - LOGIT_EPSILON) / LOGIT_EPSILON), 12);
    expect(logits[4]).toBeCloseTo(-logits[3], 12);
    const back = fromTarget('logit', logits);
    [0.5, 0.95, 0.1, 1 - LOGIT_EPSILON, LOGIT_EPSILON].forEach((p, i) => expect(back[i]).toBeCloseTo(p, 12));
    expect([...toTarget('none', [0.2, 1])]).toEqual([0.2, 1]);
    expect([...fromTarget('none', [0.2, 1.3])]).toEqual([0.2, 1.3]);
  });
});

describe('PredictorPipeline', () => {
  const train = logisticAccuracies(120, 1);
  const test = logisticAccuracies(200, 2);

  it('fits the logit of accuracy by default: a linear model then recovers a logistic relation', () => {
    const logit = new PredictorPipeline({ candidates: ['ridge'] }).fit(train.X, train.y, train.groups);
    const raw = new PredictorPipeline({ candidates: ['ridge'], target: 'none' }).fit(train.X, train.y, train.groups);
    const onLogit = logit.predict(test.X);
    const onRaw = raw.predict(test.X);
    expect(meanAbsoluteError(test.y, onLogit.predicted)).toBeLessThan(0.002);
    expect(meanAbsoluteError(test.y, onRaw.predicted)).toBeGreaterThan(0.04);
    // Intervals come from out-of-fold residuals (here in log-odds): tight when the fit is exact.
    expect(logit.selection.halfWidth).toBeLessThan(0.01);
    for (const p of [onLogit, onRaw]) {
      for (let i = 0; i < test.X.rows; i++) {
        expect(p.lower[i]).toBeGreaterThanOrEqual(0);
        expect(p.upper[i]).toBeLessThanOrEqual(1);
        expect(p.lower[i]).toBeLessThanOrEqual(p.predicted[i]);
        expect(p.upper[i]).toBeGreaterThanOrEqual(p.predicted[i]);
      }
    }
  });

  it('puts intervals in log-odds: narrow near 100%, wide in the middle, covering held-out runs', () => {
    // The same relation with noise of sd 0.5 in log-odds.
    const noisy = (n: number, seed: number) => {
      const rng = createRng(seed + 100);
      const base = logisticAccuracies(n, seed);
      const y = base.y.map((p) => 1 / (1 + Math.exp(-(Math.log(p / (1 - p)) + 0.5 * rng.normal()))));
      return { ...base, y };
    };
    const fit = noisy(300, 3);
    const held = noisy(2000, 4);
    const pipeline = new PredictorPipeline({ candidates: ['ridge'] }).fit(fit.X, fit.y, fit.groups);
    const p = pipeline.predict(held.X);
    expect(pipeline.selection.intervalSpace).toBe('target');
    const h = pipeline.selection.halfWidth;
    // Bounds are the predicted log-odds plus or minus the half-width, mapped back.
    for (let i = 0; i < 20; i++) {
      const logit = Math.log(p.predicted[i] / (1 - p.predicted[i]));
      expect(p.lower[i]).toBeCloseTo(1 / (1 + Math.exp(-(logit - h))), 12);
      expect(p.upper[i]).toBeCloseTo(1 / (1 + Math.exp(-(logit + h))), 12);
    }
    const width = (keep: (v: number) => boolean) => {
      const rows = [...p.predicted.keys()].filter((i) => keep(p.predicted[i]));
      return rows.reduce((s, i) => s + p.upper[i] - p.lower[i], 0) / rows.length;
    };
    expect(width((v) => v > 0.98)).toBeLessThan(width((v) => v > 0.4 && v < 0.6) / 4);
    let inside = 0;
    held.y.forEach((y, i) => (inside += Number(y >= p.lower[i] && y <= p.upper[i])));
    expect(inside / held.y.length).toBeGreaterThan(0.86);
    expect(inside / held.y.length).toBeLessThan(0.94);
  });

  it('keeps intervals in accuracy when errors are even in accuracy', () => {
    // Noise of sd 0.02 in accuracy around accuracies from 0.3 to 0.97: in log-odds it is ten
    // times larger near the top, and one half-width for every run would span half the range
    // in the middle; in accuracy the interval is a narrow band.
    const rng = createRng(7);
    const base = logisticAccuracies(200, 5);
    const y = base.y.map((p) => Math.min(0.999, Math.max(0.001, 0.3 + 0.67 * p + 0.02 * rng.normal())));
    const pipeline = new PredictorPipeline({ candidates: ['ridge'] }).fit(base.X, y, base.groups);
    expect(pipeline.selection.intervalSpace).toBe('accuracy');
    const p = pipeline.predict(base.X);
    for (let i = 0; i < 20; i++) {
      expect(p.upper[i] - p.lower[i]).toBeCloseTo(Math.min(1, p.predicted[i] + pipeline.selection.halfWidth) - Math.max(0, p.predicted[i] - pipeline.selection.halfWidth), 12);
    }
    const json = pipeline.toJSON();
    expect(json.interval_space).toBe('accuracy');
    expect(float64Bits(PredictorPipeline.fromJSON(JSON.parse(JSON.stringify(json))).predict(base.X).upper)).toEqual(float64Bits(p.upper));
  });

  it('passes tree options through to the boosted trees, over the pipeline\'s tree settings', () => {
    const pipeline = new PredictorPipeline({ candidates: ['gbt'], gbt: { maxIter: 7 } }).fit(train.X, train.y, train.groups);
    const trees = pipeline.estimator as HistGradientBoostingRegressor;
    expect(trees.nIter).toBe(7);
    expect(trees.options.maxLeafNodes).toBe(TREE_SETTINGS.maxLeafNodes);
    expect(new PredictorPipeline({ candidates: ['gbt'] }).fit(train.X, train.y, train.groups).estimator).toHaveProperty('nIter', TREE_SETTINGS.maxIter);
  });

  it('reads a saved pipeline of model format 1 (halfWidth, no interval_space) as an interval in accuracy', () => {
    const pipeline = new PredictorPipeline({ candidates: ['ridge'] }).fit(train.X, train.y, train.groups);
    const { interval_space: _space, half_width: _half, ...older } = { ...pipeline.toJSON(), halfWidth: 0.05 };
    const p = PredictorPipeline.fromJSON(older).predict(test.X);
    for (let i = 0; i < 20; i++) {
      expect(p.lower[i]).toBeCloseTo(Math.max(0, p.predicted[i] - 0.05), 12);
      expect(p.upper[i]).toBeCloseTo(Math.min(1, p.predicted[i] + 0.05), 12);
    }
    expect(() => PredictorPipeline.fromJSON({ ...pipeline.toJSON(), interval_space: 'probit' as never })).toThrow(/^pipeline: unknown interval_space "probit"/);
  });

  it('saves the target transform and restores bit-identical predictions', () => {
    const pipeline = new PredictorPipeline().fit(train.X, train.y, train.groups);
    const json = JSON.parse(JSON.stringify(pipeline.toJSON())) as PipelineJson;
    expect(json.target).toBe('logit');
    const restored = PredictorPipeline.fromJSON(json);
    expect([...restored.predict(test.X).predicted]).toEqual([...pipeline.predict(test.X).predicted]);
  });

  it('reads a saved pipeline without a target transform as fitted on raw accuracy', () => {
    const raw = new PredictorPipeline({ candidates: ['ridge'], target: 'none' }).fit(train.X, train.y, train.groups);
    const { target: _target, ...withoutTarget } = raw.toJSON();
    expect([...PredictorPipeline.fromJSON(withoutTarget).predict(test.X).predicted]).toEqual([...raw.predict(test.X).predicted]);
  });

  it('rejects an unknown target transform, in options and in a saved pipeline', () => {
    const bad = thrown(() => new PredictorPipeline({ target: 'probit' as never }));
    expect(bad).toBeInstanceOf(EpochgraphError);
    expect((bad as Error).message).toMatch(/^target: unknown target transform "probit"; expected one of logit, none/);
    const json = new PredictorPipeline({ candidates: ['ridge'] }).fit(train.X, train.y, train.groups).toJSON();
    expect(() => PredictorPipeline.fromJSON({ ...json, target: 'probit' as never })).toThrow(/^target: unknown target transform/);
  });
});

describe('PredictorPipeline with a prior', () => {
  /** Runs whose final accuracy is a prior's prediction plus noise, and features that say nothing of either. */
  function priorData(n: number, seed: number) {
    const rng = createRng(seed);
    const prior = Float64Array.from({ length: n }, () => 0.5 + 0.45 * rng.uniform());
    const y = prior.map((p) => Math.min(0.999, Math.max(0.001, p + 0.01 * rng.normal())));
    const X = matrix(Float64Array.from({ length: n * 5 }, () => rng.normal()), n, 5);
    return { X, y, prior, groups: Array.from({ length: n }, (_, i) => `config-${i}`) };
  }

  it("returns the prior's predictions when the features carry nothing", () => {
    const train = priorData(60, 3);
    const test = priorData(30, 4);
    const pipeline = new PredictorPipeline({ prior: 'lc-extrapolate' }).fit(train.X, train.y, train.groups, train.prior);
    expect(pipeline.selection.candidate).toBe('prior');
    const predicted = pipeline.predict(test.X, test.prior).predicted;
    test.prior.forEach((p, i) => expect(predicted[i]).toBeCloseTo(p, 12));
    // Without the prior the same features give a model far from it.
    const plain = new PredictorPipeline().fit(train.X, train.y, train.groups).predict(test.X).predicted;
    expect(meanAbsoluteError(test.prior, plain)).toBeGreaterThan(0.05);
  });

  it('learns the correction where the features explain the gap to the prior', () => {
    const train = priorData(120, 5);
    const test = priorData(60, 6);
    // The final accuracy is the prior shifted by the first feature (in log-odds).
    const shift = (d: typeof train) => d.y.map((_, i) => 1 / (1 + Math.exp(-(Math.log(d.prior[i] / (1 - d.prior[i])) + 0.8 * d.X.data[i * 5]))));
    const pipeline = new PredictorPipeline({ prior: 'last-acc' }).fit(train.X, shift(train), train.groups, train.prior);
    expect(pipeline.selection.candidate).not.toBe('prior');
    const predicted = pipeline.predict(test.X, test.prior).predicted;
    expect(meanAbsoluteError(shift(test), predicted)).toBeLessThan(0.5 * meanAbsoluteError(shift(test), test.prior));
  });

  it('stands in for a missing prior with the mean training target, and saves and restores the prior', () => {
    const train = priorData(60, 7);
    const pipeline = new PredictorPipeline({ prior: 'lc-extrapolate' }).fit(train.X, train.y, train.groups, train.prior);
    const restored = PredictorPipeline.fromJSON(JSON.parse(JSON.stringify(pipeline.toJSON())) as PipelineJson);
    expect(restored.options.prior).toBe('lc-extrapolate');
    const X = matrix(Float64Array.from({ length: 10 }, (_, i) => i / 10), 2, 5);
    const prior = Float64Array.of(0.7, NaN);
    const a = pipeline.predict(X, prior);
    expect(float64Bits(restored.predict(X, prior).predicted)).toEqual(float64Bits(a.predicted));
    expect(a.predicted[0]).toBeCloseTo(0.7, 12);
    const meanLogit = toTarget('logit', train.y).reduce((s, v) => s + v, 0) / train.y.length;
    expect(a.predicted[1]).toBeCloseTo(fromTarget('logit', [meanLogit])[0], 12);
  });

  it('refuses a prior it was not told of, and a missing one it was', () => {
    const train = priorData(20, 8);
    expect(thrown(() => new PredictorPipeline().fit(train.X, train.y, train.groups, train.prior))).toBeInstanceOf(EpochgraphError);
    expect(thrown(() => new PredictorPipeline({ prior: 'last-acc' }).fit(train.X, train.y, train.groups))).toBeInstanceOf(EpochgraphError);
  });
});
