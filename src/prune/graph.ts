/**
 * The graph policy: stop a run once the model that predicts final accuracy from the
 * first epochs' weight graphs (docs/predictor.md) is confident it will not be among the
 * best. At every report after the model's window is complete (before that a run has no
 * prediction and is never stopped), the run is stopped when the upper bound of its
 * predicted interval is below either
 * - the k-th best accuracy the sweep has seen so far, counting each other run once: its
 *   final accuracy if it finished, else its own predicted accuracy (if it has one); or
 * - `floor`, an absolute bar (0: none).
 * With fewer than k other runs to compare, only the floor applies. The interval is the
 * model's conformal interval (90% by default), so a run is stopped only when even an
 * optimistic reading of its prediction misses the bar. `optimism` moves that reading
 * inside the interval: the run's value is predicted + optimism (upper - predicted), 1 the
 * upper bound (the default), 0 the point prediction. The policy trades compute for the
 * risk of stopping a good run through k, the optimism and the interval's coverage.
 *
 * This is the early-stopping use of a performance predictor, as in learning-curve
 * extrapolation (Domhan et al. 2015: stop when the run is unlikely to beat the best so
 * far) and the method's RQ3 (Vahedian et al. 2022), with the predictor driven by the
 * network's graph dynamics.
 *
 * References:
 * - T. Domhan, J. T. Springenberg, F. Hutter, Speeding up automatic hyperparameter
 *   optimization of deep neural networks by extrapolation of learning curves, IJCAI 2015.
 * - F. Vahedian et al., Leveraging the graph structure of neural network training
 *   dynamics, CIKM 2022.
 */
import { formatNumber } from '../util/format.js';
import { finalAccuracy, makePolicy, resolveSettings } from './policy.js';
import type { Decision, PrunePolicy, RunView, SettingRule } from './policy.js';

/** Settings of the graph policy. */
export interface GraphPolicyOptions {
  [key: string]: number;
  /** Compare with the k-th best accuracy seen so far. */
  k: number;
  /** Stop any run whose upper bound is below this accuracy (0: no floor). */
  floor: number;
  /** Where in the interval a run is read when compared with the k-th best: 1 the upper bound, 0 the prediction. */
  optimism: number;
}

export const DEFAULTS: Readonly<GraphPolicyOptions> = Object.freeze({ k: 3, floor: 0, optimism: 1 });

const RULES: Readonly<Record<keyof GraphPolicyOptions, SettingRule>> = {
  k: { integer: true, min: 1 },
  floor: { integer: false, min: 0, max: 1 },
  optimism: { integer: false, min: 0, max: 1 },
};

/** The graph policy with `options` over `DEFAULTS`. Throws `OptionError` (field `policy`) for an invalid setting. */
export function graphPolicy(options: Partial<GraphPolicyOptions> = {}): PrunePolicy {
  const settings = resolveSettings('graph', DEFAULTS, options, RULES);
  return makePolicy('graph', settings, true, (run: RunView, others: readonly RunView[]): Decision => {
    const prediction = run.prediction;
    if (prediction === undefined) return { prune: false, reason: 'window incomplete' };
    const upper = prediction.upper;
    if (upper < settings.floor) return { prune: true, reason: `upper bound ${formatNumber(upper)} below the floor ${formatNumber(settings.floor)}` };
    const seen = others
      .map((o) => finalAccuracy(o) ?? o.prediction?.predicted)
      .filter((v): v is number => v !== undefined && !Number.isNaN(v))
      .sort((a, b) => b - a);
    if (seen.length < settings.k) return { prune: false, reason: `${seen.length} runs to compare, ${settings.k} needed` };
    const bar = seen[settings.k - 1];
    const value = prediction.predicted + settings.optimism * (upper - prediction.predicted);
    const read = settings.optimism === 1 ? 'upper bound' : settings.optimism === 0 ? 'prediction' : `optimistic reading (${settings.optimism})`;
    const versus = `the ${settings.k === 1 ? 'best' : `#${settings.k}`} accuracy ${formatNumber(bar)} of ${seen.length} runs so far`;
    return value < bar
      ? { prune: true, reason: `${read} ${formatNumber(value)} below ${versus}` }
      : { prune: false, reason: `${read} ${formatNumber(value)} at or above ${versus}` };
  });
}
