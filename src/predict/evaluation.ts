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
import { labelledRows, selectTableRows } from '../summary/table.js';
import { createRng } from '../util/random.js';
import { groupedSubsample } from './evaluate-folds.js';
import type { FeatureTable } from '../summary/table.js';
import { chanceLevel } from './chance.js';
import { BUILTIN_PRIOR, METHODS, blocksOf, checkPrior, priorMethod } from './evaluate-methods.js';
import type { Method } from './evaluate-methods.js';
import { EvaluationPool, evaluateMethodsInWorkers } from './evaluate-workers.js';
import { METRIC_NAMES } from './evaluate.js';
import type { EvaluateOptions, Metrics, MethodEvaluation } from './evaluate.js';
import { priorFeatureTable } from './model-use.js';
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
  if (spec.pipeline.prior !== undefined && spec.pipeline.prior !== null) checkPrior(spec.pipeline.prior);
  return spec;
}

/** Feature blocks an evaluation under `spec` needs: its methods' and its prior's (none for the built-in model's, a computed column). */
export function specBlocks(spec: Pick<EvaluationSpec, 'methods' | 'pipeline'>): FeatureBlock[] {
  const prior = spec.pipeline.prior ?? null;
  const method = prior === null ? undefined : priorMethod(prior);
  return blocksOf(method ? [...spec.methods, method] : spec.methods);
}

/** Progress of an evaluation: a stage, how far it is, and what it is working on (a run or a method). */
export type EvaluationProgress = (stage: 'features' | 'evaluate', done: number, total: number, detail: string) => void;

/**
 * The feature table of the runs of `zoos` (pooled as one zoo; a run given twice is
 * refused) with `blocks`, over the spec's window and layout, and, when the spec's prior is
 * the built-in model, its prediction of each run (`priorFeatureTable`). Returns it; throws
 * `UnsummarisableRunError` for a run the built-in model cannot summarise.
 */
export async function zooFeatureTable(
  zoos: readonly string[],
  spec: Pick<EvaluationSpec, 'window' | 'layout'> & { readonly pipeline?: Partial<PipelineOptions> },
  blocks: readonly FeatureBlock[],
  onProgress?: EvaluationProgress,
): Promise<FeatureTable> {
  const runs = await listZoos(zoos);
  const progress = (done: number, total: number, run: string) => onProgress?.('features', done, total, run);
  return priorFeatureTable(runs, { window: spec.window, layout: spec.layout, blocks }, spec.pipeline?.prior ?? null, { onProgress: progress });
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
  /** Processes kept for many evaluations, used instead of `workers` new ones; the results do not depend on it. */
  readonly pool?: EvaluationPool;
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
  const evaluateOptions: EvaluateOptions = {
    methods: spec.methods,
    windowEnd: spec.window[spec.window.length - 1],
    folds: spec.folds,
    seed: spec.seed,
    chance,
    pipeline: spec.pipeline,
    onMethod: (name, done, total) => onProgress?.('evaluate', done, total, name),
  };
  const evaluations = options.pool ? await options.pool.evaluate(table, evaluateOptions, testTable) : await evaluateMethodsInWorkers(table, evaluateOptions, testTable, options.workers ?? 1);
  return { spec, chance, table, testTable, evaluations, best: bestMethod(evaluations) };
}

/** Options of `evaluateZoos`. */
export interface EvaluateZoosOptions extends RunOptions {
  /** Fit on the zoos, test on this one (which must share no run with them). */
  readonly testZoo?: string;
  /** Feature blocks to build beyond the methods' (a report's model may need others). */
  readonly extraBlocks?: readonly FeatureBlock[];
  /** Whether the tables also hold the built-in model's predictions, whatever the spec's prior (a report's model may correct them). */
  readonly builtinPrior?: boolean;
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
  const features = options.builtinPrior ? { ...spec, pipeline: { ...spec.pipeline, prior: BUILTIN_PRIOR } } : spec;
  const table = await zooFeatureTable(zoos, features, blocks, onProgress);
  const testTable = testZoo === undefined ? undefined : await zooFeatureTable([testZoo], features, blocks, onProgress);
  return evaluateTables(table, spec, { testTable, onProgress, workers: options.workers });
}

/** The small-zoo protocol: `repeats` grouped draws of `trainSize` training runs, each tested on every other run. */
export interface SubsampleOptions {
  readonly trainSize: number;
  readonly repeats: number;
}

/** A method's metrics under the small-zoo protocol: means over the draws, their standard deviations, and each draw's tau. */
export interface SubsampledMethod extends Metrics {
  readonly name: string;
  readonly description: string;
  /** Sample standard deviation over the draws of each metric over all runs (NaN with one draw). */
  readonly sd: Metrics;
  /** Means over the draws of the metrics over the runs that learned. */
  readonly learned: Metrics;
  readonly learned_sd: Metrics;
  /** Kendall tau over all test runs of each draw, in draw order. */
  readonly kendall_tau_by_draw: readonly number[];
}

/** Results of the small-zoo protocol. */
export interface SubsampleEvaluation {
  readonly spec: EvaluationSpec;
  readonly trainSize: number;
  readonly repeats: number;
  readonly chance: number;
  /** Runs with a final accuracy: each draw trains on `trainSize` of them and tests on the rest. */
  readonly runs: number;
  readonly methods: readonly SubsampledMethod[];
  /** `bestMethod` by the mean tau over the runs that learned. */
  readonly best: SubsampledMethod | undefined;
}

/** Mean and sample standard deviation of each metric of `metrics`. */
function metricsSpread(metrics: readonly Metrics[]): { mean: Metrics; sd: Metrics } {
  const mean = Object.fromEntries(METRIC_NAMES.map((k) => [k, metrics.reduce((s, m) => s + m[k], 0) / metrics.length])) as unknown as Metrics;
  const sd = Object.fromEntries(METRIC_NAMES.map((k) => [k, Math.sqrt(metrics.reduce((s, m) => s + (m[k] - mean[k]) ** 2, 0) / (metrics.length - 1))])) as unknown as Metrics;
  return { mean, sd };
}

/**
 * Evaluates the spec's methods as a small zoo would train them: `repeats` times, draws
 * `trainSize` of the table's labelled runs (whole configuration groups, the grouping the
 * folds use, in an order seeded by the spec's seed), fits on them and tests on the rest.
 * Returns each method's mean metrics and their spread over the draws; throws `OptionError`
 * (field `trainSize` or `repeats`) for a size that leaves no test run or a bad count.
 */
export async function evaluateSubsamples(table: FeatureTable, spec: EvaluationSpec, subsample: SubsampleOptions, options: RunOptions = {}): Promise<SubsampleEvaluation> {
  const { trainSize, repeats } = subsample;
  if (!Number.isInteger(repeats) || repeats < 1) throw new OptionError('repeats', `expected an integer >= 1, got ${repeats}`);
  const labelled = labelledRows(table);
  const rng = createRng(spec.seed);
  const subsets = Array.from({ length: repeats }, () => {
    const drawn = new Set(groupedSubsample(labelled.map((i) => table.groups[i]), trainSize, rng).map((k) => labelled[k]));
    return { train: selectTableRows(table, labelled.filter((i) => drawn.has(i))), test: selectTableRows(table, labelled.filter((i) => !drawn.has(i))) };
  });
  // The draws run at once in one pool of processes, their methods counted together.
  const total = repeats * spec.methods.length;
  let finished = 0;
  const onProgress: EvaluationProgress | undefined = options.onProgress && ((stage, _done, _total, detail) => options.onProgress?.(stage, ++finished, total, detail));
  const ownPool = !options.pool && (options.workers ?? 1) > 1 ? new EvaluationPool(Math.min(options.workers ?? 1, total)) : undefined;
  const pool = options.pool ?? ownPool;
  const draws: ZooEvaluation[] = [];
  try {
    if (pool) draws.push(...(await Promise.all(subsets.map(({ train, test }) => evaluateTables(train, spec, { testTable: test, pool, onProgress })))));
    else for (const { train, test } of subsets) draws.push(await evaluateTables(train, spec, { testTable: test, onProgress }));
  } finally {
    ownPool?.close();
  }
  const methods = spec.methods.map((method, m): SubsampledMethod => {
    const all = metricsSpread(draws.map((d) => d.evaluations[m]));
    const learned = metricsSpread(draws.map((d) => d.evaluations[m].learned));
    return { name: method.name, description: method.description, ...all.mean, sd: all.sd, learned: learned.mean, learned_sd: learned.sd, kendall_tau_by_draw: draws.map((d) => d.evaluations[m].kendall_tau) };
  });
  return { spec, trainSize, repeats, chance: draws[0].chance, runs: labelled.length, methods, best: bestMethod(methods) };
}
