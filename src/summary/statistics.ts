/**
 * Distribution statistics of a sample: the summaries of a layer's node property values
 * that become features. Quantiles use linear interpolation between order statistics
 * (Hyndman & Fan 1996, definition 7: NumPy's and R's default); skewness is the moment
 * coefficient g1 = m3 / m2^(3/2) (Joanes & Gill 1998), 0 for a constant sample.
 *
 * References:
 * - R. J. Hyndman, Y. Fan, Sample quantiles in statistical packages, Am. Statistician 50 (1996) 361-365.
 * - D. N. Joanes, C. A. Gill, Comparing measures of sample skewness and kurtosis, J. R. Stat. Soc. D 47 (1998) 183-189.
 */

/** The statistics, in feature order. */
export const STATISTICS = ['mean', 'std', 'min', 'q10', 'q25', 'q50', 'q75', 'q90', 'max', 'skew'] as const;
export type Statistic = (typeof STATISTICS)[number];

const QUANTILES: Readonly<Partial<Record<Statistic, number>>> = { q10: 0.1, q25: 0.25, q50: 0.5, q75: 0.75, q90: 0.9 };

/** Quantile `p` of an ascending sorted sample (type 7). */
export function sortedQuantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Mean and the central moments m2 and m3 (divided by n) of an ascending sorted sample, summed in that order. */
export function sortedMoments(sorted: Float64Array): { mean: number; m2: number; m3: number } {
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i] - mean;
    m2 += d * d;
    m3 += d * d * d;
  }
  return { mean, m2: m2 / n, m3: m3 / n };
}

/**
 * Writes the STATISTICS of `values` (any order; not modified) into `out` at `offset`.
 * An empty sample gives NaN for every statistic. Returns `out`.
 */
export function describeInto(values: Float64Array, out: Float64Array, offset: number): Float64Array {
  const n = values.length;
  if (n === 0) {
    out.fill(NaN, offset, offset + STATISTICS.length);
    return out;
  }
  const sorted = Float64Array.from(values).sort();
  const { mean, m2, m3 } = sortedMoments(sorted);
  STATISTICS.forEach((stat, k) => {
    let value: number;
    switch (stat) {
      case 'mean':
        value = mean;
        break;
      case 'std':
        value = Math.sqrt(m2);
        break;
      case 'min':
        value = sorted[0];
        break;
      case 'max':
        value = sorted[n - 1];
        break;
      case 'skew':
        value = m2 > 0 ? m3 / m2 ** 1.5 : 0;
        break;
      default:
        value = sortedQuantile(sorted, QUANTILES[stat] as number);
    }
    out[offset + k] = value;
  });
  return out;
}
