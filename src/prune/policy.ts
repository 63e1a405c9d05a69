/**
 * Pruning policies: the online decision "keep training this run, or stop it?", taken for
 * one run at its latest reported epoch from only what a live sweep has seen so far. The
 * replay (`./replay.ts`) and a live service call the same policies, so a replayed figure
 * is what the live rule would have done.
 *
 * API (stable; extensions are additive):
 * - A run as the sweep sees it is a `RunView`: its id, its `state` (`running`, `finished`
 *   or `pruned`), its `observations` (the epochs reported so far, ascending, each with its
 *   test accuracy as a fraction, or null when not measured) and, once the model's epoch
 *   window is complete, its `prediction` of the final test accuracy with an interval.
 *   A finished run's final accuracy is its last observation's. Only the `graph` policy
 *   reads predictions; a caller without a model leaves them out.
 * - `policy.decide(run, others)` judges `run` at its last observation's epoch against
 *   `others` (every other run seen so far, in any state, as they stand now: never their
 *   future). Returns a `Decision`: `{ prune, reason }`, the reason one line of text.
 *   Deciding has no side effect: a policy holds settings, never sweep state, so one
 *   policy object serves any number of sweeps and calls in any order.
 * - Policies are made by name from the registry (`./policies.ts`): `createPolicy(name,
 *   settings, context)` or `parsePolicy('median:startup=5,warmup=2', context)`; each
 *   policy module exports its frozen `DEFAULTS`. `policy.label` is the policy's text
 *   with every setting spelled out, which `parsePolicy` reads back.
 */
import { OptionError } from '../errors.js';

/** One reported epoch of a run. */
export interface Observation {
  /** Epochs of training completed (0 = the initial weights). */
  readonly epoch: number;
  /** Test accuracy as a fraction in [0, 1]; null when it was not measured (or not finite). */
  readonly test_acc: number | null;
}

/** A predicted final test accuracy with the bounds of its interval, all fractions. */
export interface PredictionInterval {
  readonly predicted: number;
  readonly lower: number;
  readonly upper: number;
}

/** Where a run stands: still training, trained to its last epoch, or stopped by a policy. */
export type RunState = 'running' | 'finished' | 'pruned';

/** A run as a live sweep sees it at one moment. */
export interface RunView {
  readonly id: string;
  readonly state: RunState;
  /** Epochs reported so far, ascending, each at most once. */
  readonly observations: readonly Observation[];
  /** The model's prediction of the final test accuracy, present once the model's window is complete. */
  readonly prediction?: PredictionInterval;
}

/** A policy's answer for one run at one epoch. */
export interface Decision {
  readonly prune: boolean;
  /** Why, in one line (e.g. "best 0.412 below the median 0.655 of 5 finished runs at epoch 3"). */
  readonly reason: string;
}

/** What a policy may need to know about the sweep beyond its runs. */
export interface PolicyContext {
  /** Chance accuracy of the task (1 / classes), when known. */
  readonly chance?: number;
}

/** A pruning policy with its settings. */
export interface PrunePolicy {
  /** The registry name (`graph`, `median`, `asha`, `threshold`). */
  readonly name: string;
  /** Every setting, by the name `parsePolicy` reads. */
  readonly settings: Readonly<Record<string, number>>;
  /** `name:key=value,...` with every setting: read back by `parsePolicy`. */
  readonly label: string;
  /** Whether `decide` reads `RunView.prediction` (only then must the caller run a model). */
  readonly usesPrediction: boolean;
  /** Keep or stop `run` at its last observation's epoch, from `others` as they stand now. */
  decide(run: RunView, others: readonly RunView[]): Decision;
}

/** The last observation of a run, or undefined before its first report. */
export function lastObservation(run: RunView): Observation | undefined {
  return run.observations[run.observations.length - 1];
}

/** A finished run's final test accuracy (its last observation's), or undefined for any other run. */
export function finalAccuracy(run: RunView): number | undefined {
  if (run.state !== 'finished') return undefined;
  return lastObservation(run)?.test_acc ?? undefined;
}

/** A run's test accuracy reported at exactly `epoch`: a number, NaN when reported as null, undefined when not reported. */
export function accuracyAt(run: RunView, epoch: number): number | undefined {
  const found = run.observations.find((o) => o.epoch === epoch);
  return found === undefined ? undefined : (found.test_acc ?? NaN);
}

/** The policy named `name` with `settings` (frozen) and its label, deciding with `decide`. */
export function makePolicy(name: string, settings: Readonly<Record<string, number>>, usesPrediction: boolean, decide: PrunePolicy['decide']): PrunePolicy {
  const frozen = Object.freeze({ ...settings });
  const label = `${name}:${Object.entries(frozen)
    .map(([key, value]) => `${key}=${value}`)
    .join(',')}`;
  return { name, settings: frozen, label, usesPrediction, decide };
}

/** What a setting must be: an integer or any finite number, and its smallest (and largest) value. */
export interface SettingRule {
  readonly integer: boolean;
  readonly min: number;
  readonly max?: number;
}

/**
 * The settings of policy `name`: `given` over `defaults`, each checked against its rule.
 * Returns them; throws `OptionError` (field `policy`) for an unknown setting or a value
 * its rule refuses.
 */
export function resolveSettings<O extends Record<string, number>>(
  name: string,
  defaults: Readonly<O>,
  given: Readonly<Partial<Record<string, number>>>,
  rules: Readonly<Record<keyof O, SettingRule>>,
): O {
  const settings = { ...defaults } as Record<string, number>;
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(defaults, key)) {
      throw new OptionError('policy', `${name} has no setting "${key}" (it has ${Object.keys(defaults).join(', ')})`);
    }
    const rule = rules[key as keyof O];
    const range = rule.max === undefined ? `>= ${rule.min}` : `in [${rule.min}, ${rule.max}]`;
    if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < rule.min || (rule.max !== undefined && value > rule.max)) {
      throw new OptionError('policy', `${name}: ${key} must be ${rule.integer ? 'an integer' : 'a number'} ${range}, got ${value}`);
    }
    settings[key] = value;
  }
  return settings as O;
}
