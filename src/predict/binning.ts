/**
 * Quantile binning of features for histogram gradient boosting, as in LightGBM and
 * scikit-learn's `_BinMapper`: each feature gets at most `maxBins` bins for its non-missing
 * values, and missing values (NaN) get a bin of their own, the one after them.
 *
 * Thresholds: when a feature has at most `maxBins` distinct values, the midpoints between
 * consecutive distinct values; otherwise the `maxBins - 1` interior quantiles at
 * k / maxBins, each taken as the midpoint of the two order statistics around it (numpy's
 * `percentile(method="midpoint")`), so that bins hold about equal numbers of rows.
 * Value x goes to bin #{thresholds < x}: bin(x) <= b exactly when x <= thresholds[b], which
 * lets trees split binned data in training and raw data in prediction identically.
 *
 * Reference: G. Ke, Q. Meng, T. Finley, T. Wang, W. Chen, W. Ma, Q. Ye, T.-Y. Liu, LightGBM:
 * a highly efficient gradient boosting decision tree, NeurIPS 2017.
 */
import { samplePrefixInPlace } from '../util/random.js';
import type { Rng } from '../util/random.js';
import type { Matrix } from './matrix.js';

/** Rows sampled (without replacement) to find thresholds when there are more: quantiles are stable at this size. */
const BINNING_SUBSAMPLE = 200_000;

/**
 * Returns, per feature, the increasing bin thresholds learned from rows `rows` of `X`
 * (feature f has `thresholds[f].length + 1` bins for non-missing values).
 */
export function fitBinThresholds(X: Matrix, rows: Uint32Array, maxBins: number, rng: Rng): Float64Array[] {
  let sample = rows;
  if (rows.length > BINNING_SUBSAMPLE) {
    // The first BINNING_SUBSAMPLE entries of a partial shuffle are a uniform sample.
    sample = samplePrefixInPlace(rows.slice(), BINNING_SUBSAMPLE, rng).subarray(0, BINNING_SUBSAMPLE);
  }
  const { data, cols } = X;
  const values = new Float64Array(sample.length);
  const thresholds: Float64Array[] = [];
  for (let f = 0; f < cols; f++) {
    let m = 0;
    for (let k = 0; k < sample.length; k++) {
      const v = data[sample[k] * cols + f];
      if (v === v) values[m++] = v;
    }
    const sorted = values.subarray(0, m).sort();
    let distinct = m > 0 ? 1 : 0;
    for (let k = 1; k < m; k++) if (sorted[k] !== sorted[k - 1]) distinct++;
    if (distinct <= maxBins) {
      const edges = new Float64Array(Math.max(distinct - 1, 0));
      let e = 0;
      for (let k = 1; k < m; k++) if (sorted[k] !== sorted[k - 1]) edges[e++] = (sorted[k - 1] + sorted[k]) * 0.5;
      thresholds.push(edges);
    } else {
      const edges = new Float64Array(maxBins - 1);
      const step = 100 / maxBins;
      for (let k = 1; k < maxBins; k++) {
        // Virtual index q (m - 1) written as numpy computes it, m q - q, so that ties round alike.
        const q = (k * step) / 100;
        const position = m * q - q;
        edges[k - 1] = (sorted[Math.floor(position)] + sorted[Math.ceil(position)]) * 0.5;
      }
      thresholds.push(edges);
    }
  }
  return thresholds;
}

/** Bins of rows of a matrix. */
export interface BinnedData {
  /**
   * Column-major bins: bin of row k (of `rows`) and feature f at `bins[f * rows.length + k]`;
   * values in 0..thresholds[f].length, missing values in thresholds[f].length + 1.
   */
  readonly bins: Uint8Array;
  /** Per feature: 1 when some row is missing. */
  readonly hasMissing: Uint8Array;
}

/** Returns the bins of rows `rows` of `X` under `thresholds` (from `fitBinThresholds`, at most 254 per feature). */
export function binRows(X: Matrix, rows: Uint32Array, thresholds: readonly Float64Array[]): BinnedData {
  const { data, cols } = X;
  const n = rows.length;
  const bins = new Uint8Array(cols * n);
  const hasMissing = new Uint8Array(cols);
  for (let f = 0; f < cols; f++) {
    const edges = thresholds[f];
    const offset = f * n;
    for (let k = 0; k < n; k++) {
      const v = data[rows[k] * cols + f];
      if (v !== v) {
        bins[offset + k] = edges.length + 1;
        hasMissing[f] = 1;
        continue;
      }
      // Lower bound: first edge >= v.
      let lo = 0;
      let hi = edges.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (v <= edges[mid]) hi = mid;
        else lo = mid + 1;
      }
      bins[offset + k] = lo;
    }
  }
  return { bins, hasMissing };
}
