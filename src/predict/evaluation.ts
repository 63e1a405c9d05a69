/**
 * A zoo's evaluation, specified once. An `EvaluationSpec` holds everything that decides
 * an evaluation's numbers: the epoch window, the feature layout, the methods, the folds,
 * the seed, the class count (hence the chance level and which runs learned) and the
 * pipeline's options. `evaluateZoos` builds the feature table the methods need, runs
 * every method on the same folds (or fits on some zoos and tests on another) and names
 * the best one. `epochgraph evaluate`, `fit`, `demo` and `report` all go through here.
 */
import { listZoos } from '../checkpoint/run.js';
import { OptionError } from '../errors.js';
import type { FeatureBlock } from '../summary/features.js';
import { LAYOUTS } from '../summary/snapshot.js';
import type { FeatureLayout } from '../summary/snapshot.js';
import { buildFeatureTable } from '../summary/table.js';
import type { FeatureTable } from '../summary/table.js';
import { chanceLevel } from './chance.js';
import { METHODS, blocksOf, priorMethod } from './evaluate-methods.js';
import type { Method } from './evaluate-methods.js';
import { evaluateMethodsInWorkers } from './evaluate-workers.js';
import type { Metrics, MethodEvaluation } from './evaluate.js';
import type { PipelineOptions } from './pipeline.js';

/** What decides an evaluation's numbers. */
export interface EvaluationSpec {
  /** Epochs the methods see, ascending. */
  readonly window: readonly number[];
  readonly layout: FeatureLayout;
  /** Methods compared, in display order. */
  readonly methods: readonly Method[];
  /** Grouped cross-validation folds (unused when fitting on some zoos and testing on another). */
  readonly folds: number;
  /** Seed of the fold assignment and the estimators. */
  readonly seed: number;
  /** Classes the runs tell apart (chance = 1 / classes); undefined: what the runs' configurations state. */
  readonly classes?: number;
  /** Options of every method's pipeline (defaults: `PIPELINE_DEFAULTS`). */
  readonly pipeline: Partial<PipelineOptions>;
}

/** The spec's defaults: the window 0-3, per-layer features, every method, 5 folds, seed 0. */
export const DEFAULTS: Readonly<EvaluationSpec> = Object.freeze({
  window: Object.freeze([0, 1, 2, 3]),
  layout: 'per-layer',
  methods: METHODS,
  folds: 5,
  seed: 0,
  pipeline: Object.freeze({}),
});

/**
 * The spec with each of `layers` over the defaults and the layers before it (a field
 * left undefined takes the value below). Returns it; throws `OptionError` naming the
 * field of an invalid value.
 */
export function evaluationSpec(...layers: Partial<EvaluationSpec>[]): EvaluationSpec {
  const defined = (layer: Partial<EvaluationSpec>) => Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined));
  const spec = Object.assign({}, DEFAULTS, ...layers.map(defined)) as EvaluationSpec;
  if (spec.window.length === 0 || spec.window.some((e, i) => !Number.isInteger(e) || e < 0 || (i > 0 && e <= spec.window[i - 1]))) {
    throw new OptionError('window', `expected ascending distinct epochs >= 0, got [${spec.window.join(', ')}]`);
  }
  if (!LAYOUTS.includes(spec.layout)) throw new OptionError('layout', `expected one of ${LAYOUTS.join(', ')}, got ${JSON.stringify(spec.layout)}`);
  if (spec.methods.length === 0) throw new OptionError('method', 'no method to evaluate');
  if (!Number.isInteger(spec.folds) || spec.folds < 2) throw new OptionError('folds', `expected an integer >= 2, got ${spec.folds}`);
  if (!Number.isInteger(spec.seed) || spec.seed < 0) throw new OptionError('seed', `expected an integer >= 0, got ${spec.seed}`);
  if (spec.pipeline.prior !== undefined && spec.pipeline.prior !== null) priorMethod(spec.pipeline.prior);
  return spec;
}

/** Feature blocks an evaluation under `spec` needs: its methods' and its prior's. */
export function specBlocks(spec: Pick<EvaluationSpec, 'methods' | 'pipeline'>): FeatureBlock[] {
  const prior = spec.pipeline.prior ?? null;
  return blocksOf(prior === null ? spec.methods : [...spec.methods, priorMethod(prior)]);
}

/** Progress of an evaluation: a stage, how far it is, and what it is working on (a run or a method). */
export type EvaluationProgress = (stage: 'features' | 'evaluate', done: number, total: number, detail: string) => void;

/**
 * The feature table of the runs of `zoos` (pooled as one zoo; a run given twice is
 * refused) with `blocks`, over the spec's window and layout. Returns it.
 */
export async function zooFeatureTable(zoos: readonly string[], spec: Pick<EvaluationSpec, 'window' | 'layout'>, blocks: readonly FeatureBlock[], onProgress?: EvaluationProgress): Promise<FeatureTable> {
  const runs = await listZoos(zoos);
  return buildFeatureTable(runs, { window: spec.window, layout: spec.layout, blocks }, (done, total, run) => onProgress?.('features', done, total, run));
}

/** A method with metrics over the runs that learned (an evaluation, or a report's view of one). */
export interface RankedMethod {
  readonly name: string;
  readonly learned: Metrics;
}

/**
 * The method that ranks the runs that learned best (highest Kendall tau; the first in
 * order among equals). Methods whose tau is undefined (NaN: too few runs) are passed
 * over. Returns it, or undefined when no method has a tau.
 */
export function bestMethod<M extends RankedMethod>(methods: readonly M[]): M | undefined {
  let best: M | undefined;
  for (const method of methods) {
    const tau = method.learned.kendall_tau;
    if (!Number.isNaN(tau) && (best === undefined || tau > best.learned.kendall_tau)) best = method;
  }
  return best;
}

/** An evaluation's results. */
export interface ZooEvaluation {
  readonly spec: EvaluationSpec;
  /** Chance accuracy, 1 / classes. */
  readonly chance: number;
  /** The runs the methods were fitted on (and, under cross-validation, tested on). */
  readonly table: FeatureTable;
  /** The runs tested on, when they are another zoo's. */
  readonly testTable?: FeatureTable;
  /** One evaluation per method, in the spec's order. */
  readonly evaluations: readonly MethodEvaluation[];
  /** `bestMethod` of the evaluations. */
  readonly best: MethodEvaluation | undefined;
}

/** How an evaluation runs (nothing here changes its numbers). */
export interface RunOptions {
  /** Processes the methods are shared among (default 1: this one); the results do not depend on it. */
  readonly workers?: number;
  readonly onProgress?: EvaluationProgress;
}

/**
 * Evaluates the spec's methods on feature tables already built (with at least their
 * blocks, over the spec's window and layout): grouped cross-validation on `table`, or,
 * with `testTable`, a fit on `table` tested on `testTable`. The chance level comes from
 * the spec's classes or the tested runs' configurations. Returns the results.
 */
export async function evaluateTables(table: FeatureTable, spec: EvaluationSpec, options: RunOptions & { readonly testTable?: FeatureTable } = {}): Promise<ZooEvaluation> {
  const { testTable, onProgress } = options;
  const chance = chanceLevel((testTable ?? table).configs, spec.classes);
  const evaluations = await evaluateMethodsInWorkers(
    table,
    {
      methods: spec.methods,
      windowEnd: spec.window[spec.window.length - 1],
      folds: spec.folds,
      seed: spec.seed,
      chance,
      pipeline: spec.pipeline,
      onMethod: (name, done, total) => onProgress?.('evaluate', done, total, name),
    },
    testTable,
    options.workers ?? 1,
  );
  return { spec, chance, table, testTable, evaluations, best: bestMethod(evaluations) };
}

/** Options of `evaluateZoos`. */
export interface EvaluateZoosOptions extends RunOptions {
  /** Fit on the zoos, test on this one (which must share no run with them). */
  readonly testZoo?: string;
  /** Feature blocks to build beyond the methods' (a report's model may need others). */
  readonly extraBlocks?: readonly FeatureBlock[];
}

/**
 * Builds the feature tables of `zoos` (pooled as one) and, with `testZoo`, of the test
 * zoo, then `evaluateTables`. Returns the results; throws `RunFormatError` for a run
 * lacking a window checkpoint, `OptionError` for a test zoo sharing a run with the zoos.
 */
export async function evaluateZoos(zoos: readonly string[], spec: EvaluationSpec, options: EvaluateZoosOptions = {}): Promise<ZooEvaluation> {
  const { testZoo, onProgress } = options;
  // A test run also fitted on would score its own training: listZoos refuses runs given twice.
  if (testZoo !== undefined) await listZoos([...zoos, testZoo]);
  const blocks = [...new Set<FeatureBlock>([...specBlocks(spec), ...(options.extraBlocks ?? [])])];
  const table = await zooFeatureTable(zoos, spec, blocks, onProgress);
  const testTable = testZoo === undefined ? undefined : await zooFeatureTable([testZoo], spec, blocks, onProgress);
  return evaluateTables(table, spec, { testTable, onProgress, workers: options.workers });
}
