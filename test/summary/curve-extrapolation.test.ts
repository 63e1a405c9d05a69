import { describe, expect, it } from 'vitest';
import { CURVE_FAMILIES, fitFamily } from '../../src/summary/curve-families.js';
import { CurveExtrapolator } from '../../src/summary/curve-extrapolation.js';
import { createRng } from '../../src/util/random.js';

/** Parameters inside each family's bounds, shaped like test-accuracy curves of 20 epochs. */
const TRUTH: Readonly<Record<string, readonly number[]>> = {
  pow3: [0.95, 0.5, 0.8],
  'log-power': [0.96, 0.5, -1.2],
  exp3: [0.93, 0.4, -0.5],
  'vapor-pressure': [-0.1, -0.8, 0.02],
  ilog2: [0.97, 0.3],
  janoschek: [0.95, 0.6, 0.4, 0.9],
  mmf: [0.95, 0.6, 0.5, 1.3],
  weibull: [0.95, 0.6, 0.3, 0.8],
};

const EPOCHS = Float64Array.from({ length: 20 }, (_, i) => i + 1);

describe('curve families', () => {
  it('has a test curve for every family', () => {
    expect(Object.keys(TRUTH).sort()).toEqual(CURVE_FAMILIES.map((f) => f.name).sort());
  });

  for (const family of CURVE_FAMILIES) {
    it(`${family.name}: recovers the parameters of a noise-free curve`, () => {
      const y = EPOCHS.map((x) => family.curve(TRUTH[family.name], x));
      const fit = fitFamily(family, EPOCHS, y);
      fit.parameters.forEach((p, k) => expect(p).toBeCloseTo(TRUTH[family.name][k], 3));
    });

    it(`${family.name}: recovers the curve's final value under light noise (sd 0.002)`, () => {
      const rng = createRng(7);
      const noisy = EPOCHS.map((x) => family.curve(TRUTH[family.name], x) + 0.002 * rng.normal());
      const fit = fitFamily(family, EPOCHS.subarray(0, 12), noisy.subarray(0, 12));
      const at20 = family.curve(TRUTH[family.name], 20);
      expect(Math.abs(family.curve(fit.parameters, 20) - at20)).toBeLessThan(0.01);
      // The asymptote-like first parameter within 0.05 of the truth.
      expect(Math.abs(fit.parameters[0] - TRUTH[family.name][0])).toBeLessThan(0.05);
    });

    it(`${family.name}: stays non-decreasing at its bounds`, () => {
      for (const p of [family.lower, family.upper]) {
        const values = EPOCHS.map((x) => family.curve(p, x));
        for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1] - 1e-12);
      }
    });
  }
});

describe('CurveExtrapolator', () => {
  it('extrapolates a pow3 curve seen for 5 epochs to epoch 15 within two hundredths, the truth inside the interval', () => {
    const truth = (x: number) => 0.96 - 0.3 * x ** -0.7;
    const epochs = [0, 1, 2, 3, 4, 5];
    const accuracies = epochs.map((e) => (e === 0 ? 0.1 : truth(e)));
    const p = new CurveExtrapolator().fit(epochs, accuracies).predict(15);
    expect(Math.abs(p.predicted - truth(15))).toBeLessThan(0.02);
    expect(p.lower).toBeLessThanOrEqual(truth(15));
    expect(p.upper).toBeGreaterThanOrEqual(truth(15));
    expect(p.predicted).toBeGreaterThan(accuracies[5]);
  });

  it('predicts a flat curve at its level', () => {
    const p = new CurveExtrapolator().fit([0, 1, 2, 3], [0.1, 0.109, 0.109, 0.109]).predict(10);
    expect(p.predicted).toBeCloseTo(0.109, 2);
    expect(p.lower).toBeLessThanOrEqual(p.predicted);
    expect(p.upper).toBeGreaterThanOrEqual(p.predicted);
  });

  it('keeps a decreasing curve level instead of extrapolating a fall or a rise', () => {
    const p = new CurveExtrapolator().fit([1, 2, 3, 4], [0.9, 0.88, 0.86, 0.84]).predict(20);
    expect(p.predicted).toBeGreaterThan(0.8);
    expect(p.predicted).toBeLessThan(0.92);
  });

  it('handles a window of 2 epochs: one point after epoch 0 gives the last accuracy, its interval up to 1', () => {
    const p = new CurveExtrapolator().fit([0, 1], [0.1, 0.8]).predict(10);
    expect(p.predicted).toBe(0.8);
    expect(p.upper).toBe(1);
    expect(p.lower).toBeLessThan(0.8);
  });

  it('fits two points with the two-parameter family only', () => {
    const extrapolator = new CurveExtrapolator().fit([2, 3], [0.8, 0.85]);
    expect(extrapolator.weights(10).map((f) => f.family.name)).toEqual(['ilog2']);
    const p = extrapolator.predict(10);
    expect(p.predicted).toBeGreaterThan(0.85);
    expect(p.predicted).toBeLessThanOrEqual(1);
  });

  it('skips missing accuracies and returns NaN when there is none', () => {
    expect(new CurveExtrapolator().fit([0, 1, 2], [NaN, NaN, NaN]).predict(10).predicted).toBeNaN();
    const p = new CurveExtrapolator().fit([1, 2, 3, 4], [0.5, NaN, 0.7, 0.75]).predict(10);
    expect(p.predicted).toBeGreaterThan(0.75);
  });

  it('returns an observed final epoch as is', () => {
    const p = new CurveExtrapolator().fit([1, 2, 3], [0.5, 0.6, 0.65]).predict(3);
    expect(p).toEqual({ predicted: 0.65, lower: 0.65, upper: 0.65 });
  });

  it('never predicts past 1 from a steep curve', () => {
    const p = new CurveExtrapolator().fit([1, 2, 3], [0.3, 0.7, 0.95]).predict(50);
    expect(p.predicted).toBeLessThanOrEqual(1);
    expect(p.upper).toBeLessThanOrEqual(1);
  });

  it('refuses an unknown family', () => {
    expect(() => new CurveExtrapolator({ families: ['pow5'] })).toThrow(/curve-extrapolation: unknown family "pow5"/);
  });
});
