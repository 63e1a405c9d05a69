/**
 * The registry of pruning policies (./policy.ts describes the API): each by name, with its
 * description and frozen defaults, made from settings given as numbers or as text
 * (`median:startup=5,warmup=2`, the form `--policy` takes and `PrunePolicy.label` prints).
 */
import { OptionError } from '../errors.js';
import { printable } from '../util/format.js';
import { DEFAULTS as ASHA_DEFAULTS, ashaPolicy } from './asha.js';
import { DEFAULTS as GRAPH_DEFAULTS, graphPolicy } from './graph.js';
import { DEFAULTS as MEDIAN_DEFAULTS, medianPolicy } from './median.js';
import type { PolicyContext, PrunePolicy } from './policy.js';
import { DEFAULTS as THRESHOLD_DEFAULTS, thresholdPolicy } from './threshold.js';

/** A policy of the registry. */
export interface PolicyEntry {
  readonly name: string;
  readonly description: string;
  readonly defaults: Readonly<Record<string, number>>;
  /** The policy with `settings` over its defaults; throws `OptionError` (field `policy`) for an invalid one. */
  create(settings: Readonly<Partial<Record<string, number>>>, context: PolicyContext): PrunePolicy;
}

/** Every policy, in display order. */
export const POLICIES: readonly PolicyEntry[] = Object.freeze([
  {
    name: 'graph',
    description: "stop when the predicted interval's upper bound is below the k-th best accuracy so far",
    defaults: GRAPH_DEFAULTS,
    create: (settings) => graphPolicy(settings),
  },
  {
    name: 'median',
    description: "Optuna's MedianPruner: best accuracy so far below the median of finished runs at the same epoch",
    defaults: MEDIAN_DEFAULTS,
    create: (settings) => medianPolicy(settings),
  },
  {
    name: 'asha',
    description: 'asynchronous successive halving (Li et al. 2020): keep the top 1/eta at each rung',
    defaults: ASHA_DEFAULTS,
    create: (settings) => ashaPolicy(settings),
  },
  {
    name: 'threshold',
    description: 'test accuracy at epoch k below a bar (default: chance + 10 points)',
    defaults: THRESHOLD_DEFAULTS,
    create: (settings, context) => thresholdPolicy(settings, context),
  },
]);

/** Other names of registered policies. */
export const POLICY_ALIASES: Readonly<Record<string, string>> = Object.freeze({ 'successive-halving': 'asha' });

/** The registry entry named `name` (or an alias of it), or undefined. */
export function findPolicy(name: string): PolicyEntry | undefined {
  const canonical = Object.hasOwn(POLICY_ALIASES, name) ? POLICY_ALIASES[name] : name;
  return POLICIES.find((p) => p.name === canonical);
}

/**
 * The policy named `name` with `settings` over its defaults. Returns it; throws
 * `OptionError` (field `policy`) for an unknown name or an invalid setting.
 */
export function createPolicy(name: string, settings: Readonly<Partial<Record<string, number>>> = {}, context: PolicyContext = {}): PrunePolicy {
  const entry = findPolicy(name);
  if (entry === undefined) {
    throw new OptionError('policy', `unknown policy "${printable(name)}" (known: ${[...POLICIES.map((p) => p.name), ...Object.keys(POLICY_ALIASES)].join(', ')})`);
  }
  return entry.create(settings, context);
}

/**
 * Reads a policy's text, `NAME` or `NAME:KEY=VALUE,KEY=VALUE`, values being numbers.
 * Returns the policy; throws `OptionError` (field `policy`) for malformed text, an
 * unknown name or an invalid setting.
 */
export function parsePolicy(text: string, context: PolicyContext = {}): PrunePolicy {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  const settings: Record<string, number> = {};
  if (colon >= 0) {
    for (const pair of text.slice(colon + 1).split(',')) {
      const match = /^([A-Za-z]+)=(.+)$/.exec(pair.trim());
      const value = match === null ? NaN : Number(match[2]);
      if (match === null || match[2].trim() === '' || Number.isNaN(value)) {
        throw new OptionError('policy', `"${printable(text)}": expected NAME or NAME:KEY=NUMBER,KEY=NUMBER, e.g. median:startup=5,warmup=2`);
      }
      settings[match[1]] = value;
    }
  }
  return createPolicy(name, settings, context);
}

/** Every registered policy with its defaults. */
export function defaultPolicies(context: PolicyContext = {}): PrunePolicy[] {
  return POLICIES.map((p) => p.create({}, context));
}
