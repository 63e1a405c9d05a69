/**
 * The command line's side of an evaluation (src/predict/evaluation.ts): the options that
 * set an `EvaluationSpec`, progress on a terminal, and the tables printed for every method.
 * Shared by `evaluate`, `fit`, `demo` and `report`.
 */
import type { Command } from 'commander';
import { cpus } from 'node:os';
import { LEARNED_MARGIN, learnedThreshold } from '../predict/chance.js';
import { METHODS, PRIOR_NAMES, findMethod } from '../predict/evaluate-methods.js';
import type { Method } from '../predict/evaluate-methods.js';
import type { MethodEvaluation } from '../predict/evaluate.js';
import { DEFAULTS } from '../predict/evaluation.js';
import type { EvaluationProgress, EvaluationSpec, SubsampleEvaluation, ZooEvaluation } from '../predict/evaluation.js';
import { TARGET_TRANSFORMS } from '../predict/target.js';
import type { TargetTransform } from '../predict/target.js';
import { LAYOUTS } from '../summary/snapshot.js';
import type { FeatureLayout } from '../summary/snapshot.js';
import { formatEpochs, parseEpochWindow } from '../util/epochs.js';
import { formatNumber } from '../util/format.js';
import { UsageError, parseChoice, parseNonNegativeInt, parsePositiveInt } from './options.js';
import { renderTable } from './output.js';
import { LiveBlock, bar } from './progress.js';

/** Option values commander hands over for the evaluation options. */
export interface EvaluationFlags {
  epochs?: string;
  layout?: string;
  method?: string;
  folds?: string;
  seed?: string;
  classes?: string;
  targetTransform?: string;
  workers?: string;
  prior?: string;
}

/** Which of the evaluation options a command takes. */
type Flag = 'epochs' | 'layout' | 'methods' | 'method' | 'folds' | 'seed' | 'classes' | 'target' | 'workers' | 'prior';

/**
 * Adds the evaluation options `flags` to `command`; defaults are the spec's, except that
 * `requireWindow` makes `--epochs` required (the window decides which checkpoints are read).
 * Returns the command.
 */
export function addEvaluationOptions(command: Command, flags: readonly Flag[], requireWindow = false): Command {
  const has = (f: Flag) => flags.includes(f);
  if (has('epochs') && requireWindow) command.requiredOption('--epochs <window>', 'epoch window, e.g. 0-3');
  else if (has('epochs')) command.option('--epochs <window>', `epoch window, e.g. 0-3 (default ${formatEpochs(DEFAULTS.window)})`);
  if (has('layout')) command.option('--layout <layout>', `feature layout: ${LAYOUTS.join(' or ')} (default ${DEFAULTS.layout})`);
  if (has('methods')) command.option('--method <list>', `methods to compare, comma-separated (default: all of ${METHODS.map((m) => m.name).join(', ')})`);
  if (has('method')) command.option('--method <name>', `feature set: ${METHODS.filter((m) => !m.direct).map((m) => m.name).join(', ')} (default ${DEFAULT_FIT_METHOD})`);
  if (has('folds')) command.option('--folds <k>', `grouped cross-validation folds (default ${DEFAULTS.folds})`);
  if (has('seed')) command.option('--seed <n>', `seed of the fold assignment and the estimators (default ${DEFAULTS.seed})`);
  if (has('classes')) command.option('--classes <n>', "classes the runs tell apart, for the chance level (default: what the runs' config states)");
  if (has('target')) command.option('--target-transform <t>', `what the estimators fit: ${TARGET_TRANSFORMS.join(' or ')} (raw accuracy; default logit)`);
  if (has('prior')) command.option('--prior <method>', `learned methods correct this prediction (${PRIOR_NAMES.join(', ')}: the built-in pretrained model's), kept where no correction helps (default: none)`);
  if (has('workers')) command.option('--workers <n>', `processes the methods are shared among; the numbers do not depend on it (default: one per core, here ${cpus().length})`);
  return command;
}

/** The method `fit` uses unless told otherwise. */
export const DEFAULT_FIT_METHOD = 'graph+curve';

function parseMethods(text: string): Method[] {
  return text.split(',').map((name) => {
    const method = findMethod(name.trim());
    if (!method) throw new UsageError(`--method: unknown method ${JSON.stringify(name)}; choose from ${METHODS.map((m) => m.name).join(', ')}`);
    return method;
  });
}

/** The spec fields the flags set (unset flags are left to the spec's defaults or a model's). Throws `UsageError` naming a bad flag. */
export function specFromFlags(flags: EvaluationFlags): Partial<EvaluationSpec> {
  const target = parseChoice<TargetTransform>('--target-transform', flags.targetTransform, TARGET_TRANSFORMS);
  const prior = parseChoice('--prior', flags.prior, PRIOR_NAMES);
  return {
    window: flags.epochs === undefined ? undefined : parseEpochWindow(flags.epochs),
    layout: parseChoice<FeatureLayout>('--layout', flags.layout, LAYOUTS),
    methods: flags.method === undefined ? undefined : parseMethods(flags.method),
    folds: flags.folds === undefined ? undefined : parsePositiveInt('--folds', flags.folds),
    seed: flags.seed === undefined ? undefined : parseNonNegativeInt('--seed', flags.seed),
    classes: flags.classes === undefined ? undefined : parsePositiveInt('--classes', flags.classes),
    pipeline: target === undefined && prior === undefined ? undefined : { ...(target && { target }), ...(prior && { prior }) },
  };
}

/** The `--workers` value, or one per core. Throws `UsageError` for a bad value. */
export function workersFromFlags(flags: EvaluationFlags): number {
  return flags.workers === undefined ? cpus().length : parsePositiveInt('--workers', flags.workers);
}

/** Progress of an evaluation on a terminal (nothing when `quiet` or not a terminal). Returns the callback and a `clear()`. */
export function evaluationProgress(quiet: boolean, label: string): { onProgress: EvaluationProgress; clear: () => void } {
  const live = new LiveBlock();
  return {
    onProgress: (stage, done, total, detail) => {
      if (quiet) return;
      const what = stage === 'features' ? `features of ${label} ${bar(done / total)} ${done}/${total} runs` : `evaluating ${bar(done / total)} ${done}/${total} methods (${detail})`;
      live.update([what]);
    },
    clear: () => live.clear(),
  };
}

/** Renders every method's metrics over all runs or over the runs that learned. Returns the table text. */
export function metricsTable(results: readonly MethodEvaluation[], subset: 'all' | 'learned'): string {
  return renderTable(
    ['method', 'runs', 'R^2', 'MAE', 'Kendall tau', 'Spearman', 'top-25% acc', 'top-25% AUC', 'coverage', 'width'],
    results.map((r) => {
      const m = subset === 'all' ? r : r.learned;
      return [r.name, String(m.n), ...[m.r2, m.mae, m.kendall_tau, m.spearman, m.top_quarter_accuracy, m.top_quarter_auc, m.coverage, m.interval_width].map((v) => (Number.isNaN(v) ? '-' : v.toFixed(3)))];
    }),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

/** The printed evaluation: both metrics tables and the best method's line. Returns the text. */
export function evaluationText(result: ZooEvaluation): string {
  const threshold = formatNumber(learnedThreshold(result.chance));
  const margin = Math.round(LEARNED_MARGIN * 100);
  const best = result.best ? `${result.best.name} (Kendall tau ${formatNumber(result.best.learned.kendall_tau)})` : 'none (no method has a Kendall tau on these runs)';
  return [
    `all runs\n${metricsTable(result.evaluations, 'all')}`,
    `runs that learned (final accuracy > ${threshold}, ${margin} points above chance)\n${metricsTable(result.evaluations, 'learned')}`,
    `best ranking of the runs that learned: ${best}`,
  ].join('\n\n');
}

/** The printed small-zoo evaluation: each method's mean metrics and their spread over the draws. Returns the text. */
export function subsampleText(result: SubsampleEvaluation, zoo: string): string {
  const meanSd = (mean: number, sd: number) => (Number.isNaN(mean) ? '-' : Number.isNaN(sd) ? mean.toFixed(3) : `${mean.toFixed(3)} (${sd.toFixed(3)})`);
  const table = renderTable(
    ['method', 'Kendall tau', 'tau, learned', 'R^2', 'MAE', 'coverage', 'width'],
    result.methods.map((m) => [
      m.name,
      meanSd(m.kendall_tau, m.sd.kendall_tau),
      meanSd(m.learned.kendall_tau, m.learned_sd.kendall_tau),
      meanSd(m.r2, m.sd.r2),
      meanSd(m.mae, m.sd.mae),
      meanSd(m.coverage, m.sd.coverage),
      meanSd(m.interval_width, m.sd.interval_width),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
  const best = result.best ? `${result.best.name} (mean Kendall tau ${formatNumber(result.best.learned.kendall_tau)})` : 'none (no method has a Kendall tau on these runs)';
  return [
    `${zoo}: ${result.repeats} draws of ${result.trainSize} training runs (whole configurations, seed ${result.spec.seed}), each tested on the other ${result.runs - result.trainSize}; window ${formatEpochs(result.spec.window)}, ${result.spec.layout} features${result.spec.pipeline.prior ? `, learned methods correcting ${result.spec.pipeline.prior}` : ''}`,
    `mean (standard deviation) over the draws; "learned": test runs with final accuracy > ${formatNumber(learnedThreshold(result.chance))}\n${table}`,
    `best mean ranking of the runs that learned: ${best}`,
  ].join('\n\n');
}
