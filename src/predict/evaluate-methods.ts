/**
 * The methods compared by `epochgraph evaluate`: each is a set of feature blocks fed to
 * the same regressor pipeline, except the direct ones, which need no model: `last-acc`
 * predicts the final accuracy as the test accuracy at the window's last epoch (its interval
 * calibrated on the training runs' residuals), `lc-extrapolate` as the learning curve's
 * parametric extrapolation (its own interval; summary/curve-extrapolation.ts).
 * Each direct method can also be the prior a learned method corrects, and so can the
 * built-in pretrained model (model-file.ts, model-use.ts), whose prediction is computed from the run's
 * own features under the built-in's window and layout and joins the table as a column.
 */
import { OptionError } from '../errors.js';
import { columnName, compactGraphFeatures, curveColumn, extrapolationColumn, parseColumn } from '../summary/columns.js';
import { columnsOf } from '../summary/table.js';
import type { FeatureTable } from '../summary/table.js';
import type { FeatureBlock } from '../summary/features.js';
import { BUILTIN_MODEL } from './model-file.js';

/** How a direct method reads its prediction: the window's last test accuracy, or the curve's extrapolation. */
export type DirectPrediction = 'last-test-acc' | 'extrapolation';

/** A method: the feature blocks it learns from, or `direct` for a model-free baseline. */
export interface Method {
  readonly name: string;
  readonly blocks: readonly FeatureBlock[];
  readonly description: string;
  readonly direct?: DirectPrediction;
  /** `compact`: of the `graph` block, only the compact summary's columns (summary/columns.ts). */
  readonly summary?: 'compact';
}

/** Every method, in report order. */
export const METHODS: readonly Method[] = [
  { name: 'graph', blocks: ['graph'], description: 'temporal graph summary over the window' },
  { name: 'graph+curve', blocks: ['graph', 'curve'], description: 'graph summary and learning curve' },
  { name: 'graph+curve+hyper', blocks: ['graph', 'curve', 'hyper'], description: 'graph summary, learning curve and hyperparameters' },
  { name: 'graph-compact', blocks: ['graph'], description: 'per layer: mean, sd and max of strength and eigenvector centrality, per epoch and their changes', summary: 'compact' },
  { name: 'graph-static', blocks: ['graph-static'], description: 'graph summary of the last window epoch only' },
  { name: 'curve', blocks: ['curve'], description: 'learning curve so far (train/test loss and accuracy)' },
  { name: 'curve+hyper', blocks: ['curve', 'hyper'], description: 'learning curve and hyperparameters' },
  { name: 'tse', blocks: ['tse'], description: 'sum of training losses (TSE, Ru et al. 2021)' },
  { name: 'weights', blocks: ['weights'], description: 'per-layer weight statistics (Unterthiner et al. 2020)' },
  { name: 'hyper', blocks: ['hyper'], description: 'hyperparameters only' },
  { name: 'last-acc', blocks: ['curve'], description: 'test accuracy at the last window epoch, as is', direct: 'last-test-acc' },
  { name: 'lc-extrapolate', blocks: ['lc'], description: 'learning curve extrapolated by parametric families (Domhan et al. 2015), no model', direct: 'extrapolation' },
];

/** The method named `name`, or undefined. */
export function findMethod(name: string): Method | undefined {
  return METHODS.find((m) => m.name === name);
}

/** The columns of `table` that `method` learns from, in table order. */
export function methodColumns(table: FeatureTable, method: Method): string[] {
  const names = columnsOf(table, method.blocks).map((c) => table.columns[c]);
  if (method.summary !== 'compact') return names;
  const graphFeatures = names.flatMap((name) => {
    const { block, feature } = parseColumn(name);
    return block === 'graph' ? [feature] : [];
  });
  const compact = new Set(compactGraphFeatures(graphFeatures));
  return names.filter((name) => {
    const { block, feature } = parseColumn(name);
    return block !== 'graph' || compact.has(feature);
  });
}

/** Feature blocks needed to evaluate `methods`. */
export function blocksOf(methods: readonly Method[]): FeatureBlock[] {
  return [...new Set(methods.flatMap((m) => m.blocks))];
}

/** The direct methods: each can also be the prior a learned method corrects (pipeline.ts). */
export const DIRECT_METHODS: readonly Method[] = METHODS.filter((m) => m.direct);

/**
 * Columns a direct method reads, for a window ending at `windowEnd`: its prediction and, when
 * it brings its own, its interval's bounds. Returns undefined for a learned method.
 */
export function directPredictionColumns(method: Method, windowEnd: number): { predicted: string; lower?: string; upper?: string } | undefined {
  if (method.direct === 'last-test-acc') return { predicted: curveColumn(windowEnd, 'test_acc') };
  if (method.direct === 'extrapolation') return { predicted: extrapolationColumn('predicted'), lower: extrapolationColumn('lower'), upper: extrapolationColumn('upper') };
  return undefined;
}

/** The prior that is the built-in pretrained model's prediction, named as the model. */
export const BUILTIN_PRIOR = BUILTIN_MODEL;

/** The column a feature table holds the built-in model's prediction of each run in, when that is the prior. */
export const BUILTIN_PRIOR_COLUMN = columnName('prior', BUILTIN_PRIOR);

/** Every prior a learned method can correct: the direct methods, then the built-in model. */
export const PRIOR_NAMES: readonly string[] = Object.freeze([...DIRECT_METHODS.map((m) => m.name), BUILTIN_PRIOR]);

/** Checks a prior's name. Returns it; throws `OptionError` (field `prior`) for a name that is no prior. */
export function checkPrior(name: string): string {
  if (!PRIOR_NAMES.includes(name)) throw new OptionError('prior', `expected one of ${PRIOR_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  return name;
}

/**
 * The direct method the prior `name` reads from a feature block, or undefined for the
 * built-in model's (a computed column). Throws `OptionError` (field `prior`) for a name that is no prior.
 */
export function priorMethod(name: string): Method | undefined {
  return DIRECT_METHODS.find((m) => m.name === checkPrior(name));
}

/** The column holding the prediction of the prior `name` for a window ending at `windowEnd`. Throws `OptionError` for an unknown prior. */
export function priorColumn(name: string, windowEnd: number): string {
  const method = priorMethod(name);
  return method ? (directPredictionColumns(method, windowEnd) as { predicted: string }).predicted : BUILTIN_PRIOR_COLUMN;
}
