/**
 * A fixed bar: stop a run whose test accuracy after `epoch` epochs (acc@k) is below
 * `below`; a run is judged once, at its first report at or after that epoch, and an
 * unmeasured accuracy there stops it. Optuna's `ThresholdPruner` (lower bound) applied
 * at one step. The default bar is the project's "learned" line, chance + 10 points
 * (predict/chance.ts): a run no better than that by epoch k is taken as one that will not
 * learn. A bar on an early value is the simplest rule users write by hand, and the floor
 * any learned rule should beat.
 *
 * Reference: `optuna.pruners.ThresholdPruner` (lower, n_warmup_steps, interval_steps).
 */
import { OptionError } from '../errors.js';
import { learnedThreshold } from '../predict/chance.js';
import { formatNumber } from '../util/format.js';
import { makePolicy, resolveSettings } from './policy.js';
import type { Decision, PolicyContext, PrunePolicy, RunView, SettingRule } from './policy.js';

/** Settings of the threshold rule. */
export interface ThresholdOptions {
  [key: string]: number;
  /** The epoch k whose test accuracy is judged. */
  epoch: number;
  /** The bar, a fraction; NaN: chance + 10 points (the context's chance level is then required). */
  below: number;
}

export const DEFAULTS: Readonly<ThresholdOptions> = Object.freeze({ epoch: 1, below: NaN });

const RULES: Readonly<Record<keyof ThresholdOptions, SettingRule>> = {
  epoch: { integer: true, min: 1 },
  below: { integer: false, min: 0, max: 1 },
};

/**
 * The threshold rule with `options` over `DEFAULTS`. Returns it; throws `OptionError`
 * (field `policy`) for an invalid setting, or when no bar is given and `context` has no chance level.
 */
export function thresholdPolicy(options: Partial<ThresholdOptions> = {}, context: PolicyContext = {}): PrunePolicy {
  const given = resolveSettings('threshold', DEFAULTS, options, RULES);
  const bar = Number.isNaN(given.below) && context.chance !== undefined ? learnedThreshold(context.chance) : given.below;
  if (Number.isNaN(bar)) throw new OptionError('policy', 'threshold needs below=ACCURACY when the number of classes is unknown');
  const settings = { ...given, below: bar };
  return makePolicy('threshold', settings, false, (run: RunView): Decision => {
    const index = run.observations.findIndex((o) => o.epoch >= settings.epoch);
    const last = run.observations.length - 1;
    if (index < 0) return { prune: false, reason: `epoch ${settings.epoch} not reached yet` };
    if (index < last) return { prune: false, reason: `passed the bar at epoch ${run.observations[index].epoch}` };
    const value = run.observations[index].test_acc;
    if (value === null) return { prune: true, reason: `no measured accuracy at epoch ${run.observations[index].epoch}` };
    const versus = `the bar ${formatNumber(settings.below)} at epoch ${run.observations[index].epoch}`;
    return value < settings.below ? { prune: true, reason: `${formatNumber(value)} below ${versus}` } : { prune: false, reason: `${formatNumber(value)} at or above ${versus}` };
  });
}
