/**
 * The median stopping rule as Optuna's `MedianPruner` implements it (a `PercentilePruner`
 * at the 50th percentile). A run is stopped at epoch t when the best test accuracy it has
 * reported so far is below the median of the accuracies that *finished* runs reported at
 * epoch t. No run is stopped before `startup` runs have finished, before epoch `warmup`,
 * nor between checks: a check happens at the first report at or after each epoch
 * `warmup + j * interval`. Epochs where fewer than `minTrials` finished runs reported
 * are never pruned; a run whose every report so far is unmeasured (NaN) is pruned.
 * Epoch 0 (the initial weights, before any training) is never judged: Optuna's step 0 is
 * the first report after training starts.
 * The median is NumPy's `nanpercentile` (linear interpolation, Hyndman & Fan type 7).
 *
 * References:
 * - D. Golovin et al., Google Vizier: a service for black-box optimization, KDD 2017 (the
 *   median stopping rule).
 * - T. Akiba et al., Optuna: a next-generation hyperparameter optimization framework,
 *   KDD 2019; `optuna.pruners.MedianPruner` (n_startup_trials=5, n_warmup_steps=0,
 *   interval_steps=1, n_min_trials=1).
 */
import { sortedQuantile } from '../summary/statistics.js';
import { formatNumber } from '../util/format.js';
import { accuracyAt, lastObservation, makePolicy, resolveSettings } from './policy.js';
import type { Decision, PrunePolicy, RunView, SettingRule } from './policy.js';

/** Settings of the median rule (Optuna's names: n_startup_trials, n_warmup_steps, interval_steps, n_min_trials). */
export interface MedianOptions {
  [key: string]: number;
  /** Finished runs needed before any run is pruned. */
  startup: number;
  /** Epochs before which no run is pruned. */
  warmup: number;
  /** Epochs between checks, counted from `warmup`. */
  interval: number;
  /** Finished runs that must have reported at an epoch for it to be checked. */
  minTrials: number;
}

export const DEFAULTS: Readonly<MedianOptions> = Object.freeze({ startup: 5, warmup: 0, interval: 1, minTrials: 1 });

const RULES: Readonly<Record<keyof MedianOptions, SettingRule>> = {
  startup: { integer: true, min: 0 },
  warmup: { integer: true, min: 0 },
  interval: { integer: true, min: 1 },
  minTrials: { integer: true, min: 1 },
};

/** Whether `epoch` is the first report of `run` at or after the latest check epoch (Optuna's `_is_first_in_interval_step`). */
function isCheckEpoch(run: RunView, epoch: number, options: MedianOptions): boolean {
  const check = Math.floor((epoch - options.warmup) / options.interval) * options.interval + options.warmup;
  let previous = -1;
  for (const o of run.observations) if (o.epoch < epoch && o.epoch > previous) previous = o.epoch;
  return previous < check;
}

/** The median rule with `options` over `DEFAULTS`. Throws `OptionError` (field `policy`) for an invalid setting. */
export function medianPolicy(options: Partial<MedianOptions> = {}): PrunePolicy {
  const settings = resolveSettings('median', DEFAULTS, options, RULES);
  const keep = (reason: string): Decision => ({ prune: false, reason });
  return makePolicy('median', settings, false, (run: RunView, others: readonly RunView[]): Decision => {
    const last = lastObservation(run);
    if (last === undefined) return keep('no epoch reported yet');
    const finished = others.filter((o) => o.state === 'finished');
    if (finished.length === 0 || finished.length < settings.startup) return keep(`${finished.length} of ${settings.startup} startup runs finished`);
    const epoch = last.epoch;
    if (epoch === 0) return keep('epoch 0 is before training');
    if (epoch < settings.warmup) return keep(`epoch ${epoch} is within the ${settings.warmup} warm-up epochs`);
    if (!isCheckEpoch(run, epoch, settings)) return keep(`epoch ${epoch} is between checks`);
    let best = -Infinity;
    for (const o of run.observations) if (o.test_acc !== null && o.test_acc > best) best = o.test_acc;
    if (best === -Infinity) return { prune: true, reason: `no measured accuracy up to epoch ${epoch}` };
    const reported = finished.map((o) => accuracyAt(o, epoch)).filter((v): v is number => v !== undefined);
    if (reported.length < settings.minTrials) return keep(`${reported.length} finished runs reported epoch ${epoch}, ${settings.minTrials} needed`);
    const measured = reported.filter((v) => !Number.isNaN(v));
    if (measured.length === 0) return keep(`no finished run measured epoch ${epoch}`);
    const median = sortedQuantile(Float64Array.from(measured).sort(), 0.5);
    const versus = `the median ${formatNumber(median)} of ${measured.length} finished runs at epoch ${epoch}`;
    return best < median ? { prune: true, reason: `best ${formatNumber(best)} below ${versus}` } : keep(`best ${formatNumber(best)} at or above ${versus}`);
  });
}
