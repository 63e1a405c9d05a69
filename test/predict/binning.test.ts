import { describe, expect, it } from 'vitest';
import { binRows, fitBinThresholds } from '../../src/predict/binning.js';
import { matrix } from '../../src/predict/matrix.js';
import { createRng } from '../../src/util/random.js';

const allRows = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

describe('binning', () => {
  it('cuts few distinct values at midpoints and many at midpoint quantiles', () => {
    const few = matrix(Float64Array.from([3, 1, 2, 2, NaN, 1]), 6, 1);
    expect(Array.from(fitBinThresholds(few, allRows(6), 255, createRng(0))[0])).toEqual([1.5, 2.5]);
    // 0..999 into 4 bins: quantiles 1/4, 2/4, 3/4 at positions 249.75, 499.5, 749.25 of the
    // sorted values, each the midpoint of its two neighbouring order statistics.
    const many = matrix(Float64Array.from({ length: 1000 }, (_, i) => 999 - i), 1000, 1);
    expect(Array.from(fitBinThresholds(many, allRows(1000), 4, createRng(0))[0])).toEqual([249.5, 499.5, 749.5]);
  });

  it('bins x to the count of thresholds below it, NaN to the bin after the values', () => {
    const random = createRng(2);
    const n = 3000;
    const data = Float64Array.from({ length: n * 2 }, (_, k) => (k % 7 === 0 ? NaN : k % 2 ? Math.round(random.normal() * 3) : random.normal()));
    const X = matrix(data, n, 2);
    const thresholds = fitBinThresholds(X, allRows(n), 255, random);
    const { bins, hasMissing } = binRows(X, allRows(n), thresholds);
    expect(Array.from(hasMissing)).toEqual([1, 1]);
    for (let f = 0; f < 2; f++) {
      for (let i = 0; i < n; i++) {
        const x = data[i * 2 + f];
        const bin = bins[f * n + i];
        if (Number.isNaN(x)) expect(bin).toBe(thresholds[f].length + 1);
        else expect(bin).toBe(thresholds[f].filter((t) => t < x).length);
      }
    }
    expect(thresholds[0].length).toBe(254);
  });
});
