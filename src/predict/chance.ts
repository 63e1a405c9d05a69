/**
 * Chance level and the runs that learned: the one definition behind every "runs that
 * learned" figure (evaluation, report, fit).
 *
 * Two outcomes have two names. A run *diverged* when its training loss became non-finite
 * (run.json's `diverged_at_epoch`; `FeatureTable.diverged`). A run *learned* when its final
 * test accuracy ended more than `LEARNED_MARGIN` above chance, 1 / classes: ranking the runs
 * that learned is where a predictor has to prove itself, since telling a run stuck at chance
 * from the rest is easy.
 */
import { classesOf } from '../checkpoint/run-config.js';
import { OptionError } from '../errors.js';

/** Accuracy above chance a run must exceed to count as having learned (10 points). */
export const LEARNED_MARGIN = 0.1;

/** The final accuracy a run must exceed to have learned, at chance level `chance`. */
export function learnedThreshold(chance: number): number {
  return chance + LEARNED_MARGIN;
}

/** Rows among `rows` whose target is above the learned threshold. */
export function learnedRows(targets: ArrayLike<number>, rows: readonly number[], chance: number): number[] {
  const threshold = learnedThreshold(chance);
  return rows.filter((i) => targets[i] > threshold);
}

/**
 * The chance level of runs with configurations `configs`: 1 / classes, the classes given
 * or else those every run's configuration states (`num_classes`, or a dataset epochgraph
 * knows). Returns it; throws `OptionError` (field `classes`) when the runs disagree or
 * none states its classes.
 */
export function chanceLevel(configs: readonly Readonly<Record<string, unknown>>[], classes?: number): number {
  if (classes !== undefined) {
    if (!Number.isInteger(classes) || classes < 2) throw new OptionError('classes', `expected an integer >= 2, got ${classes}`);
    return 1 / classes;
  }
  const counts = new Set(configs.map((c) => classesOf(c)));
  if (counts.size === 1 && !counts.has(undefined)) return 1 / ([...counts][0] as number);
  const stated = [...counts].filter((c) => c !== undefined);
  const detail =
    stated.length > 1
      ? `the runs tell apart different numbers of classes (${stated.join(', ')}); evaluate them apart or give the class count`
      : "cannot tell the runs' number of classes (their config has no num_classes and no dataset epochgraph knows); give the class count";
  throw new OptionError('classes', detail);
}
