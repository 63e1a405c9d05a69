/**
 * Asynchronous successive halving (ASHA; Li et al. 2020), in the stop-or-continue form of
 * Optuna's `SuccessiveHalvingPruner`. Rung r sits at epoch `minResource * eta^(minRate + r)`.
 * When a run first reports at or past a rung's epoch, its accuracy there joins the rung,
 * and the run continues only if that accuracy is among the top 1/eta of every value the
 * rung has seen (its own included): ranked best first, it must be at least the value at
 * position floor(n / eta), or the very best while fewer than eta runs have reached the
 * rung (the asynchronous promotion: nobody waits for a rung to fill). A rung with at most
 * `bootstrap` values prunes; an unmeasured accuracy (NaN) prunes. Runs are never resumed,
 * so what successive halving calls "promotion" is "not stopped".
 *
 * The rung values of other runs are read from their reports (the first at or after each
 * rung's epoch), so the policy keeps no state; with a report every epoch this is exactly
 * Optuna's bookkeeping. `successive-halving` is another name for this policy.
 *
 * References:
 * - L. Li et al., A system for massively parallel hyperparameter tuning, MLSys 2020 (ASHA).
 * - K. Jamieson, A. Talwalkar, Non-stochastic best arm identification and hyperparameter
 *   optimization, AISTATS 2016 (successive halving).
 * - `optuna.pruners.SuccessiveHalvingPruner` (reduction_factor=4, min_early_stopping_rate=0,
 *   bootstrap_count=0); min_resource is 1 epoch here, where Optuna estimates it ('auto').
 */
import { formatNumber } from '../util/format.js';
import { lastObservation, makePolicy, resolveSettings } from './policy.js';
import type { Decision, PrunePolicy, RunView, SettingRule } from './policy.js';

/** Settings of ASHA (Optuna's names: reduction_factor, min_resource, min_early_stopping_rate, bootstrap_count). */
export interface AshaOptions {
  [key: string]: number;
  /** Reduction factor eta: a rung keeps its top 1/eta. */
  eta: number;
  /** Epochs of the first rung. */
  minResource: number;
  /** Rungs skipped at the start (s in Li et al.). */
  minRate: number;
  /** A rung with at most this many values prunes. */
  bootstrap: number;
}

export const DEFAULTS: Readonly<AshaOptions> = Object.freeze({ eta: 4, minResource: 1, minRate: 0, bootstrap: 0 });

const RULES: Readonly<Record<keyof AshaOptions, SettingRule>> = {
  eta: { integer: true, min: 2 },
  minResource: { integer: true, min: 1 },
  minRate: { integer: true, min: 0 },
  bootstrap: { integer: true, min: 0 },
};

/** The value a run put into the rung at `rungEpoch`: its accuracy at its first report at or after it (NaN if unmeasured), or undefined if it never got there. */
function rungValue(run: RunView, rungEpoch: number): number | undefined {
  const reached = run.observations.find((o) => o.epoch >= rungEpoch);
  return reached === undefined ? undefined : (reached.test_acc ?? NaN);
}

/** Whether `value` is among the top 1/eta of `competing` (which holds it), as Optuna's `_is_trial_promotable_to_next_rung`. */
function promotable(value: number, competing: number[], eta: number): boolean {
  const index = Math.max(0, Math.floor(competing.length / eta) - 1);
  competing.sort((a, b) => b - a);
  return value >= competing[index];
}

/** ASHA with `options` over `DEFAULTS`. Throws `OptionError` (field `policy`) for an invalid setting. */
export function ashaPolicy(options: Partial<AshaOptions> = {}): PrunePolicy {
  const settings = resolveSettings('asha', DEFAULTS, options, RULES);
  const rungEpoch = (rung: number) => settings.minResource * settings.eta ** (settings.minRate + rung);
  return makePolicy('asha', settings, false, (run: RunView, others: readonly RunView[]): Decision => {
    const last = lastObservation(run);
    if (last === undefined) return { prune: false, reason: 'no epoch reported yet' };
    const previous = run.observations.length > 1 ? run.observations[run.observations.length - 2].epoch : -1;
    const value = last.test_acc ?? NaN;
    let kept = `epoch ${last.epoch} is below the first rung (epoch ${rungEpoch(0)})`;
    // Every rung this report reached for the first time, lowest first, as Optuna's loop.
    for (let rung = 0; rungEpoch(rung) <= last.epoch; rung++) {
      const epoch = rungEpoch(rung);
      if (epoch <= previous) {
        kept = `no rung between epoch ${previous} and ${last.epoch}`;
        continue;
      }
      if (Number.isNaN(value)) return { prune: true, reason: `no measured accuracy at rung ${rung} (epoch ${epoch})` };
      const competing = others.map((o) => rungValue(o, epoch)).filter((v): v is number => v !== undefined && !Number.isNaN(v));
      competing.push(value);
      if (competing.length <= settings.bootstrap) return { prune: true, reason: `rung ${rung} (epoch ${epoch}) has ${competing.length} values, bootstrap needs more than ${settings.bootstrap}` };
      if (!promotable(value, competing, settings.eta)) {
        return { prune: true, reason: `${formatNumber(value)} not in the top 1/${settings.eta} of ${competing.length} runs at rung ${rung} (epoch ${epoch})` };
      }
      kept = `${formatNumber(value)} in the top 1/${settings.eta} of ${competing.length} runs at rung ${rung} (epoch ${epoch})`;
    }
    return { prune: false, reason: kept };
  });
}
