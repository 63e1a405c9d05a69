/**
 * Metrics of predicted vs actual final accuracy:
 * - R^2 (coefficient of determination) and mean absolute error;
 * - Kendall's tau-b, in O(n log n) by Knight's merge-sort algorithm, with the tie
 *   correction of Kendall (1945);
 * - Spearman's rho: Pearson correlation of mid-ranks (average ranks for ties);
 * - "is this run in the top quarter": accuracy of calling the top quarter of predictions
 *   top, and the ROC AUC of the predictions for that label (Mann-Whitney U with mid-ranks);
 * - interval coverage: the fraction of actual values inside their predicted interval.
 *
 * References:
 * - W. R. Knight, A computer method for calculating Kendall's tau with ungrouped data,
 *   J. Am. Stat. Assoc. 61 (1966) 436-439.
 * - M. G. Kendall, The treatment of ties in ranking problems, Biometrika 33 (1945) 239-251.
 * - J. A. Hanley, B. J. McNeil, The meaning and use of the area under a ROC curve, Radiology 143 (1982) 29-36.
 */
import { EpochgraphError } from '../errors.js';

function check(actual: ArrayLike<number>, predicted: ArrayLike<number>, what: string): number {
  if (actual.length !== predicted.length) throw new EpochgraphError(`metrics: ${what} needs equal lengths, got ${actual.length} and ${predicted.length}`);
  return actual.length;
}

/** Coefficient of determination 1 - SS_res / SS_tot (NaN when the actual values are constant or fewer than 2). */
export function r2Score(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = check(actual, predicted, 'r2');
  if (n < 2) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i];
  mean /= n;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    residual += (actual[i] - predicted[i]) ** 2;
    total += (actual[i] - mean) ** 2;
  }
  return total > 0 ? 1 - residual / total : NaN;
}

/** Mean absolute error. */
export function meanAbsoluteError(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = check(actual, predicted, 'mae');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(actual[i] - predicted[i]);
  return n > 0 ? sum / n : NaN;
}

/** Number of tied pairs within runs of equal values of an array sorted ascending. */
function tiedPairs(sorted: ArrayLike<number>): number {
  let pairs = 0;
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run++;
    else {
      pairs += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  return pairs;
}

/** Kendall's tau-b of two samples (NaN when either is constant). */
export function kendallTau(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = check(x, y, 'kendall tau');
  if (n < 2) return NaN;
  // Sort by x, then y: pairs tied in x are then in y order and cause no swaps.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b] || y[a] - y[b]);
  const xs = order.map((i) => x[i]);
  let ys = Float64Array.from(order, (i) => y[i]);
  const totalPairs = (n * (n - 1)) / 2;
  const tiesX = tiedPairs(xs);
  // Pairs tied in both x and y.
  let tiesXY = 0;
  let run = 1;
  for (let i = 1; i <= n; i++) {
    if (i < n && xs[i] === xs[i - 1] && ys[i] === ys[i - 1]) run++;
    else {
      tiesXY += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  // Count discordant pairs as the swaps of a bottom-up merge sort of y.
  let swaps = 0;
  let buffer = new Float64Array(n);
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (ys[j] < ys[i]) {
          buffer[k++] = ys[j++];
          swaps += mid - i;
        } else buffer[k++] = ys[i++];
      }
      while (i < mid) buffer[k++] = ys[i++];
      while (j < hi) buffer[k++] = ys[j++];
    }
    [ys, buffer] = [buffer, ys];
  }
  const tiesY = tiedPairs(ys);
  const concordantMinusDiscordant = totalPairs - tiesX - tiesY + tiesXY - 2 * swaps;
  const denominator = Math.sqrt((totalPairs - tiesX) * (totalPairs - tiesY));
  return denominator > 0 ? concordantMinusDiscordant / denominator : NaN;
}

/** Mid-ranks (1-based; ties get the average of their ranks). */
export function midRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

/** Spearman's rho: Pearson correlation of mid-ranks (NaN when either sample is constant). */
export function spearmanRho(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = check(x, y, 'spearman');
  if (n < 2) return NaN;
  const rx = midRanks(x);
  const ry = midRanks(y);
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) ** 2;
    syy += (ry[i] - mean) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** ROC AUC of `scores` for binary `labels` (Mann-Whitney U with mid-ranks; NaN without both classes). */
export function rocAuc(labels: ArrayLike<boolean>, scores: ArrayLike<number>): number {
  const ranks = midRanks(scores);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i]) {
      positives++;
      rankSum += ranks[i];
    }
  }
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** The value at or above which a run is in the top quarter of `values`: the order statistic at floor(0.75 (n - 1)). */
export function topQuarterCut(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.floor(0.75 * (sorted.length - 1))];
}

/**
 * "Is this run in the top quarter?": a run is top when its actual value is at least the
 * actual 75th percentile; it is called top when its prediction is among the highest
 * quarter of predictions. Returns the accuracy of those calls and the ROC AUC of the predictions.
 */
export function topQuarter(actual: ArrayLike<number>, predicted: ArrayLike<number>): { accuracy: number; auc: number } {
  const n = check(actual, predicted, 'top quarter');
  if (n < 4) return { accuracy: NaN, auc: NaN };
  const actualCut = topQuarterCut(actual);
  const predictedCut = topQuarterCut(predicted);
  const labels = Array.from({ length: n }, (_, i) => actual[i] >= actualCut);
  let correct = 0;
  for (let i = 0; i < n; i++) if (predicted[i] >= predictedCut === labels[i]) correct++;
  return { accuracy: correct / n, auc: rocAuc(labels, predicted) };
}

/** Mean width of the intervals [lower, upper] (NaN for none). */
export function meanIntervalWidth(lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  const n = check(lower, upper, 'interval width');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += upper[i] - lower[i];
  return n > 0 ? sum / n : NaN;
}

/** Fraction of `actual` values inside [lower, upper]. */
export function intervalCoverage(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  const n = check(actual, lower, 'coverage');
  let inside = 0;
  for (let i = 0; i < n; i++) if (actual[i] >= lower[i] && actual[i] <= upper[i]) inside++;
  return n > 0 ? inside / n : NaN;
}
