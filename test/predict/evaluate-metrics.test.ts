import { describe, expect, it } from 'vitest';
import { intervalCoverage, kendallTau, meanAbsoluteError, meanIntervalWidth, midRanks, r2Score, rocAuc, spearmanRho, topQuarter } from '../../src/predict/evaluate-metrics.js';
import { createRng } from '../../src/util/random.js';

/** Kendall's tau-b by its O(n^2) definition, as an independent reference. */
function tauByDefinition(x: number[], y: number[]): number {
  let concordant = 0;
  let discordant = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < x.length; i++)
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tx++;
      else if (dy === 0) ty++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  return (concordant - discordant) / Math.sqrt((concordant + discordant + tx) * (concordant + discordant + ty));
}

describe('metrics', () => {
  it('R^2 and MAE on hand-computed values', () => {
    expect(r2Score([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(r2Score([1, 2, 3], [2, 2, 2])).toBe(0);
    expect(r2Score([1, 2, 3], [1, 3, 3])).toBeCloseTo(1 - 1 / 2, 14);
    expect(meanAbsoluteError([1, 2, 3], [1, 3, 5])).toBe(1);
    expect(Number.isNaN(r2Score([2, 2], [1, 3]))).toBe(true);
  });

  it("Kendall's tau-b matches its O(n^2) definition, with and without ties", () => {
    expect(kendallTau([1, 2, 3, 4], [1, 2, 3, 4])).toBe(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    expect(kendallTau([1, 2, 3], [1, 3, 2])).toBeCloseTo(1 / 3, 14);
    const rng = createRng(1);
    for (const ties of [false, true]) {
      const x = Array.from({ length: 300 }, () => (ties ? Math.floor(rng.uniform() * 8) : rng.normal()));
      const y = x.map((v) => (ties ? Math.floor(v / 2 + rng.uniform() * 3) : v + rng.normal()));
      expect(kendallTau(x, y)).toBeCloseTo(tauByDefinition(x, y), 12);
    }
  });

  it("Spearman's rho uses mid-ranks", () => {
    expect([...midRanks([10, 20, 20, 30])]).toEqual([1, 2.5, 2.5, 4]);
    expect(spearmanRho([1, 2, 3, 4], [10, 30, 20, 40])).toBeCloseTo(0.8, 14);
    expect(spearmanRho([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 14);
  });

  it('ROC AUC counts ties as half', () => {
    expect(rocAuc([false, false, true, true], [0.1, 0.2, 0.3, 0.4])).toBe(1);
    expect(rocAuc([true, false], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([false, true, false, true], [0.1, 0.2, 0.3, 0.4])).toBe(0.75);
  });

  it('top quarter and interval coverage', () => {
    const actual = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    expect(topQuarter(actual, actual)).toEqual({ accuracy: 1, auc: 1 });
    expect(topQuarter(actual, [...actual].reverse()).auc).toBe(0);
    expect(intervalCoverage([1, 2, 3, 4], [0, 2.5, 2, 5], [2, 3, 4, 6])).toBe(0.5);
    expect(meanIntervalWidth([0, 2.5, 2, 5], [2, 3, 4, 6])).toBe((2 + 0.5 + 2 + 1) / 4);
    expect(meanIntervalWidth([], [])).toBeNaN();
  });
});

describe('grouped folds', () => {
  it('keeps every group in one fold and balances fold sizes', async () => {
    const { groupedFolds } = await import('../../src/predict/evaluate-folds.js');
    const groups = Array.from({ length: 60 }, (_, i) => `g${Math.floor(i / 3)}`);
    const folds = groupedFolds(groups, 5, 1);
    const foldOf = new Map<string, number>();
    groups.forEach((g, i) => {
      if (foldOf.has(g)) expect(folds[i]).toBe(foldOf.get(g));
      foldOf.set(g, folds[i]);
    });
    const sizes = [0, 1, 2, 3, 4].map((f) => folds.filter((x) => x === f).length);
    expect(sizes).toEqual([12, 12, 12, 12, 12]);
    expect([...groupedFolds(groups, 5, 1)]).toEqual([...folds]);
    expect([...groupedFolds(groups, 5, 2)]).not.toEqual([...folds]);
    expect(() => groupedFolds(['a', 'a', 'b'], 3)).toThrow(/only 2 distinct configurations/);
  });
});

describe('imputed ridge', () => {
  it('fills missing features with training means and round-trips through JSON', async () => {
    const { ImputedRidge } = await import('../../src/predict/impute.js');
    const rng = createRng(3);
    const rows = 40;
    const data = new Float64Array(rows * 2);
    const y = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      data[2 * i] = rng.normal();
      data[2 * i + 1] = rng.normal();
      y[i] = 2 * data[2 * i] - data[2 * i + 1] + 0.01 * rng.normal();
    }
    data[1] = NaN;
    const model = new ImputedRidge().fit({ data, rows, cols: 2 }, y);
    const test = { data: Float64Array.of(1, 0, 1, NaN), rows: 2, cols: 2 };
    const predicted = model.predict(test);
    expect(predicted[0]).toBeCloseTo(2, 1);
    // A missing second feature takes its training mean; its coefficient is about -1.
    let mean = 0;
    for (let i = 1; i < rows; i++) mean += data[2 * i + 1];
    mean /= rows - 1;
    expect(predicted[1]).toBeCloseTo(predicted[0] - mean, 1);
    const restored = ImputedRidge.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect([...restored.predict(test)]).toEqual([...predicted]);
  });
});
